"""Interaction inbox endpoints (部门答疑): list, detail, items entered by hand.

Items outside the caller's jurisdiction answer 404 like missing ones (`inbox.selectors`).
Assignment, transfer, replies, moderation and metrics come with their services.
"""

from typing import Literal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from govcms import history, selectors
from inbox.models import TEXT_LIMIT, Channel, InboxItem, ItemStatus
from inbox.replies import conversation
from inbox.selectors import items_visible_to, metrics
from inbox.services import item_enter

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
    now = now or timezone.now()
    unanswered = item.status in (ItemStatus.OPEN, ItemStatus.ACKNOWLEDGED, ItemStatus.OVERDUE)
    return "overdue" if unanswered and item.due_at and item.due_at <= now else item.status


@router.get("/inbox", summary="Inbox items of the caller's jurisdiction, newest first")
def inbox_list(request, filters: Query[InboxFilter]):
    qs = items_visible_to(request.auth).select_related("assignee")
    now = timezone.now()
    unanswered = Q(status__in=[ItemStatus.OPEN, ItemStatus.ACKNOWLEDGED, ItemStatus.OVERDUE])
    if filters.status == ItemStatus.OVERDUE:
        qs = qs.filter(unanswered, due_at__lte=now)
    elif filters.status in (ItemStatus.OPEN, ItemStatus.ACKNOWLEDGED):
        qs = qs.filter(status=filters.status).exclude(due_at__lte=now)
    elif filters.status:
        qs = qs.filter(status=filters.status)
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


@router.get("/inbox/{item_id}", summary="One item with its conversation and history")
def inbox_detail(request, item_id: Id):
    item = selectors.access_object(items_visible_to(request.auth).select_related("assignee"), item_id)
    return {**item_out(item), "conversation": conversation(item), "history": _history(item)}


def _history(item: InboxItem) -> list[dict]:
    return [
        {"at": e["at"], "actor": e["actor"], "action": e["action"], "changes": e["changes"]}
        for e in history.ledger_entries("inboxitem", item.pk)
    ]
