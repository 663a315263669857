"""Accounts off the air (停更 suspended, 注销 closed) take no new post and no submission, through
the API and the admin alike."""

import pytest

from editorial.models import ReviewStep, WeiboPostPage
from govcms import services as org_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def agency_admin(org, make_user):
    return make_user("admin_a", "agency_admin", org.city_a)


def suspend(account, admin):
    for to, reason in (("operating", "备案"), ("suspended", "停更整改")):
        org_services.account_transition(actor=admin, account=account, to=to, reason=reason)


def draft(client, account):
    fields = {"account_id": account.pk, "kind": "weibo", "title": "停水通知", "body": "明日停水。"}
    response = client.post("/api/v1/posts", fields)
    assert response.status_code == 201, response.content
    return response.json()


def test_api_refuses_new_posts_and_submissions_for_a_suspended_account(org, staff, agency_admin, api):
    editor = api("editor")
    earlier = draft(editor, org.acct_a1_weibo)
    suspend(org.acct_a1_weibo, agency_admin)

    refused = editor.post("/api/v1/posts", {"account_id": org.acct_a1_weibo.pk, "kind": "weibo", "title": "t"})
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "account_suspended" and "停更" in error["message"]
    assert error["details"] == {"account_status": "suspended"}
    assert WeiboPostPage.objects.count() == 1

    submitted = editor.post(f"/api/v1/posts/{earlier['id']}/submit", {})
    assert submitted.status_code == 409
    assert submitted.json()["error"]["code"] == "account_suspended"
    assert WeiboPostPage.objects.get(pk=earlier["id"]).status == "draft"
    assert not ReviewStep.objects.exists()


def test_api_refuses_new_posts_for_a_closed_account(org, staff, agency_admin, api):
    org_services.account_transition(actor=agency_admin, account=org.acct_a1_weibo, to="closed", reason="注销")
    refused = api("editor").post("/api/v1/posts", {"account_id": org.acct_a1_weibo.pk, "kind": "weibo", "title": "t"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "account_closed"


def test_admin_offers_no_add_button_refuses_the_create_view_and_a_submission(
    org, staff, agency_admin, api, admin_client_for
):
    earlier = draft(api("editor"), org.acct_a1_weibo)
    client = admin_client_for(staff["editor"])
    add_url = f"/admin/pages/add/editorial/weibopostpage/{org.acct_a1_weibo.pk}/"
    add_subpage_url = f"/admin/pages/{org.acct_a1_weibo.pk}/add_subpage/"
    explorer = client.get(f"/admin/pages/{org.acct_a1_weibo.pk}/").content.decode()
    assert add_subpage_url in explorer, "an operating account offers the add button"

    suspend(org.acct_a1_weibo, agency_admin)
    explorer = client.get(f"/admin/pages/{org.acct_a1_weibo.pk}/").content.decode()
    assert add_subpage_url not in explorer and add_url not in explorer
    for url in (add_url, add_subpage_url):
        response = client.get(url)
        assert response.status_code == 302 and response.url.rstrip("/") == "/admin", url
    response = client.post(add_url, {"title": "t", "slug": "t", "body": "正文", "action-submit": "1"})
    assert response.status_code == 302 and response.url.rstrip("/") == "/admin"
    assert WeiboPostPage.objects.count() == 1

    data = {"title": earlier["title"], "slug": "earlier", "body": "明日停水。", "action-submit": "1"}
    refused = client.post(f"/admin/pages/{earlier['id']}/edit/", data)
    assert refused.status_code == 200
    assert "账号已停更，不能新建、提交或发布内容" in refused.content.decode()
    assert WeiboPostPage.objects.get(pk=earlier["id"]).status == "draft"
    assert not ReviewStep.objects.exists()
