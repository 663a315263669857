"""The accountable chain (三审三校) end to end, through the API and the Wagtail admin."""

import pytest

from audit.models import LedgerEvent
from editorial.models import ReviewRecord, ReviewStep, WechatArticlePage

pytestmark = pytest.mark.django_db

GOOD_BODY = "<p>省长张三在会上强调，要做好冬季安全生产工作。</p>"
BAD_BODY = "<p>市长张三在会上强调，要做好冬季安全生产工作。</p>"


def approve_all(api_clients, post_id):
    """Each client approves the open step of the post in turn, through the API."""
    for client in api_clients:
        step = ReviewStep.objects.get(post_id=post_id, open=True)
        response = client.post(f"/api/v1/reviews/{step.pk}/approve", {"comment": "同意"})
        assert response.status_code == 200, response.content
    return response.json()


def draft(client, org, cover, body=BAD_BODY, **extra):
    response = client.post(
        "/api/v1/posts",
        {
            "account_id": org.acct_a1_wechat.pk,
            "kind": "wechat",
            "title": "全省冬季安全生产工作会议召开",
            "author": "县融媒体中心",
            "body": body,
            "cover_image": cover.pk,
            **extra,
        },
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_article_from_draft_to_release_with_full_history(org, staff, leaders, cover, api):
    editor, reviewer, signer = api("editor"), api("reviewer"), api("signer")
    post = draft(editor, org, cover)
    assert post["status"] == "draft"
    blocking = [c for c in post["checks"] if c["severity"] == "block"]
    assert [c["rule"] for c in blocking] == ["leader_title"]
    assert blocking[0]["matched"] in ("市长张三", "张三")

    refused = editor.post(f"/api/v1/posts/{post['id']}/submit", {})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "content_blocked"
    assert refused.json()["error"]["details"]["checks"][0]["rule"] == "leader_title"

    fixed = editor.patch(f"/api/v1/posts/{post['id']}", {"body": GOOD_BODY})
    assert fixed.status_code == 200
    assert not [c for c in fixed.json()["checks"] if c["severity"] == "block"]
    submitted = editor.post(f"/api/v1/posts/{post['id']}/submit", {})
    assert submitted.status_code == 200, submitted.content.decode()
    assert submitted.json()["status"] == "in_review"

    queue = reviewer.get("/api/v1/reviews").json()["items"]
    assert [(i["post_id"], i["step_index"], i["steps_total"], i["kind"]) for i in queue] == [
        (post["id"], 1, 2, "publish")
    ]
    assert queue[0]["submitted_by"] == "editor" and queue[0]["due_at"]
    assert signer.get("/api/v1/reviews").json()["items"] == []  # the signer's step has not opened yet

    assert reviewer.post(f"/api/v1/reviews/{queue[0]['task_id']}/approve", {"comment": "同意"}).status_code == 200
    signer_queue = signer.get("/api/v1/reviews").json()["items"]
    assert [(i["post_id"], i["step_index"]) for i in signer_queue] == [(post["id"], 2)]
    released = signer.post(f"/api/v1/reviews/{signer_queue[0]['task_id']}/approve", {})
    assert released.json()["post_status"] == "approved"

    article = WechatArticlePage.objects.get(pk=post["id"])
    assert article.live, "the final approval releases the post on the agency site"
    detail = editor.get(f"/api/v1/posts/{post['id']}").json()
    assert [(r["step"], r["username"], r["action"]) for r in detail["reviewers"]] == [
        ("初审", "reviewer", "approve"),
        ("签发", "signer", "approve"),
    ]
    history = editor.get(f"/api/v1/history/post/{post['id']}").json()
    actions = [e["action"] for e in history]
    for expected in ("post.created", "post.updated", "check.save", "check.submit", "post.submitted",
                     "post.approved", "post.released", "wagtail.publish"):  # fmt: skip
        assert expected in actions, expected
    assert len({e["revision_id"] for e in history if e["source"] == "page_log" and e["revision_id"]}) >= 2
    approvals = [e for e in history if e["action"] == "post.approved"]
    assert [(e["actor"], e["changes"]["step"], e["changes"]["step_index"]) for e in approvals] == [
        ("reviewer", "初审", 1),
        ("signer", "签发", 2),
    ]
    assert all(e["at"] and e["revision_id"] for e in approvals)
    assert "post.updated" not in actions[actions.index("post.submitted") :], "approving is not editing"
    assert (
        LedgerEvent.objects.filter(object_type="post", object_id=str(post["id"]), action="post.approved").count() == 2
    )


def test_submitter_holding_reviewer_role_cannot_approve(org, staff, leaders, cover, api, admin_client_for):
    rev_editor = api("rev_editor")
    post = draft(rev_editor, org, cover, body=GOOD_BODY)
    rev_editor.post(f"/api/v1/posts/{post['id']}/submit", {})
    step = ReviewStep.objects.get(post_id=post["id"], open=True)
    # Not offered in the queue, refused by the API with the contract's code.
    assert rev_editor.get("/api/v1/reviews").json()["items"] == []
    response = rev_editor.post(f"/api/v1/reviews/{step.pk}/approve", {})
    assert response.status_code == 403 and response.json()["error"]["code"] == "self_approval"

    # Not offered in the admin, and refused when the form is posted directly.
    admin = admin_client_for(staff["rev_editor"])
    edit = admin.get(f"/admin/pages/{post['id']}/edit/")
    assert edit.status_code == 200
    action_url = f"/admin/pages/workflow/action/{post['id']}/approve/{step.task_state_id}/"
    offered = 'data-workflow-action-name="approve"'
    assert offered not in edit.content.decode()
    posted = admin.post(action_url, {"comment": ""})
    assert posted.status_code in (302, 403)
    assert ReviewStep.objects.get(pk=step.pk).open
    assert not ReviewRecord.objects.filter(post_id=post["id"]).exists()

    # The reviewer is offered the action, and approving through the admin is recorded like the API.
    reviewer_admin = admin_client_for(staff["reviewer"])
    assert offered in reviewer_admin.get(f"/admin/pages/{post['id']}/edit/").content.decode()
    assert reviewer_admin.post(action_url, {"comment": "同意"}).status_code in (200, 302)
    assert ReviewRecord.objects.get(post_id=post["id"]).user == staff["reviewer"]
    assert not ReviewStep.objects.get(pk=step.pk).open


def test_reviewer_cannot_also_approve_the_signer_step(org, staff, leaders, cover, api, make_user):
    from tests.factories import grant

    grant(staff["reviewer"], "signer", org.county_a1)  # holds both roles
    editor, reviewer = api("editor"), api("reviewer")
    post = draft(editor, org, cover, body=GOOD_BODY)
    editor.post(f"/api/v1/posts/{post['id']}/submit", {})
    first = reviewer.get("/api/v1/reviews").json()["items"][0]
    assert reviewer.post(f"/api/v1/reviews/{first['task_id']}/approve", {}).status_code == 200
    second = ReviewStep.objects.get(post_id=post["id"], open=True)
    assert reviewer.get("/api/v1/reviews").json()["items"] == []
    response = reviewer.post(f"/api/v1/reviews/{second.pk}/approve", {})
    assert response.status_code == 403 and response.json()["error"]["code"] == "already_approved_step"
    # Someone without the role is told so; someone outside the jurisdiction is not even told it exists.
    assert api("editor").post(f"/api/v1/reviews/{second.pk}/approve", {}).status_code == 403
    assert api("outsider").post(f"/api/v1/reviews/{second.pk}/approve", {}).status_code == 404


def test_rejection_needs_a_comment_and_resubmission_restarts_the_chain(org, staff, leaders, cover, api):
    editor, reviewer, signer = api("editor"), api("reviewer"), api("signer")
    post = draft(editor, org, cover, body=GOOD_BODY)
    editor.post(f"/api/v1/posts/{post['id']}/submit", {})
    first = reviewer.get("/api/v1/reviews").json()["items"][0]
    reviewer.post(f"/api/v1/reviews/{first['task_id']}/approve", {})
    second = signer.get("/api/v1/reviews").json()["items"][0]
    response = signer.post(f"/api/v1/reviews/{second['task_id']}/reject", {"comment": ""})
    assert response.status_code == 422 and response.json()["error"]["code"] == "comment_required"
    response = signer.post(f"/api/v1/reviews/{second['task_id']}/reject", {"comment": "标题请再斟酌"})
    assert response.json()["post_status"] == "rejected"

    editor.patch(f"/api/v1/posts/{post['id']}", {"title": "全省冬季安全生产工作会议在杭召开"})
    assert editor.post(f"/api/v1/posts/{post['id']}/submit", {}).json()["status"] == "in_review"
    again = reviewer.get("/api/v1/reviews").json()["items"]
    assert [(i["post_id"], i["step_index"]) for i in again] == [(post["id"], 1)]
    assert signer.get("/api/v1/reviews").json()["items"] == []


def test_signer_override_of_blocking_finding_is_ledgered(org, staff, leaders, cover, api):
    editor, signer = api("editor"), api("signer")
    post = draft(editor, org, cover)
    response = editor.post(f"/api/v1/posts/{post['id']}/submit", {"override_reason": "原文引用"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "override_requires_signer"
    response = signer.post(
        f"/api/v1/posts/{post['id']}/submit", {"override_reason": "引用中央文件原文，职务表述以原文为准"}
    )
    assert response.status_code == 200 and response.json()["status"] == "in_review"
    event = LedgerEvent.objects.get(action="post.check_overridden", object_id=str(post["id"]))
    assert event.actor == "signer" and "leader_title" in event.data["rules"]


def test_admin_rejection_requires_a_comment(org, staff, leaders, cover, api, admin_client_for):
    editor = api("editor")
    post = draft(editor, org, cover, body=GOOD_BODY)
    editor.post(f"/api/v1/posts/{post['id']}/submit", {})
    step = ReviewStep.objects.get(post_id=post["id"], open=True)
    admin = admin_client_for(staff["reviewer"])
    url = f"/admin/pages/workflow/action/{post['id']}/reject/{step.task_state_id}/"
    response = admin.post(url, {"comment": ""})
    assert response.status_code != 500
    assert ReviewStep.objects.get(pk=step.pk).open, "no rejection without a comment"
    admin.post(url, {"comment": "数据需核实"})
    assert not ReviewStep.objects.get(pk=step.pk).open
    assert WechatArticlePage.objects.get(pk=post["id"]).status == "rejected"
