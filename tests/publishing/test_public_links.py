"""What a Weibo share links to: `/p/<id>/` on GOVCMS_SITE_URL, which answers for every live post
wherever it sits in the tree, and the text sent is exactly the approved revision's status text."""

from urllib.parse import urlsplit

import pytest
from wagtail.models import Site

from editorial.models import ReviewStep, WeiboPostPage
from publishing.models import Publication
from tests.factories import UserFactory
from tests.publishing.conftest import SITE
from tests.publishing.test_pipeline import drive

pytestmark = pytest.mark.django_db
UID = "5000000201"


def sent_texts(sandbox, uid):
    return [s["text"] for s in sandbox.state()["weibo"][uid]["statuses"]]


def approved_text(post):  # also used by test_flows
    """The status text of the revision the approvers released, as their preview shows it."""
    pub = Publication.objects.get(post=post)
    return pub.revision.as_object().preview_context(None)["status_text"]


def test_top_level_agency_created_through_the_api_links_to_a_live_page(api, sandbox, client, make_user):
    make_user("root", "system_admin")
    root = api("root")
    agency = root.post(
        "/api/v1/agencies", {"name": "新设省", "region_code": "650000", "level": "province", "parent_id": None}
    )
    assert agency.status_code == 201, agency.content
    agency_id = agency.json()["id"]
    home = Site.objects.get(is_default_site=True).root_page
    account = root.post(
        "/api/v1/accounts",
        {
            "agency_id": agency_id,
            "platform": "weibo",
            "name": "新设省发布",
            "credentials": {"access_token": "sandbox-token-top", "uid": UID},
        },
    )
    assert account.status_code == 201, account.content
    account_id = account.json()["id"]
    assert root.post(
        f"/api/v1/accounts/{account_id}/transition", {"to": "operating", "reason": "备案通过"}
    ).status_code in (200, 201)
    sandbox.weibo_account(UID, access_token="sandbox-token-top", safe_domain="127.0.0.1", hourly_limit=1000)
    for username, role in (("top_editor", "editor"), ("top_reviewer", "reviewer"), ("top_signer", "signer")):
        UserFactory(username=username)
        granted = root.post("/api/v1/memberships", {"username": username, "role": role, "agency_id": agency_id})
        assert granted.status_code == 201, granted.content

    body = "【新设省发布】明日起全省启用新版政务服务平台，办事更便捷。"
    editor = api("top_editor")
    post = editor.post("/api/v1/posts", {"account_id": account_id, "kind": "weibo", "title": "上线", "body": body})
    assert post.status_code == 201, post.content
    post_id = post.json()["id"]
    assert editor.post(f"/api/v1/posts/{post_id}/submit", {}).status_code == 200
    for approver in ("top_reviewer", "top_signer"):
        step = ReviewStep.objects.get(post_id=post_id, open=True)
        assert api(approver).post(f"/api/v1/reviews/{step.pk}/approve", {}).status_code == 200
    pub = drive(Publication.objects.get(post_id=post_id).pk)
    assert pub.status == "published", (pub.last_error_code, pub.last_error)

    page = WeiboPostPage.objects.get(pk=post_id)
    assert not page.path.startswith(home.path), "the agency sits beside the default Site's root"
    (text,) = sent_texts(sandbox, UID)
    assert text == approved_text(page) == f"{body} {SITE}/p/{post_id}/", "sent exactly as approved"
    link = urlsplit(text.rsplit(" ", 1)[-1])
    assert f"{link.scheme}://{link.netloc}" == SITE, "on the site's (the Weibo safe) domain"
    response = client.get(link.path, follow=True)
    assert response.status_code == 200
    assert body in response.content.decode(), "the page shows the post's full text"


def test_short_link_of_a_post_inside_the_site_redirects_to_its_page(accounts, release, sandbox, client, org):
    Site.objects.update(is_default_site=False)
    Site.objects.create(hostname="testserver", root_page=org.province, is_default_site=True)
    post = release(accounts["weibo"], body="【站内】本周六上午停水，请提前储水。")
    drive(Publication.objects.get(post=post).pk)
    response = client.get(f"/p/{post.pk}/")
    assert response.status_code == 302
    assert response["Location"] == urlsplit(WeiboPostPage.objects.get(pk=post.pk).get_url()).path
    assert "本周六上午停水" in client.get(response["Location"]).content.decode()


def test_short_link_of_a_draft_or_unknown_post_is_not_found(accounts, release, client, staff):
    from editorial import services as ed

    draft = ed.post_create(actor=staff["editor"], account=accounts["weibo"], kind="weibo", title="草稿", body="未发布")
    assert client.get(f"/p/{draft.pk}/").status_code == 404
    assert client.get("/p/999999999/").status_code == 404
