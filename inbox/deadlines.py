"""Inbox deadlines in working days (答复时限), per jurisdiction as data, and their upkeep.

Each item gets, from its receipt and the working-day calendar of its account's place
(`govcms.workdays`): `ack_due_at` (acknowledge), `due_at` (answer; the complex-item figure for a
complex item), `remind_at` (GOVCMS_INBOX_REMIND_HOURS before `due_at`) and `escalate_at`
(GOVCMS_INBOX_ESCALATE_DAYS working days after `due_at`). The figures come from the
`DeadlinePolicy` of the deepest agency above the account that has one, else from the settings
(1 / 5 / 15 working days). A changed policy applies to items received afterwards; marking an
item complex recomputes its answer deadline.

`deadline_upkeep` (beat, `inbox.tasks.deadline_sweep`) sends each reminder once, marks each item
overdue once and escalates it to the agency admins once: every step is guarded by its own
timestamp column, set in the same transaction as its ledger event, so overlapping sweeps or a
rerun never repeat one.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import ledger
from govcms.capabilities import SYSTEM, require
from govcms.models import AgencyPage
from govcms.services import ServiceError, notify
from govcms.workdays import WorkCalendar, add_working_days

from . import policy
from .models import DeadlinePolicy, InboxItem, ItemStatus

logger = logging.getLogger(__name__)

UNANSWERED = (ItemStatus.OPEN, ItemStatus.ACKNOWLEDGED, ItemStatus.OVERDUE)
DAYS_LIMIT = 60  # a deadline of more than three months is a typing error
BATCH = 500  # items per step per sweep; the next sweep takes the rest


@dataclass(frozen=True)
class Days:
    ack: int
    answer: int
    complex: int


def default_days() -> Days:
    return Days(settings.GOVCMS_INBOX_ACK_DAYS, settings.GOVCMS_INBOX_ANSWER_DAYS, settings.GOVCMS_INBOX_COMPLEX_DAYS)


def days_at(path: str) -> Days:
    """The deadlines in force at the account or agency at `path`: the deepest DeadlinePolicy on
    the path, else the settings' defaults. One query."""
    steplen = AgencyPage.steplen
    ancestors = [path[:i] for i in range(steplen, len(path) + 1, steplen)]
    row = DeadlinePolicy.objects.filter(agency__path__in=ancestors).order_by("-agency__depth").first()
    return Days(row.ack_days, row.answer_days, row.complex_days) if row else default_days()


def answer_due(received_at: datetime, *, path: str, days: Days, is_complex: bool, calendar: WorkCalendar) -> dict:
    """`due_at`, `remind_at` and `escalate_at` of an item received at `received_at`."""
    due = add_working_days(received_at, days.complex if is_complex else days.answer, path=path, calendar=calendar)
    escalate = (
        add_working_days(due, settings.GOVCMS_INBOX_ESCALATE_DAYS, path=path, calendar=calendar)
        if settings.GOVCMS_INBOX_ESCALATE_DAYS > 0
        else due
    )
    return {
        "due_at": due,
        "remind_at": due - timedelta(hours=settings.GOVCMS_INBOX_REMIND_HOURS),
        "escalate_at": escalate,
    }


def item_deadlines(
    account, received_at: datetime, *, calendar: WorkCalendar, days: Days | None = None, is_complex: bool = False
) -> dict:
    """Every deadline field of a new item of `account` (pass `days` when storing many)."""
    days = days or days_at(account.path)
    return {
        "ack_due_at": add_working_days(received_at, days.ack, path=account.path, calendar=calendar),
        **answer_due(received_at, path=account.path, days=days, is_complex=is_complex, calendar=calendar),
    }


# --- the data -----------------------------------------------------------------------------------


def deadlines_set(*, actor, agency: AgencyPage, ack_days: int, answer_days: int, complex_days: int) -> DeadlinePolicy:
    """Set the deadlines of `agency`'s jurisdiction (`inbox.manage` there). Each is 1–60 working
    days, and acknowledge ≤ answer ≤ complex (422 otherwise). Applies to items received later."""
    require(policy.may_configure(actor, agency))
    values = (ack_days, answer_days, complex_days)
    if not all(isinstance(v, int) and 1 <= v <= DAYS_LIMIT for v in values):
        raise ServiceError(
            "invalid_days", _("时限必须是 1 到 %(limit)s 之间的整数个工作日") % {"limit": DAYS_LIMIT}, status=422
        )
    if not ack_days <= answer_days <= complex_days:
        raise ServiceError("invalid_days", _("时限须满足：受理 ≤ 答复 ≤ 复杂事项答复"), status=422)
    with transaction.atomic():
        row, created = DeadlinePolicy.objects.select_for_update().get_or_create(
            agency=agency, defaults={"ack_days": ack_days, "answer_days": answer_days, "complex_days": complex_days}
        )
        before = {"ack_days": row.ack_days, "answer_days": row.answer_days, "complex_days": row.complex_days}
        row.ack_days, row.answer_days, row.complex_days = values
        row.save()
        ledger.record(
            action="inbox.deadlines_set",
            actor=actor,
            obj=row,
            data={
                "agency_id": agency.pk,
                "ack_days": ack_days,
                "answer_days": answer_days,
                "complex_days": complex_days,
                "before": None if created else before,
            },
            scope=agency.path,
        )
    return row


def item_mark_complex(*, actor, item: InboxItem, is_complex: bool = True) -> InboxItem:
    """Mark (or unmark) an item complex (复杂事项): its answer deadline is computed again from its
    receipt with the complex (or ordinary) figure of its jurisdiction. A deadline moved into the
    future lifts a stored overdue mark and allows a new reminder; an escalation already sent
    stays sent. Marking it as it already is changes nothing."""
    require(policy.may_move_item(actor, item))
    with transaction.atomic():
        item = InboxItem.objects.select_for_update().select_related("account").get(pk=item.pk)
        if item.is_complex == is_complex:
            return item
        if item.status not in UNANSWERED:
            raise ServiceError("item_answered", _("事项已答复或已办结，不能再调整时限"), status=409)
        before = item.due_at
        due = answer_due(
            item.received_at,
            path=item.account.path,
            days=days_at(item.account.path),
            is_complex=is_complex,
            calendar=WorkCalendar(),
        )
        item.is_complex = is_complex
        for key, value in due.items():
            setattr(item, key, value)
        now = timezone.now()
        if item.due_at > now:
            item.overdue_at = None
            if item.remind_at > now:
                item.reminded_at = None
            if item.status == ItemStatus.OVERDUE:
                item.status = ItemStatus.ACKNOWLEDGED if item.acknowledged_at else ItemStatus.OPEN
        item._change_reason = "marked complex" if is_complex else "unmarked complex"
        item.save()
        ledger.record(
            action="inbox.marked_complex" if is_complex else "inbox.unmarked_complex",
            actor=actor,
            obj=item,
            data={"account_id": item.account_id, "due_before": before, "due_at": item.due_at},
            scope=item.account.path,
        )
    return item


# --- upkeep ---------------------------------------------------------------------------------------


def _people_at(item: InboxItem, roles: set[str]) -> list:
    from editorial.services import users_with_role_at

    path = item.agency.path if item.agency_id else item.account.path
    return list(users_with_role_at(roles=roles, path=path))


def _handlers(item: InboxItem) -> list:
    """The item's assignee, or (unassigned) who may handle its agency's items."""
    return [item.assignee] if item.assignee_id else _people_at(item, policy.handler_roles())


def _step(queryset, *, guard: str, now: datetime, apply) -> int:
    """Run `apply(item)` once for each item of `queryset` whose `guard` column is still empty,
    setting it to `now` in the same transaction (rows locked, SKIP LOCKED: a concurrent sweep
    takes other rows). Returns how many were done."""
    done = 0
    pks = list(queryset.filter(**{f"{guard}__isnull": True}).values_list("pk", flat=True)[:BATCH])
    for pk in pks:
        with transaction.atomic():
            item = (
                InboxItem.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("account", "agency", "assignee")
                .filter(pk=pk, **{f"{guard}__isnull": True})
                .first()
            )
            if item is None:
                continue
            setattr(item, guard, now)
            apply(item)
            done += 1
    return done


def _remind(item: InboxItem) -> None:
    item._change_reason = "reminded"
    item.save(update_fields=["reminded_at"])
    users = _handlers(item)
    ledger.record(
        action="inbox.reminded",
        actor=SYSTEM,
        obj=item,
        data={"account_id": item.account_id, "due_at": item.due_at, "notified": sorted(u.username for u in users)},
        scope=item.account.path,
    )
    message = _("互动事项 #%(id)s 将于 %(due)s 到期，请尽快答复") % {
        "id": item.pk,
        "due": timezone.localtime(item.due_at).strftime("%Y-%m-%d %H:%M"),
    }
    transaction.on_commit(lambda: notify(users=users, kind="inbox_due_soon", message=message, obj=item))


def _mark_overdue(item: InboxItem) -> None:
    item.status = ItemStatus.OVERDUE
    item._change_reason = "overdue"
    item.save(update_fields=["overdue_at", "status"])
    users = _handlers(item)
    ledger.record(
        action="inbox.overdue",
        actor=SYSTEM,
        obj=item,
        data={"account_id": item.account_id, "due_at": item.due_at},
        scope=item.account.path,
    )
    message = _("互动事项 #%(id)s 已超过答复期限") % {"id": item.pk}
    transaction.on_commit(lambda: notify(users=users, kind="inbox_overdue", message=message, obj=item))


def _escalate(item: InboxItem) -> None:
    item._change_reason = "escalated"
    item.save(update_fields=["escalated_at"])
    users = _people_at(item, policy.escalation_roles())
    ledger.record(
        action="inbox.escalated",
        actor=SYSTEM,
        obj=item,
        data={"account_id": item.account_id, "due_at": item.due_at, "notified": sorted(u.username for u in users)},
        scope=item.account.path,
    )
    message = _("互动事项 #%(id)s 逾期未答复，已升级至单位管理员：%(text)s") % {"id": item.pk, "text": item.text[:60]}
    transaction.on_commit(lambda: notify(users=users, kind="inbox_escalated", message=message, obj=item))


def deadline_upkeep(*, now: datetime | None = None) -> dict:
    """One sweep: reminders (from `remind_at`, before `due_at`), overdue marks (from `due_at`),
    escalations (from `escalate_at`), of unanswered items, each at most once per item.
    Returns the counts {"reminded", "overdue", "escalated"}."""
    now = now or timezone.now()
    unanswered = InboxItem.objects.filter(status__in=UNANSWERED)
    return {
        "reminded": _step(
            unanswered.filter(remind_at__lte=now, due_at__gt=now), guard="reminded_at", now=now, apply=_remind
        ),
        "overdue": _step(
            unanswered.filter(status__in=(ItemStatus.OPEN, ItemStatus.ACKNOWLEDGED), due_at__lte=now),
            guard="overdue_at",
            now=now,
            apply=_mark_overdue,
        ),
        "escalated": _step(unanswered.filter(escalate_at__lte=now), guard="escalated_at", now=now, apply=_escalate),
    }
