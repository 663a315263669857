"""A signer's override is a decision on the post, not a submission (the chain completes), and a
post's history tells the whole story: approvals as approvals, who released it, and what then
happened on the platform (through the API and the admin, on the sandbox over real HTTP)."""

import pytest
from wagtail.models import WorkflowState
from wagtail.test.utils.form_data import querydict_from_html, rich_text

from audit.models import LedgerEvent
from editorial.models import CheckRun, ReviewStep, WechatArticlePage
from publishing.backends import base
from publishing.services import failure_outcome
from tests.editorial.test_review_flow import BAD_BODY, approve_all, draft

pytestmark = pytest.mark.django_db

REASON = "引用中央文件原文，职务表述以原文为准"


def test_signer_override_through_the_api_keeps_the_editor_as_submitter(org, staff, leaders, cover, api):
    editor, reviewer, signer = api("editor"), api("reviewer"), api("signer")
    post = draft(editor, org, cover)
    assert editor.post(f"/api/v1/posts/{post['id']}/submit", {}).status_code == 422

    response = signer.post(f"/api/v1/posts/{post['id']}/submit", {"override_reason": REASON})
    assert response.status_code == 200 and response.json()["status"] == "in_review"
    queue = reviewer.get("/api/v1/reviews").json()["items"]
    assert [(i["post_id"], i["submitted_by"]) for i in queue] == [(post["id"], "editor")]
    assert WorkflowState.objects.get(object_id=str(post["id"])).requested_by == staff["editor"]

    # The signer who overrode is not the submitter: they approve their own step and it releases.
    assert approve_all([reviewer, signer], post["id"])["post_status"] == "approved"
    assert WechatArticlePage.objects.get(pk=post["id"]).live

    decision = CheckRun.objects.get(post_id=post["id"], overridden_by__isnull=False)
    assert (decision.override_reason, decision.overridden_by) == (REASON, staff["signer"])
    event = LedgerEvent.objects.get(action="post.check_overridden", object_id=str(post["id"]))
    assert event.actor == "signer" and event.data["rules"] == ["leader_title"]
    assert event.data["revision_id"] == decision.revision_id and event.data["findings"][0]["rule"] == "leader_title"
    history = editor.get(f"/api/v1/history/post/{post['id']}").json()
    overridden = next(e for e in history if e["action"] == "post.check_overridden")
    assert overridden["actor"] == "signer" and REASON in overridden["summary"]
    submitted = next(e for e in history if e["action"] == "post.submitted")
    assert submitted["changes"]["submitter"] == "editor" and submitted["changes"]["overridden_by"] == "signer"


def test_self_approval_by_the_real_submitter_stays_refused_after_an_override(org, staff, leaders, cover, api):
    rev_editor, signer = api("rev_editor"), api("signer")
    post = draft(rev_editor, org, cover)
    assert signer.post(f"/api/v1/posts/{post['id']}/submit", {"override_reason": REASON}).status_code == 200
    step = ReviewStep.objects.get(post_id=post["id"], open=True)
    assert step.requested_by == staff["rev_editor"]
    response = rev_editor.post(f"/api/v1/reviews/{step.pk}/approve", {})
    assert response.status_code == 403 and response.json()["error"]["code"] == "self_approval"


def test_signer_override_in_the_admin_editor_keeps_the_editor_as_submitter(
    org, staff, leaders, cover, api, admin_client_for
):
    editor = api("editor")
    post = draft(editor, org, cover)
    client = admin_client_for(staff["signer"])
    edit_url = f"/admin/pages/{post['id']}/edit/"
    form = querydict_from_html(client.get(edit_url).content.decode(), form_id="page-edit-form")
    form.update({"body": rich_text(BAD_BODY), "override_reason": REASON, "action-submit": "提交审核"})
    response = client.post(edit_url, {key: form.getlist(key) for key in form})
    assert response.status_code == 302, response.content.decode()[:3000]

    state = WorkflowState.objects.get(object_id=str(post["id"]), status=WorkflowState.STATUS_IN_PROGRESS)
    assert state.requested_by == staff["editor"]
    step = ReviewStep.objects.get(post_id=post["id"], open=True)
    assert step.requested_by == staff["editor"]
    assert CheckRun.objects.filter(post_id=post["id"], overridden_by=staff["signer"], override_reason=REASON).exists()
    submitted = LedgerEvent.objects.get(action="post.submitted", object_id=str(post["id"]))
    assert submitted.actor == "signer" and submitted.data["submitter"] == "editor"

    # The reviewer approves from the page editor (without corrections), then the signer who
    # overrode approves their own step from the workflow action.
    reviewer = admin_client_for(staff["reviewer"])
    form = querydict_from_html(reviewer.get(edit_url).content.decode(), form_id="page-edit-form")
    form.update({"action-workflow-action": "true", "workflow-action-name": "approve"})
    assert reviewer.post(edit_url, {key: form.getlist(key) for key in form}).status_code == 302
    step = ReviewStep.objects.get(post_id=post["id"], open=True)
    url = f"/admin/pages/workflow/action/{post['id']}/approve/{step.task_state_id}/"
    assert client.post(url, {"comment": "同意"}).status_code in (200, 302)
    article = WechatArticlePage.objects.get(pk=post["id"])
    assert article.live and article.status == "approved"
    actions = [e.action for e in LedgerEvent.objects.filter(object_type="post", object_id=str(post["id"]))]
    assert actions.count("post.approved") == 2
    assert "post.updated" not in actions[actions.index("post.approved") :], "approving is not editing"


def test_content_errors_are_platform_refusals_only_when_the_platform_answered():
    ours = base.ContentError("正文图片无法读取", platform_code="image")
    theirs = base.ContentError("repeated weibo text", platform_code=20019)
    theirs.steps = [{"call": "POST /2/statuses/share.json", "http_status": 400, "error_code": 20019}]
    unsent = base.ContentError("x", platform_code="connect")
    unsent.steps = [{"call": "POST /2/statuses/share.json", "error": "ConnectError"}]
    assert [failure_outcome(e) for e in (ours, theirs, unsent)] == ["invalid", "content", "invalid"]
