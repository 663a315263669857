"""Interaction inbox endpoints (部门答疑): list, detail, items entered by hand.

Items outside the caller's jurisdiction answer 404 like missing ones (`inbox.selectors`).
Assignment, transfer (and the receiving side's decision on a transfer across jurisdictions) and
marking an item complex are in `inbox.moves` / `inbox.deadlines`.
"""

from typing import Literal

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from govcms import selectors
from govcms.capabilities import require
from govcms.models import AgencyPage
from inbox import policy as inbox_policy
from inbox.deadlines import item_mark_complex
from inbox.models import TEXT_LIMIT, Channel, InboxItem, InboxTransfer, ItemStatus, TransferStatus
from inbox.moves import REASON_LIMIT, item_assign, item_transfer, transfer_accept, transfer_decline
from inbox.replies import conversation
from inbox.selectors import items_visible_to, metrics, status_now, transfers_visible_to, with_status
from inbox.services import item_enter
from inbox.timeline import item_timeline

from .errors import ApiError
from .pagination import page
from .schemas import Id, Moment, MultilineText, Text

router = Router(tags=["inbox"])


class InboxFilter(Schema):
    status: ItemStatus | None = None
    account_id: Id | None = None
    agency_id: Id | None = None
    assignee: Text | None = Field(None, max_length=150)
    due_before: Moment | None = None


class InboxIn(Schema):
    account_id: Id
    text: MultilineText = Field(min_length=1, max_length=TEXT_LIMIT)
    author: Text = Field("", max_length=128)
    channel: Literal[Channel.PHONE, Channel.LETTER, Channel.HOTLINE, Channel.OTHER]
    received_at: Moment | None = None


LISTED_FIELDS = (
    "account_id",
    "platform",
    "kind",
    "channel",
    "author",
    "text",
    "received_at",
    "ack_due_at",
    "due_at",
    "status",
    "assignee_id",
    "agency_id",
    "publication_id",
)


def item_out(item: InboxItem) -> dict:
    return {
        "id": item.pk,
        "account_id": item.account_id,
        "platform": item.platform,
        "kind": item.kind,
        "channel": item.channel,
        "author": item.author,
        "text": item.text,
        "received_at": item.received_at,
        "ack_due_at": item.ack_due_at,
        "due_at": item.due_at,
        "status": item_status(item),
        "assignee": item.assignee.username if item.assignee_id else None,
        "agency_id": item.agency_id,
        "publication_id": item.publication_id,
    }


def item_status(item: InboxItem, now=None) -> str:
    """The stored status, or "overdue" for an item not answered by its due time."""
    return status_now(item, now)


@router.get("/inbox", summary="Inbox items of the caller's jurisdiction, newest first")
def inbox_list(request, filters: Query[InboxFilter]):
    # Only what `item_out` reads (the rows are wide: text, deadlines, upkeep marks, the user row).
    qs = items_visible_to(request.auth).select_related("assignee").only(*LISTED_FIELDS, "assignee__username")
    qs = with_status(qs, filters.status)
    if filters.account_id is not None:
        account = selectors.access_object(selectors.accounts_visible_to(request.auth), filters.account_id)
        qs = qs.filter(account=account)
    if filters.agency_id is not None:
        agency = selectors.access_object(selectors.agencies_visible_to(request.auth), filters.agency_id)
        qs = qs.filter(agency__path__startswith=agency.path)
    if filters.assignee:
        qs = qs.filter(assignee__username=filters.assignee)
    if filters.due_before is not None:
        qs = qs.filter(due_at__lt=filters.due_before)
    return page(request, qs.order_by("-received_at", "-id"), item_out)


@router.post("/inbox", response={201: dict}, summary="Enter an item by hand (phone, letter, 12345 referral)")
def inbox_create(request, payload: InboxIn):
    account = selectors.access_object(selectors.accounts_visible_to(request.auth), payload.account_id)
    if payload.received_at is not None and payload.received_at > timezone.now():
        raise ApiError(422, "invalid_received_at", _("收到时间不能晚于当前时间"))
    item = item_enter(
        actor=request.auth,
        account=account,
        text=payload.text,
        author=payload.author,
        channel=payload.channel,
        received_at=payload.received_at,
    )
    return Status(201, item_out(item))


class MetricsFilter(Schema):
    account_id: Id | None = None
    agency_id: Id | None = None
    since: Moment
    until: Moment


@router.get("/inbox/metrics", summary="Inbox figures of one account or agency for a period")
def inbox_metrics(request, filters: Query[MetricsFilter]):
    if (filters.account_id is None) == (filters.agency_id is None):
        raise ApiError(422, "invalid_scope", _("请指定 account_id 或 agency_id 之一"))
    if filters.until <= filters.since:
        raise ApiError(422, "invalid_period", _("until 必须晚于 since"))
    qs = items_visible_to(request.auth)
    if filters.account_id is not None:
        account = selectors.access_object(selectors.accounts_visible_to(request.auth), filters.account_id)
        qs = qs.filter(account=account)
    else:
        agency = selectors.access_object(selectors.agencies_visible_to(request.auth), filters.agency_id)
        qs = qs.filter(account__path__startswith=agency.path)
    return metrics(qs, since=filters.since, until=filters.until)


# --- cross-jurisdiction transfers (paths added to the contract's) -------------------------------


class TransferFilter(Schema):
    status: TransferStatus | None = None


class DecisionIn(Schema):
    note: Text = Field("", max_length=REASON_LIMIT)


class DeclineIn(Schema):
    reason: Text = Field(min_length=1, max_length=REASON_LIMIT)


def transfer_out(transfer: InboxTransfer) -> dict:
    item = transfer.item
    return {
        "id": transfer.pk,
        "item_id": item.pk,
        "account_id": item.account_id,
        "text": item.text,
        "received_at": item.received_at,
        "due_at": item.due_at,
        "from_agency_id": transfer.from_agency_id,
        "to_agency_id": transfer.to_agency_id,
        "reason": transfer.reason,
        "status": transfer.status,
        "requested_by": transfer.requested_by.username if transfer.requested_by_id else None,
        "requested_at": transfer.requested_at,
        "decided_by": transfer.decided_by.username if transfer.decided_by_id else None,
        "decided_at": transfer.decided_at,
        "decision_note": transfer.decision_note,
    }


def _transfers(request):
    return transfers_visible_to(request.auth).select_related("item", "requested_by", "decided_by", "to_agency")


@router.get("/inbox/transfers", summary="Cross-jurisdiction transfers of the caller's items or to their agencies")
def inbox_transfers(request, filters: Query[TransferFilter]):
    qs = _transfers(request)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return page(request, qs.order_by("-requested_at", "-id"), transfer_out)


@router.post("/inbox/transfers/{transfer_id}/accept", summary="The receiving agency's admin takes the item over")
def inbox_transfer_accept(request, transfer_id: Id, payload: DecisionIn):
    transfer = selectors.access_object(_transfers(request), transfer_id)
    return transfer_out(transfer_accept(actor=request.auth, transfer=transfer, note=payload.note))


@router.post("/inbox/transfers/{transfer_id}/decline", summary="The receiving agency's admin sends the transfer back")
def inbox_transfer_decline(request, transfer_id: Id, payload: DeclineIn):
    transfer = selectors.access_object(_transfers(request), transfer_id)
    return transfer_out(transfer_decline(actor=request.auth, transfer=transfer, reason=payload.reason))


# --- one item --------------------------------------------------------------------------------------


def _item(request, item_id) -> InboxItem:
    return selectors.access_object(items_visible_to(request.auth).select_related("assignee", "account"), item_id)


@router.get("/inbox/{item_id}", summary="One item with its conversation and history")
def inbox_detail(request, item_id: Id):
    item = _item(request, item_id)
    pending = item.transfers.filter(status=TransferStatus.PENDING).first()
    return {
        **item_out(item),
        "is_complex": item.is_complex,
        "pending_transfer": transfer_out(pending) if pending else None,
        "conversation": conversation(item),
        "history": item_timeline(item),
    }


class AssignIn(Schema):
    username: Text = Field(min_length=1, max_length=150)


class TransferIn(Schema):
    agency_id: Id
    reason: Text = Field(min_length=1, max_length=REASON_LIMIT)


class ComplexIn(Schema):
    is_complex: bool = True


@router.post("/inbox/{item_id}/assign", summary="Name the person handling the item")
def inbox_assign(request, item_id: Id, payload: AssignIn):
    item = _item(request, item_id)
    assignee = get_user_model().objects.filter(username=payload.username).first()
    return item_out(item_assign(actor=request.auth, item=item, assignee=assignee))


@router.post("/inbox/{item_id}/transfer", summary="Transfer the item to another agency")
def inbox_transfer(request, item_id: Id, payload: TransferIn):
    item = _item(request, item_id)
    agency = AgencyPage.objects.filter(pk=payload.agency_id).first()
    if agency is None:
        require(inbox_policy.may_move_item(request.auth, item))
        raise ApiError(422, "unknown_agency", _("机构不存在"), {"agency_id": payload.agency_id})
    item, transfer = item_transfer(actor=request.auth, item=item, agency=agency, reason=payload.reason)
    return {**item_out(item), "pending_transfer": transfer_out(transfer) if transfer else None}


@router.post("/inbox/{item_id}/complex", summary="Mark the item complex (longer answer deadline) or not")
def inbox_complex(request, item_id: Id, payload: ComplexIn):
    item = item_mark_complex(actor=request.auth, item=_item(request, item_id), is_complex=payload.is_complex)
    return {**item_out(item), "is_complex": item.is_complex}
