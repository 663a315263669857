"""Moderation (评论处置): hiding or deleting a harmful comment, with a reason, through the same
one-step reply review as replies (`inbox.reviewing`), then done on the platform by
`inbox.delivery` (both platforms' calls are repeatable, so a lost answer is retried).

Where the platform allows it (`Backend.moderation_actions`): WeChat "hide" is
`comment/unmarkelect` (a comment is shown publicly only while elected, 精选), "delete" is
`comment/delete`; Weibo has no hiding through the open API, only `comments/destroy`. Anything
else is refused before review (409 moderation_unsupported), as are messages and items entered by
hand, which are not public comments.
"""

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from audit import ledger
from govcms.capabilities import person, require
from govcms.services import ServiceError
from publishing.backends.registry import get_backend

from . import delivery, policy, reviewing
from .models import DeliveryStatus, InboxItem, ItemKind, Moderation, ModerationAction

logger = logging.getLogger(__name__)

REASON_LIMIT = 500
PENDING = (DeliveryStatus.IN_REVIEW, DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.UNKNOWN)


def moderation_request(*, actor, item: InboxItem, action: str, reason: str) -> Moderation:
    """Ask for `item` (a comment) to be hidden or deleted; opens its review. Refusals
    (ServiceError): invalid_action / reason_required / reason_too_long (422),
    moderation_unsupported / moderation_pending (409)."""
    require(policy.may_moderate(actor, item))
    if action not in ModerationAction.values:
        raise ServiceError("invalid_action", _("处置方式只能是隐藏（hide）或删除（delete）"), status=422)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("reason_required", _("处置评论须说明理由"), status=422)
    if len(reason) > REASON_LIMIT:
        raise ServiceError("reason_too_long", _("理由不能超过 %(limit)s 个字符") % {"limit": REASON_LIMIT}, status=422)
    if item.kind != ItemKind.COMMENT or not item.platform_post_id:
        raise ServiceError(
            "moderation_unsupported", _("只有平台上的公开评论可以隐藏或删除"), status=409, details={"kind": item.kind}
        )
    if action not in get_backend(item.platform).moderation_actions:
        raise ServiceError(
            "moderation_unsupported",
            _("该平台不支持此处置方式（微博开放接口不能隐藏评论，只能删除）"),
            status=409,
            details={"platform": item.platform, "action": action},
        )
    with transaction.atomic():
        item = InboxItem.objects.select_for_update().select_related("account").get(pk=item.pk)
        if Moderation.objects.filter(item=item, status__in=PENDING).exists():
            raise ServiceError("moderation_pending", _("该评论已有待审核或待执行的处置"), status=409)
        label = ModerationAction(action).label
        step = reviewing.open_review(actor=actor, item=item, step_name=_("评论处置审核"), note=f"{label}：{reason}")
        moderation = Moderation.objects.create(
            item=item, action=action, reason=reason, requested_by=person(actor), review_step=step
        )
        ledger.record(
            action="inbox.moderation_requested",
            actor=actor,
            obj=item,
            data={"moderation_id": moderation.pk, "task_id": step.pk, "action": action, "reason": reason},
            scope=item.account.path,
        )
    return moderation


def _comment_id(item: InboxItem) -> str:
    return item.platform_id.rsplit(":", 1)[-1]


def _send(moderation: Moderation, backend, credentials) -> dict:
    item = moderation.item
    return backend.moderate(
        credentials=credentials,
        platform_post_id=item.platform_post_id,
        comment_id=_comment_id(item),
        action=moderation.action,
    )


def _done(moderation: Moderation, result: dict) -> None:
    ledger.record(
        action="inbox.moderated",
        obj=moderation.item,
        data={
            "moderation_id": moderation.pk,
            "action": moderation.action,
            "reason": moderation.reason,
            "already_gone": bool(result.get("already_gone")),
        },
        scope=moderation.item.account.path,
    )


# Hiding and deleting are repeatable (a deleted comment answers "already gone"): after a lost
# answer, doing it again is the look.
MODERATION = delivery.register(delivery.Kind(name="moderation", model=Moderation, send=_send, done=_done, look=_send))


def moderation_out(moderation: Moderation) -> dict:
    """A moderation request as the API and the item's conversation show it."""
    return {
        "id": moderation.pk,
        "kind": "moderation",
        "action": moderation.action,
        "reason": moderation.reason,
        "status": moderation.status,
        "task_id": moderation.review_step_id,
        "requested_by": moderation.requested_by.username if moderation.requested_by_id else None,
        "requested_at": moderation.requested_at,
        "approved_by": moderation.approved_by.username if moderation.approved_by_id else None,
        "done_at": moderation.done_at,
        "error": {"code": moderation.last_error_code, "message": moderation.last_error}
        if moderation.last_error
        else None,
    }
