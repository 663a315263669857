"""The reply review (回复审核): one step that replies and moderation requests pass before anything
reaches the platform.

The step is an `editorial.models.ReviewStep` of kind "reply" on the item's account (its `post` is
the account page, `post_path` its tree path), so it shows in the reviewers' queue
(`GET /api/v1/reviews`, 待我审核) and is decided by `editorial.services.review_act` with the
review rules of every other item: the drafter never approves their own (self_approval), the
approver holds the step's role on the account or above, rejection needs a comment, an overdue
step escalates. The decision reaches the inbox through `editorial.signals.review_decided`
(`on_review_decided`), inside the deciding transaction.
"""

import logging

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from editorial.models import ReviewKind, ReviewStep
from editorial.services import users_with_role_at
from govcms import capabilities as caps
from govcms.capabilities import person
from govcms.services import notify
from govcms.workdays import add_working_hours

from . import delivery
from .models import DeliveryStatus, InboxItem, PlatformAction

logger = logging.getLogger(__name__)


def open_review(*, actor, item: InboxItem, step_name: str, note: str) -> ReviewStep:
    """Open the one-step reply review of `item` (approved by a reviewer of its account or above,
    never the requester) and tell the reviewers."""
    now = timezone.now()
    account = item.account
    step = ReviewStep.objects.create(
        kind=ReviewKind.REPLY,
        post=account,
        post_path=account.path,
        step_name=step_name,
        step_index=1,
        steps_total=1,
        roles_text="," + ",".join(caps.REPLY_STEP_ROLES) + ",",
        requested_by=person(actor),
        submitted_at=now,
        due_at=add_working_hours(now, settings.GOVCMS_REVIEW_STEP_DUE_HOURS),
        note=note,
    )
    reviewers = users_with_role_at(roles=set(caps.REPLY_STEP_ROLES), path=account.path)
    if step.requested_by_id:
        reviewers = reviewers.exclude(pk=step.requested_by_id)
    notify(
        users=list(reviewers),
        kind="inbox_review",
        message=_("%(account)s 的互动事项 #%(item)s 有待审核的%(step)s")
        % {
            "account": account.title,
            "item": item.pk,
            "step": step_name,
        },
        obj=item,
    )
    return step


def subject_of(step: ReviewStep) -> tuple[delivery.Kind, PlatformAction] | None:
    """The reply or moderation request a review step decides (None for any other step)."""
    if step.kind != ReviewKind.REPLY:
        return None
    for kind in delivery.KINDS.values():
        obj = kind.model.objects.select_related("item__account").filter(review_step=step).first()
        if obj is not None:
            return kind, obj
    return None


def on_review_decided(sender, *, step: ReviewStep, user, action: str, comment: str, **kwargs) -> None:
    """Approved: queue it for the platform (after commit). Rejected: tell the requester."""
    found = subject_of(step)
    if found is None:
        logger.warning("reply review step %s decides nothing the inbox knows", step.pk)
        return
    kind, obj = found
    if action == "approve":
        obj.status = DeliveryStatus.QUEUED
        obj.approved_by = user
        obj.approved_at = timezone.now()
        obj.save(update_fields=["status", "approved_by", "approved_at"])
        delivery.enqueue(kind, obj)
        return
    obj.status = DeliveryStatus.REJECTED
    obj.save(update_fields=["status"])
    if obj.requested_by_id:
        notify(
            users=[obj.requested_by],
            kind=f"inbox_{kind.name}_rejected",
            message=_("互动事项 #%(item)s 的%(what)s被退回：%(comment)s")
            % {"item": obj.item_id, "what": obj._meta.verbose_name, "comment": comment},
            obj=obj.item,
        )


def reply_review_fields(step: ReviewStep) -> dict:
    """What the review queue adds for a reply review item: the inbox item, what is asked
    (reply / moderation) and its text, and where it stands (one query)."""
    found = subject_of(step)
    if found is None:
        return {"inbox_item_id": None, "subject": None, "text": step.note, "reply_status": None}
    kind, obj = found
    return {"inbox_item_id": obj.item_id, "subject": kind.name, "text": step.note, "reply_status": obj.status}
