"""Who may act on posts, review items, campaigns, review chains and the check lexicons.

Pure answers built on the capability table (`govcms.capabilities`) and the actor's assignments
in force at `at` (default now): None when allowed, else a `Refusal` (code, message, whether the
object lies outside the actor's jurisdiction). The editorial services begin with
`require(policy.may_x(actor, obj))`; the API, the admin and the Wagtail hooks call these only to
show or hide what the actor may use.
"""

import logging
from datetime import datetime

from django.utils.translation import gettext as _
from wagtail.models import TaskState

from govcms import capabilities as caps
from govcms.capabilities import Refusal, check

from .models import ReviewRecord, ReviewStep

logger = logging.getLogger(__name__)


def may_draft(actor, account, *, at: datetime | None = None) -> Refusal | None:
    """Draft a post on `account`."""
    return check(actor, "post.draft", account.path, obj=account, at=at)


def may_edit(actor, post, *, at: datetime | None = None) -> Refusal | None:
    """Edit a post's text (the post's own state — draft, sent back — is the service's business)."""
    return check(actor, "post.edit", post.path, obj=post, at=at)


def may_check(actor, post, *, at: datetime | None = None) -> Refusal | None:
    """Run the checks and keep the result (a reader — an auditor — gets an unsaved run)."""
    return check(actor, "post.check", post.path, obj=post, at=at)


def may_submit(actor, post, *, at: datetime | None = None) -> Refusal | None:
    return check(actor, "post.submit", post.path, obj=post, at=at)


def may_override(actor, post, *, at: datetime | None = None) -> Refusal | None:
    """Let a revision's blocking findings go to review with a reason (强制提交): signers."""
    refusal = check(actor, "post.override_check", post.path, obj=post, at=at)
    if refusal is not None and not refusal.outside and refusal.code == "forbidden":
        return Refusal(
            "override_requires_signer",
            _("只有签发人可以填写理由强制提交"),
            capability=refusal.capability,
            actor_id=refusal.actor_id,
            object_id=refusal.object_id,
        )
    return refusal


def may_request_withdrawal(actor, post, *, at: datetime | None = None) -> Refusal | None:
    return check(actor, "post.withdraw", post.path, obj=post, at=at, message=_("当前岗位无权申请撤回"))


def may_create_campaign(actor, agency, *, at: datetime | None = None) -> Refusal | None:
    return check(actor, "campaign.create", agency.path, obj=agency, at=at)


def may_configure_chain(actor, page, *, at: datetime | None = None) -> Refusal | None:
    """Set the review chain of an agency or account."""
    return check(actor, "chain.configure", page.path, obj=page, at=at)


def may_import_lexicon(actor, *, at: datetime | None = None) -> Refusal | None:
    """Maintain the content-check lexicon and the leader register (system admins)."""
    return check(actor, "lexicon.import", None, at=at)


def may_run_upkeep(actor, *, at: datetime | None = None) -> Refusal | None:
    """Scheduled release, review reminders and escalations: the system actor (or a system admin
    running the task by hand)."""
    return check(actor, "system.upkeep", None, at=at)


def may_decide(actor, step: ReviewStep | None, *, at: datetime | None = None) -> Refusal | None:
    """None if `actor` may approve or reject this review item now; otherwise why not.

    Rules: the item must be open; the submitter never decides their own item; one user approves
    at most one step of a run; the user must hold one of the item's roles (its own or the one it
    escalated to) on the post's account or an ancestor agency at this moment. An item outside the
    actor's jurisdiction is refused as outside (404).
    """
    capability = "post.approve_step"
    if step is None:
        return Refusal("not_reviewer", _("该步骤不属于审核流程"), capability=capability)
    ids = {"capability": capability, "actor_id": caps.actor_id(actor), "object_id": str(step.pk)}
    if actor is None or not caps.sees(actor, step.post_path, at=at):
        return caps.refuse(actor, capability, path=step.post_path, obj=step, at=at)
    if not step.open or (step.task_state_id and step.task_state.status != TaskState.STATUS_IN_PROGRESS):
        return Refusal("step_closed", _("该审核步骤已结束"), **ids)
    if step.requested_by_id == getattr(actor, "pk", None):
        return Refusal("self_approval", _("提交人不能审核自己提交的内容"), **ids)
    if (
        step.workflow_state_id
        and ReviewRecord.objects.filter(workflow_state=step.workflow_state_id, user=actor, action="approve").exists()
    ):
        return Refusal("already_approved_step", _("同一审核流程中每人只能审批一个步骤"), **ids)
    if acting_role(actor, step, at=at) is None:
        return Refusal("not_reviewer", _("您在该账号上没有此步骤所需的岗位"), **ids)
    return None


def acting_role(actor, step: ReviewStep, *, at: datetime | None = None) -> str | None:
    """The step role `actor` decides in (the first of the step's roles they hold on the post)."""
    if caps.is_everywhere(actor, at=at):
        return step.roles[0] if step.roles else None
    scopes = caps.user_scopes(actor, at=at)
    return next(
        (r for r in step.roles if any(s.role == r and s.path and step.post_path.startswith(s.path) for s in scopes)),
        None,
    )


def override_notified_roles() -> set[str]:
    """Who is told of an override or a failed after-the-fact review: those who may override."""
    return caps.roles_with("post.override_check") - {caps.GLOBAL_ROLE}
