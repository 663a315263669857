"""A post's history after release: approvals as approvals, who released it, and what then happened
on the platform (the sandbox over real HTTP), through the API and the admin."""

import pytest

from editorial.models import WeiboPostPage
from govcms.models import AccountCredential
from publishing.models import Publication, PublicationAttempt
from tests.editorial.test_review_flow import approve_all
from tests.publishing.test_pipeline import drive

pytestmark = pytest.mark.django_db


def test_history_shows_approvals_then_publication_and_the_panel_names_the_releaser(
    accounts, sandbox, staff, api, admin_client_for
):
    editor, reviewer, signer = api("editor"), api("reviewer"), api("signer")
    created = editor.post(
        "/api/v1/posts", {"account_id": accounts["weibo"].pk, "kind": "weibo", "body": "【通知】本周六上午停水。"}
    )
    post_id = created.json()["id"]
    assert editor.post(f"/api/v1/posts/{post_id}/submit", {}).status_code == 200
    approve_all([reviewer, signer], post_id)
    pub = drive(Publication.objects.get(post_id=post_id).pk)
    assert pub.status == "published" and pub.platform_post_id and pub.url

    history = editor.get(f"/api/v1/history/post/{post_id}").json()
    assert all(set(e) >= {"at", "actor", "action", "summary", "changes", "revision_id"} for e in history)
    story = [e for e in history if e["action"].startswith(("post.approved", "post.released", "publication."))]
    assert [(e["action"], e["actor"]) for e in story] == [
        ("post.approved", "reviewer"),
        ("post.approved", "signer"),
        ("post.released", "signer"),
        # The pipeline acts as the named system actor (govcms.capabilities.SYSTEM).
        ("publication.queued", "system"),
        ("publication.published", "system"),
    ]
    assert "初审（第 1/2 步）通过" in story[0]["summary"] and "签发（第 2/2 步）通过" in story[1]["summary"]
    assert "signer" in story[2]["summary"]
    published = story[4]
    assert pub.platform_post_id in published["summary"] and pub.url in published["summary"]
    assert published["changes"]["url"] == pub.url

    client = admin_client_for(staff["editor"])
    panel = client.get(f"/admin/pages/{post_id}/edit/").content.decode()
    releaser = staff["signer"].get_full_name() or "signer"
    assert "data-govcms-releaser" in panel and f"签发人：{releaser}" in panel
    page = client.get(f"/admin/editorial/posts/{post_id}/history/").content.decode()
    assert "已发布到平台" in page and pub.url in page


def test_a_failure_before_reaching_the_platform_is_not_a_platform_refusal(
    accounts, sandbox, staff, api, admin_client_for
):
    editor, reviewer, signer = api("editor"), api("reviewer"), api("signer")
    created = editor.post(
        "/api/v1/posts", {"account_id": accounts["weibo"].pk, "kind": "weibo", "body": "【通知】本周日上午停电。"}
    )
    post_id = created.json()["id"]
    editor.post(f"/api/v1/posts/{post_id}/submit", {})
    approve_all([reviewer, signer], post_id)
    # The account's credential is gone before the worker runs: nothing is sent to Weibo.
    AccountCredential.objects.filter(account=accounts["weibo"]).delete()
    pub = drive(Publication.objects.get(post_id=post_id).pk)
    assert pub.status == "failed" and pub.last_error_code == "no_credentials"
    assert sandbox.state()["weibo"]["5000000101"]["counts"].get("shares", 0) == 0
    assert not sandbox.state()["weibo"]["5000000101"]["statuses"]
    assert WeiboPostPage.objects.get(pk=post_id).status == "failed"

    failed = next(
        e for e in api("editor").get(f"/api/v1/history/post/{post_id}").json() if e["action"] == "publication.failed"
    )
    assert failed["changes"]["outcome"] == "config" and failed["changes"]["reached_platform"] is False
    assert "账号配置错误" in failed["summary"] and "未送达平台" in failed["summary"]
    assert "内容被平台拒绝" not in failed["summary"]
    attempt = PublicationAttempt.objects.filter(publication=pub).last()
    detail = admin_client_for(staff["editor"]).get(f"/admin/publishing/publications/{pub.pk}/").content.decode()
    assert attempt.outcome == "config" and "账号配置错误" in detail and "内容被平台拒绝" not in detail
