"""Moves of inbox items between people and agencies: assign (分派), transfer (转办), and the
receiving side's decision on a transfer across jurisdictions (接收 / 退回).

A transfer inside the jurisdiction of the item's current agency (`inbox.routing.jurisdiction_of`)
moves the item at once. Across jurisdictions it opens an `InboxTransfer` that an admin of the
receiving agency accepts (the item moves then) or declines (it stays). Every move is saved with a
simple-history reason and recorded in the ledger in the same transaction (`inbox.assigned`,
`inbox.transferred`, `inbox.transfer_requested`, `inbox.transfer_accepted`,
`inbox.transfer_declined`).
"""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import ledger
from govcms.capabilities import person, require
from govcms.models import AgencyPage
from govcms.services import ServiceError, notify

from . import policy
from .models import InboxItem, InboxTransfer, TransferStatus
from .routing import same_jurisdiction, transfer_targets
from .text import sanitize_text

logger = logging.getLogger(__name__)

REASON_LIMIT = 500


def _reason(raw) -> str:

    reason, cut = sanitize_text(raw)
    if not reason:
        raise ServiceError("empty_reason", _("请填写理由"), status=422)
    if cut or len(reason) > REASON_LIMIT:
        raise ServiceError("reason_too_long", _("理由不能超过 %(limit)s 个字符") % {"limit": REASON_LIMIT}, status=422)
    return reason


def _locked(item: InboxItem) -> InboxItem:
    return InboxItem.objects.select_for_update(of=("self",)).select_related("account", "agency").get(pk=item.pk)


def unknown_user() -> ServiceError:
    """The answer for a person who does not exist or cannot handle the items: the same, so that
    usernames of other jurisdictions are not revealed."""
    return ServiceError("unknown_user", _("用户不存在或不能办理该单位的互动事项"), status=422)


def item_assign(*, actor, item: InboxItem, assignee) -> InboxItem:
    """Name the person who handles `item`: someone who can handle its agency's items
    (`policy.may_be_assigned`; 422 `unknown_user` otherwise, as for a missing user)."""
    require(policy.may_move_item(actor, item))
    agency = item.agency or item.account
    if assignee is None or not assignee.is_active or not policy.may_be_assigned(assignee, agency):
        raise unknown_user()
    with transaction.atomic():
        item = _locked(item)
        previous = item.assignee
        if previous is not None and previous.pk == assignee.pk:
            return item
        item.assignee = assignee
        item._change_reason = f"assigned to {assignee.username}"
        item.save(update_fields=["assignee"])
        ledger.record(
            action="inbox.assigned",
            actor=actor,
            obj=item,
            data={
                "account_id": item.account_id,
                "agency_id": item.agency_id,
                "assignee": assignee.username,
                "previous": previous.username if previous else None,
            },
            scope=item.account.path,
        )
        message = _("互动事项 #%(id)s 已分派给您办理") % {"id": item.pk}
        transaction.on_commit(lambda: notify(users=[assignee], kind="inbox_assigned", message=message, obj=item))
    return item


def item_transfer(*, actor, item: InboxItem, agency: AgencyPage, reason: str) -> tuple[InboxItem, InboxTransfer | None]:
    """Transfer `item` to `agency` with a reason. Inside the jurisdiction of the item's current
    agency: moved now (the assignee is cleared), returns (item, None). Across: a pending transfer
    for the receiving agency's admins, returns (item, transfer); 409 while one is pending."""
    require(policy.may_move_item(actor, item))
    reason = _reason(reason)
    with transaction.atomic():
        item = _locked(item)
        if item.agency_id == agency.pk:
            raise ServiceError("same_agency", _("事项已由该单位办理"), status=422)
        if not transfer_targets(item).filter(pk=agency.pk).exists():
            raise ServiceError("unknown_agency", _("机构不存在"), status=422)
        here = item.agency.path if item.agency_id else item.account.path
        data = {"account_id": item.account_id, "from_agency_id": item.agency_id, "to_agency_id": agency.pk}
        if same_jurisdiction(here, agency.path):
            item.agency, item.assignee = agency, None
            item._change_reason = f"transferred to agency {agency.pk}: {reason}"
            item.save(update_fields=["agency", "assignee"])
            ledger.record(
                action="inbox.transferred",
                actor=actor,
                obj=item,
                data={**data, "reason": reason},
                scope=item.account.path,
            )
            return item, None
        try:
            with transaction.atomic():
                transfer = InboxTransfer.objects.create(
                    item=item, from_agency=item.agency, to_agency=agency, reason=reason, requested_by=person(actor)
                )
        except IntegrityError:
            raise ServiceError("transfer_pending", _("该事项已有待接收的转办"), status=409) from None
        ledger.record(
            action="inbox.transfer_requested",
            actor=actor,
            obj=item,
            data={**data, "transfer_id": transfer.pk, "reason": reason},
            scope=item.account.path,
        )
        message = _("%(agency)s 申请将互动事项 #%(id)s 转至贵单位办理：%(reason)s") % {
            "agency": item.agency.title if item.agency_id else item.account.title,
            "id": item.pk,
            "reason": reason,
        }
        transaction.on_commit(lambda: _tell_deciders(transfer, message))
    return item, transfer


def _tell_deciders(transfer: InboxTransfer, message: str) -> None:
    from editorial.services import users_with_role_at

    users = list(users_with_role_at(roles=policy.transfer_deciders(), path=transfer.to_agency.path))
    notify(users=users, kind="inbox_transfer", message=message, obj=transfer)


def _decide(*, actor, transfer: InboxTransfer, accept: bool, note: str) -> InboxTransfer:
    require(policy.may_decide_transfer(actor, transfer))
    with transaction.atomic():
        transfer = (
            InboxTransfer.objects.select_for_update(of=("self",))
            .select_related("to_agency", "requested_by")
            .get(pk=transfer.pk)
        )
        if transfer.status != TransferStatus.PENDING:
            raise ServiceError("transfer_decided", _("该转办已处理"), status=409)
        item = _locked(transfer.item)
        transfer.status = TransferStatus.ACCEPTED if accept else TransferStatus.DECLINED
        transfer.decided_by, transfer.decided_at, transfer.decision_note = person(actor), timezone.now(), note
        transfer.save()
        if accept:
            item.agency, item.assignee = transfer.to_agency, None
            item._change_reason = f"transfer {transfer.pk} accepted"
            item.save(update_fields=["agency", "assignee"])
        ledger.record(
            action="inbox.transfer_accepted" if accept else "inbox.transfer_declined",
            actor=actor,
            obj=item,
            data={
                "account_id": item.account_id,
                "transfer_id": transfer.pk,
                "from_agency_id": transfer.from_agency_id,
                "to_agency_id": transfer.to_agency_id,
                "note": note,
            },
            scope=item.account.path,
        )
        if transfer.requested_by is not None:
            message = (
                _("互动事项 #%(id)s 的转办已被接收") if accept else _("互动事项 #%(id)s 的转办被退回：%(note)s")
            ) % {"id": item.pk, "note": note}
            requester = transfer.requested_by
            transaction.on_commit(lambda: notify(users=[requester], kind="inbox_transfer", message=message, obj=item))
    return transfer


def transfer_accept(*, actor, transfer: InboxTransfer, note: str = "") -> InboxTransfer:
    """The receiving agency's admin takes the item over (`policy.may_decide_transfer`)."""
    clean = _reason(note) if note else ""
    return _decide(actor=actor, transfer=transfer, accept=True, note=clean)


def transfer_decline(*, actor, transfer: InboxTransfer, reason: str) -> InboxTransfer:
    """The receiving agency's admin sends the transfer back, with a reason; the item stays."""
    return _decide(actor=actor, transfer=transfer, accept=False, note=_reason(reason))
