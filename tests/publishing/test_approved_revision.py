"""Only the revision the review chain approved ever reaches a platform or the site.

A post is edited after approval through every entry point — the admin editor's save, publish and
submit, its autosave, revisions revert (save and publish), Wagtail's bulk publish, the API — and
each is refused; a newer revision written behind everyone's back (straight into the database) is
not published either. Then the post is released (on schedule, by the release task) and published,
and the platform sandbox (its own records, over HTTP) and the public site (`/p/<id>/` and the page
URL) hold the approved text, character for character; the final review record pins that revision,
the ledger's `post.released` names it and the Publication rows point to it.
"""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from wagtail.models import Revision, Site
from wagtail.test.utils.form_data import querydict_from_html

from audit.models import LedgerEvent
from editorial import services as ed
from editorial.models import ReviewRecord, ReviewStep, WechatArticlePage, WeiboPostPage
from editorial.tasks import release_due
from publishing.models import Publication
from tests.publishing.conftest import SITE
from tests.publishing.test_pipeline import drive
from tests.publishing.test_public_links import approved_text

pytestmark = pytest.mark.django_db

APPROVED = "【停水通知】本周六上午九点至十二点停水，请提前储水。"
TAMPERED = "【未经审核】本周六全天停水，具体时间另行通知。"
UID = "5000000101"
APPID = "wxtest0000000001"


@pytest.fixture
def site(org):
    """A Wagtail Site rooted at the province: posts have a page URL besides `/p/<id>/`."""
    Site.objects.update(is_default_site=False)
    return Site.objects.create(hostname="testserver", root_page=org.province, is_default_site=True)


@pytest.fixture
def people(staff, org, make_user, admin_client_for, api):
    """Admin sessions of the post's editor and of an agency admin (who holds Wagtail's publish
    right on the county) and a superuser, and the editor's API client."""
    admin = make_user("admin_a1", "agency_admin", org.county_a1)
    from tests.factories import UserFactory

    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    return {
        "editor": admin_client_for(staff["editor"]),
        "admin": admin_client_for(admin),
        "root": admin_client_for(root),
        "api": api("editor"),
    }


def stored(post):
    """(latest revision, live revision, live) of the post as stored now."""
    return WeiboPostPage.objects.filter(pk=post.pk).values_list("latest_revision_id", "live_revision_id", "live").get()


def try_every_edit(post, people, *, body=TAMPERED) -> dict:
    """Change the post through every entry point; return each answer by entry point."""
    edit_url = f"/admin/pages/{post.pk}/edit/"
    first = Revision.objects.filter(object_id=str(post.pk), base_content_type=post.get_base_content_type()).first()
    revert_url = f"/admin/pages/{post.pk}/revisions/{first.pk}/revert/"
    data = {"title": post.title, "slug": post.slug, "body": body, "comments-TOTAL_FORMS": "0",
            "comments-INITIAL_FORMS": "0", "comments-MIN_NUM_FORMS": "0", "comments-MAX_NUM_FORMS": "1000"}  # fmt: skip
    return {
        "save draft": people["editor"].post(edit_url, data),
        "save draft (superuser)": people["root"].post(edit_url, data),
        "publish": people["admin"].post(edit_url, {**data, "action-publish": "1"}),
        "publish (superuser)": people["root"].post(edit_url, {**data, "action-publish": "1"}),
        "submit": people["editor"].post(edit_url, {**data, "action-submit": "1"}),
        "autosave": people["editor"].post(edit_url, data, headers={"Accept": "application/json"}),
        "revert": people["editor"].post(revert_url, data),
        "revert and publish": people["root"].post(revert_url, {**data, "action-publish": "1"}),
        "bulk publish": people["root"].post(
            f"/admin/bulk/wagtailcore/page/publish/?id={post.pk}", {"include_descendants": ""}
        ),
        "api patch": people["api"].patch(f"/api/v1/posts/{post.pk}", {"body": body}),
    }


def assert_all_refused(answers: dict) -> None:
    for entry, response in answers.items():
        assert response.status_code < 500, entry
    autosave = answers["autosave"]
    assert autosave.status_code == 400 and "不能修改" in autosave.json()["error_message"]
    api_answer = answers["api patch"]
    assert api_answer.status_code == 409 and api_answer.json()["error"]["code"] == "not_editable"
    for entry in ("save draft", "publish", "submit", "revert"):
        assert answers[entry].status_code == 302, entry  # back to the editor, with the reason
    assert answers["bulk publish"].status_code in (200, 302, 403)


def pinned(post) -> ReviewRecord:
    return ReviewRecord.objects.get(post_id=post.pk, final=True)


def assert_only_approved_went_out(post, sandbox, client, site):
    """The platform's own record, `/p/<id>/` and the page URL all hold the approved text."""
    post = WeiboPostPage.objects.get(pk=post.pk)
    record = pinned(post)
    (pub,) = Publication.objects.filter(post=post)
    assert pub.status == "published", (pub.last_error_code, pub.last_error)
    assert pub.revision_id == record.revision_id == post.live_revision_id
    (share,) = sandbox.state()["weibo"][UID]["statuses"]
    assert share["text"] == approved_text(post) == f"{APPROVED} {SITE}/p/{post.pk}/", "character for character"
    released = LedgerEvent.objects.get(object_type="post", object_id=str(post.pk), action="post.released")
    assert released.data["revision_id"] == record.revision_id and released.data["review_record_id"] == record.pk
    assert record.user.username == "signer" and record.action == "approve"
    short = client.get(f"/p/{post.pk}/", follow=True)
    page = client.get(post.url)
    for response in (short, page):
        html = response.content.decode()
        assert response.status_code == 200 and APPROVED in html and TAMPERED not in html


def write_revision_behind_everyones_back(post, **changes) -> Revision:
    """A newer revision inserted straight into the database (no view, no service, no model save)."""
    approved = Revision.objects.get(pk=post.latest_revision_id)
    rogue = Revision.objects.create(
        content_type_id=approved.content_type_id,
        base_content_type_id=approved.base_content_type_id,
        object_id=approved.object_id,
        content={**approved.content, **changes},
        object_str=approved.object_str,
    )
    type(post).objects.filter(pk=post.pk).update(latest_revision=rogue, has_unpublished_changes=True)
    return rogue


def test_a_scheduled_post_edited_after_approval_releases_only_the_approved_text(
    accounts, release, people, sandbox, client, site, clock
):
    at = timezone.now() + timedelta(hours=2)
    post = release(accounts["weibo"], body=APPROVED, scheduled_at=at)
    assert post.status == "scheduled"
    assert client.get(f"/p/{post.pk}/").status_code == 404, "not on the site before its time"
    before = stored(post)

    answers = try_every_edit(post, people)
    assert_all_refused(answers)
    assert stored(post) == before, "no new revision, nothing live"
    assert "不能修改" in people["editor"].get(f"/admin/pages/{post.pk}/edit/").content.decode(), "the lock says why"
    unschedule = people["root"].post(f"/admin/pages/{post.pk}/revisions/{pinned(post).revision_id}/unschedule/")
    assert unschedule.status_code in (302, 403, 404)
    rogue = write_revision_behind_everyones_back(post, body=TAMPERED)
    assert people["root"].post(f"/admin/pages/{post.pk}/edit/", {"action-publish": "1"}).status_code < 500
    people["root"].post(f"/admin/bulk/wagtailcore/page/publish/?id={post.pk}", {"include_descendants": ""})
    assert not WeiboPostPage.objects.get(pk=post.pk).live, "Wagtail's publish never puts a post live"

    clock.move_to(at + timedelta(minutes=1))
    assert release_due.apply().get() == 1  # the beat's task, run as a worker runs it
    post = WeiboPostPage.objects.get(pk=post.pk)
    assert post.live and post.live_revision_id == pinned(post).revision_id != rogue.pk
    on_schedule = LedgerEvent.objects.get(object_id=str(post.pk), action="post.released_on_schedule")
    assert on_schedule.data["revision_id"] == pinned(post).revision_id
    drive(Publication.objects.get(post=post).pk)
    assert_only_approved_went_out(post, sandbox, client, site)


def test_a_published_post_takes_no_edit_and_stays_as_approved(accounts, release, people, sandbox, client, site):
    post = release(accounts["weibo"], body=APPROVED)
    assert post.status == "approved" and post.live, "released at once"
    drive(Publication.objects.get(post=post).pk)
    assert WeiboPostPage.objects.get(pk=post.pk).status == "published"
    before = stored(post)

    assert_all_refused(try_every_edit(post, people))
    assert stored(post) == before
    write_revision_behind_everyones_back(post, body=TAMPERED)
    people["root"].post(f"/admin/bulk/wagtailcore/page/publish/?id={post.pk}", {"include_descendants": ""})
    assert ed.post_release_due() == 0
    assert WeiboPostPage.objects.get(pk=post.pk).live_revision_id == pinned(post).revision_id
    assert Publication.objects.filter(post=post).count() == 1
    assert_only_approved_went_out(post, sandbox, client, site)


def test_content_in_review_cannot_be_changed_even_by_its_approver(
    accounts, staff, people, sandbox, client, site, admin_client_for, api
):
    post = ed.post_create(actor=staff["editor"], account=accounts["weibo"], kind="weibo", title="通报", body=APPROVED)
    ed.post_submit(actor=staff["editor"], post=post)
    before = stored(post)
    assert_all_refused(try_every_edit(post, people))
    assert stored(post) == before

    # The approver may decide in the editor, but not change the text while doing so.
    reviewer = admin_client_for(staff["reviewer"])
    edit_url = f"/admin/pages/{post.pk}/edit/"
    form = querydict_from_html(reviewer.get(edit_url).content.decode(), form_id="page-edit-form")
    form.update({"body": TAMPERED, "action-workflow-action": "true", "workflow-action-name": "approve"})
    refused = reviewer.post(edit_url, {key: form.getlist(key) for key in form})
    assert refused.status_code == 200 and "不能修改" in refused.content.decode()
    assert ReviewStep.objects.get(post=post, open=True).step_index == 1, "not approved"
    assert stored(post) == before

    # A revision slipped in behind the chain: no approval holds for it.
    write_revision_behind_everyones_back(post, body=TAMPERED)
    step = ReviewStep.objects.get(post=post, open=True)
    answer = api("reviewer").post(f"/api/v1/reviews/{step.pk}/approve", {})
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "revision_changed"
    WeiboPostPage.objects.filter(pk=post.pk).update(latest_revision_id=before[0])  # undo, to finish the chain

    form = querydict_from_html(reviewer.get(edit_url).content.decode(), form_id="page-edit-form")
    form.update({"action-workflow-action": "true", "workflow-action-name": "approve"})
    assert reviewer.post(edit_url, {key: form.getlist(key) for key in form}).status_code == 302
    step = ReviewStep.objects.get(post=post, open=True)
    assert api("signer").post(f"/api/v1/reviews/{step.pk}/approve", {}).status_code == 200
    assert pinned(post).revision_id == before[0]
    drive(Publication.objects.get(post=post).pk)
    assert_only_approved_went_out(post, sandbox, client, site)


def test_a_scheduled_wechat_article_is_sent_as_approved(accounts, release, api, cover, sandbox, clock):
    approved_title, body = "寒潮预警：今夜起气温下降", "<p>今夜起气温下降8至10℃，请注意防寒。</p>"
    at = timezone.now() + timedelta(hours=1)
    post = release(accounts["wechat"], title=approved_title, body=body, author="县融媒体中心", cover_image=cover,
                   scheduled_at=at)  # fmt: skip
    answer = api("editor").patch(f"/api/v1/posts/{post.pk}", {"title": "未经审核的标题"})
    assert answer.status_code == 409
    write_revision_behind_everyones_back(post, title="未经审核的标题", body="<p>未经审核的正文</p>")

    clock.move_to(at + timedelta(minutes=1))
    assert ed.post_release_due() == 1
    pub = drive(Publication.objects.get(post=post).pk)
    assert pub.status == "published", pub.last_error
    record = pinned(post)
    assert pub.revision_id == record.revision_id == WechatArticlePage.objects.get(pk=post.pk).live_revision_id
    (article,) = sandbox.state()["wechat"][APPID]["articles"]
    assert article["titles"] == [approved_title]
    assert json.dumps(Revision.objects.get(pk=pub.revision_id).content["body"]) == json.dumps(body)
