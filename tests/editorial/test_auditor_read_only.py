"""Auditors read posts in their subtree in the admin (content, revisions, differences, history)
without any way to change them; outside their subtree everything is 404."""

import pytest

from editorial.models import WeiboPostPage

pytestmark = pytest.mark.django_db

FIRST = "明日上午9时至下午5时城区停水，请提前储水。"
SECOND = "明日上午9时至下午3时城区停水，请提前储水。"


@pytest.fixture
def post(org, staff, api):
    editor = api("editor")
    fields = {"account_id": org.acct_a1_weibo.pk, "kind": "weibo", "title": "停水通知", "body": FIRST}
    created = editor.post("/api/v1/posts", fields)
    assert created.status_code == 201, created.content
    post_id = created.json()["id"]
    assert editor.patch(f"/api/v1/posts/{post_id}", {"body": SECOND}).status_code == 200
    return WeiboPostPage.objects.get(pk=post_id)


def read_only(response):
    assert response.status_code == 200, (response.status_code, response.content.decode()[:1000])
    html = response.content.decode()
    assert 'id="page-edit-form"' not in html and "<textarea" not in html
    assert "/edit/" not in html and "action-submit" not in html and "action-publish" not in html
    return html


def test_auditor_reads_a_post_its_revisions_and_their_differences(org, staff, make_user, post, admin_client_for):
    auditor = admin_client_for(make_user("aud_a", "auditor", org.city_a))
    first, second = post.revisions.order_by("created_at", "id")

    html = read_only(auditor.get(f"/admin/editorial/read/{post.pk}/"))
    assert SECOND in html and "停水通知" in html
    assert f"/admin/editorial/read/{post.pk}/revisions/{first.pk}/" in html
    assert f"/admin/editorial/read/{post.pk}/compare/{first.pk}...{second.pk}/" in html

    assert FIRST in read_only(auditor.get(f"/admin/editorial/read/{post.pk}/revisions/{first.pk}/"))
    assert SECOND in read_only(auditor.get(f"/admin/editorial/read/{post.pk}/revisions/{second.pk}/"))
    compare = read_only(auditor.get(f"/admin/editorial/read/{post.pk}/compare/{first.pk}...{second.pk}/"))
    assert "下午5时" in compare and "下午3时" in compare
    assert read_only(auditor.get(f"/admin/editorial/posts/{post.pk}/history/"))

    # The explorer offers the way in; Wagtail's own editor stays closed to the auditor.
    explorer = auditor.get(f"/admin/pages/{org.acct_a1_weibo.pk}/").content.decode()
    assert f"/admin/editorial/read/{post.pk}/" in explorer
    assert auditor.get(f"/admin/pages/{post.pk}/edit/").status_code in (302, 403)


def test_outside_the_subtree_every_read_only_view_is_404(org, staff, make_user, post, admin_client_for):
    outsider = admin_client_for(make_user("aud_b", "auditor", org.city_b))
    first, second = post.revisions.order_by("created_at", "id")
    for url in (
        f"/admin/editorial/read/{post.pk}/",
        f"/admin/editorial/read/{post.pk}/revisions/{first.pk}/",
        f"/admin/editorial/read/{post.pk}/compare/{first.pk}...{second.pk}/",
        f"/admin/editorial/read/{post.pk + 10_000}/",  # exactly like a missing one
        f"/admin/editorial/posts/{post.pk}/history/",
    ):
        assert outsider.get(url).status_code == 404, url
