"""Reads of the auditor workspace (监管工作台) in the admin, on top of the compliance engine and the
other apps' selectors, for the accounts a report covers (`selectors.report_accounts`, already
scoped to the caller's jurisdiction): the dashboard's counts, the posting trend, the response
times. The account register is `selectors.register_rows`; exports are recorded by
`exports.record_export`.

Each function costs a constant number of queries whatever the number of accounts."""

import logging
from datetime import datetime, time, timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from audit import ledger
from audit.models import LedgerEvent
from editorial.models import ReviewStep
from govcms import capabilities
from govcms.models import AccountPage, AccountStatus
from govcms.selectors import path_q
from inbox.models import InboxItem
from inbox.selectors import metrics, with_status
from publishing.models import Publication

from .compliance import Period, compliance

logger = logging.getLogger(__name__)

RECENT_LOGINS = 10
TREND_WEEKS = 12


def dashboard(actor, accounts: QuerySet[AccountPage], *, now=None) -> dict:
    """The auditor's dashboard figures for `accounts` (those of `actor`'s reports): accounts by
    status, accounts vetoed and warned today (the compliance report as of today), open review
    steps and the overdue ones, overdue interactions, and the latest staff logins in the ledger
    of `actor`'s jurisdiction."""
    now = now or timezone.now()
    by_status = dict(accounts.values("status").annotate(n=Count("pk")).order_by().values_list("status", "n"))
    report = compliance(accounts, Period.ending(timezone.localdate(now), now=now))
    paths = capabilities.scope_paths(actor, "report.read")
    reviews = ReviewStep.objects.filter(path_q(paths, "post_path"), open=True).aggregate(
        open=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=now))
    )
    overdue_items = with_status(InboxItem.objects.filter(account__in=accounts), "overdue", now=now).count()
    logins = list(
        LedgerEvent.objects.filter(action="auth.login")
        .filter(ledger.scope_q(capabilities.scope_paths(actor, "ledger.read")))
        .order_by("-seq")
        .values("at", "actor", "ip")[:RECENT_LOGINS]
    )
    return {
        "by_status": [(label, by_status.get(value, 0)) for value, label in AccountStatus.choices],
        "accounts": sum(by_status.values()),
        "vetoed": sum(1 for item in report["items"] if item["vetoes"]),
        "warned": sum(1 for item in report["items"] if item["warnings"] and not item["vetoes"]),
        "reviews_open": reviews["open"],
        "reviews_overdue": reviews["overdue"],
        "interactions_overdue": overdue_items,
        "logins": logins,
    }


def posting_trend(accounts: QuerySet[AccountPage], *, weeks: int = TREND_WEEKS, now=None) -> list[tuple[str, int]]:
    """Publications of `accounts` per ISO week (Monday, Beijing time) over the last `weeks` weeks
    including this one, oldest first: [("MM-DD" of the Monday, count)]. One query."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(weeks=weeks - 1)
    tz = timezone.get_current_timezone()
    since = datetime.combine(first, time.min, tzinfo=tz)
    counts = {
        timezone.localdate(row["week"]): row["n"]
        for row in Publication.objects.filter(account__in=accounts, published_at__gte=since, published_at__lt=now)
        .annotate(week=TruncWeek("published_at", tzinfo=tz))
        .values("week")
        .annotate(n=Count("pk"))
        .order_by()
    }
    days = [first + timedelta(weeks=n) for n in range(weeks)]
    return [(day.strftime("%m-%d"), counts.get(day, 0)) for day in days]


def response_times(accounts: QuerySet[AccountPage], period: Period) -> dict:
    """The inbox figures (`inbox.selectors.metrics`) of the items of `accounts` received in
    `period`: median and p90 hours from receipt to answer, among others."""
    return metrics(InboxItem.objects.filter(account__in=accounts), since=period.since, until=period.until)
