"""The compliance engine: vetoes, warnings, deductions and scores of accounts as of a date.

Everything is computed from timestamps, so asking about a past date again later gives the same
answer whatever happened since: publications by `published_at`, the account's status from its
filed transitions (`AccountTransition.at`), inbox items by `received_at` / `answered_at` /
`due_at`, findings by `occurred_at` / `confirmed_at`, comment closures by their period, the
scheme by the version in force (`Scheme.created_at`). The figures of any number of accounts cost
a constant number of queries (one aggregate per source, grouped by account). The rules and their
thresholds are in docs/product.md ("Supervision"); every number is a setting or scheme data.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Max, Q, QuerySet, Window
from django.db.models.functions import Lag
from django.utils import timezone
from django.utils.translation import gettext as _

from govcms.models import AccountPage, AccountStatus, AccountTransition, AgencyPage
from govcms.services import ServiceError
from inbox.models import InboxItem
from inbox.selectors import metrics_by_account
from publishing.models import Publication

from .models import VETO_KINDS, CommentClosure, Finding, Scheme

logger = logging.getLogger(__name__)

HUNDRED = Decimal(100)
ASSESSED_STATUSES = (AccountStatus.OPERATING, AccountStatus.CHANGED)
# Transitions that start an operating spell (the silence clock starts there at the latest).
SPELL_STARTS = (AccountStatus.APPLIED, AccountStatus.SUSPENDED)


@dataclass(frozen=True)
class Period:
    """The report's day `as_of` and the period [since, until) it looks at (until = the end of
    `as_of` in Beijing time, or `now` when that is earlier; `as_of` is then today)."""

    as_of: date
    since: datetime
    until: datetime

    @classmethod
    def ending(cls, as_of: date, *, days: int | None = None, since: date | None = None, now=None) -> "Period":
        """The period of `days` (default GOVCMS_COMPLIANCE_PERIOD_DAYS) days ending with `as_of`,
        or starting on `since` when given."""
        now = now or timezone.now()
        as_of = min(as_of, timezone.localdate(now))  # a period still running is judged as of today
        tz = timezone.get_current_timezone()
        end = datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=tz)
        start_day = since or as_of - timedelta(days=(days or settings.GOVCMS_COMPLIANCE_PERIOD_DAYS) - 1)
        return cls(as_of=as_of, since=datetime.combine(start_day, time.min, tzinfo=tz), until=min(end, now))


@dataclass
class Figures:
    """What the data said about one account at the end of the period."""

    account_id: int
    name: str
    platform: str
    path: str
    agency_id: int | None = None
    status: str = AccountStatus.APPLIED
    operating_since: datetime | None = None
    last_post_at: datetime | None = None
    posts: int = 0  # published in the period
    posts_last_week: int = 0  # published in the 7 days ending with the period
    received: int = 0
    answered: int = 0
    answered_in_time: int = 0
    overdue: int = 0  # received in the period, not answered by its end, past due by then
    comments_closed: bool = False
    confirmed_findings: list[str] = field(default_factory=list)
    outsourced: bool = False
    contract_end: date | None = None
    agreement_signed_on: date | None = None
    agreement_expires_on: date | None = None
    # The longest silence in whole days inside the period (the annual assessment only; None
    # otherwise): exact once it reaches GOVCMS_COMPLIANCE_VETO_SILENT_DAYS, below that a lower
    # bound (only the veto reads it). See `longest_silences`.
    longest_silence: int | None = None

    @property
    def responsiveness(self) -> float | None:
        """Share of the period's interactions answered in time; None when none arrived."""
        return self.answered_in_time / self.received if self.received else None


def _by_account(rows, key="account_id") -> dict:
    return {row.pop(key): row for row in rows}


def figures(accounts: QuerySet[AccountPage], period: Period, *, whole_period: bool = False) -> list[Figures]:
    """The figures of the accounts of `accounts` that existed and were operating (已备案运营 or
    已变更) at the end of `period`, in tree order. Eight queries, whatever the number of accounts;
    nine with `whole_period` (the annual assessment), which adds each account's longest silence
    inside the period (`longest_silences`)."""
    until, since = period.until, period.since
    ids = accounts.filter(Q(first_published_at__isnull=True) | Q(first_published_at__lt=until)).values("pk")
    transitions = AccountTransition.objects.filter(account__in=ids, at__lt=until)
    if connection.vendor == "postgresql":
        latest = transitions.order_by("account_id", "-at", "-id").distinct("account_id")
    else:  # no DISTINCT ON (the embedded SQLite): every transition, oldest first; the newest wins
        latest = transitions.order_by("account_id", "at", "id")
    statuses = dict(latest.values_list("account_id", "to_status"))
    spells = dict(
        AccountTransition.objects.filter(
            account__in=ids, at__lt=until, to_status=AccountStatus.OPERATING, from_status__in=SPELL_STARTS
        )
        .values("account_id")
        .annotate(start=Max("at"))
        .order_by()
        .values_list("account_id", "start")
    )
    posts = _by_account(
        Publication.objects.filter(account__in=ids, published_at__lt=until)
        .values("account_id")
        .annotate(
            last=Max("published_at"),
            in_period=Count("id", filter=Q(published_at__gte=since)),
            last_week=Count("id", filter=Q(published_at__gte=until - timedelta(days=7))),
        )
        .order_by()
    )
    inbox = metrics_by_account(InboxItem.objects.filter(account__in=ids), since=since, until=until)
    findings: dict[int, list[str]] = {}
    for account_id, kind in (
        Finding.objects.filter(
            account__in=ids, kind__in=VETO_KINDS, confirmed_at__lt=until, occurred_at__gte=since, occurred_at__lt=until
        )
        .values_list("account_id", "kind")
        .distinct()
        .order_by("account_id", "kind")
    ):
        findings.setdefault(account_id, []).append(kind)
    closed = set(
        CommentClosure.objects.filter(account__in=ids, closed_at__lt=until)
        .filter(Q(reopened_at__isnull=True) | Q(reopened_at__gte=until))
        .values_list("account_id", flat=True)
    )
    rows = AccountPage.objects.filter(pk__in=ids).order_by("path")
    result = []
    for account in rows.values(
        "pk",
        "title",
        "platform",
        "path",
        "depth",
        "outsourced",
        "contract_end",
        "security_agreement_signed_on",
        "security_agreement_expires_on",
    ):
        status = statuses.get(account["pk"], AccountStatus.APPLIED)
        if status not in ASSESSED_STATUSES:
            continue
        post = posts.get(account["pk"], {})
        box = inbox.get(account["pk"], {})
        result.append(
            Figures(
                account_id=account["pk"],
                name=account["title"],
                platform=account["platform"],
                path=account["path"],
                status=status,
                operating_since=spells.get(account["pk"]),
                last_post_at=post.get("last"),
                posts=post.get("in_period", 0),
                posts_last_week=post.get("last_week", 0),
                received=box.get("received", 0),
                answered=box.get("answered", 0),
                answered_in_time=box.get("answered_in_time", 0),
                overdue=box.get("overdue_at_end", 0),
                comments_closed=account["pk"] in closed,
                confirmed_findings=findings.get(account["pk"], []),
                outsourced=account["outsourced"],
                contract_end=account["contract_end"],
                agreement_signed_on=account["security_agreement_signed_on"],
                agreement_expires_on=account["security_agreement_expires_on"],
            )
        )
    if whole_period:
        longest = longest_silences(ids, period, spells)
        for fig in result:
            fig.longest_silence = max(longest.get(fig.account_id, 0), _closing_silence(fig, period))
    _attach_agencies(result)
    return result


def _silence_start(period: Period, operating_since: datetime | None) -> datetime:
    """Where silences inside `period` are counted from: its start, or the start of the account's
    operating spell when later (a gap that crosses either counts only from there)."""
    return max(period.since, operating_since) if operating_since is not None else period.since


def _closing_silence(fig: Figures, period: Period) -> int:
    """Whole days from the last publication (or the silence start, if later) to `period.as_of`."""
    start = _silence_start(period, fig.operating_since)
    last = max(fig.last_post_at, start) if fig.last_post_at is not None else start
    return (period.as_of - timezone.localdate(last)).days


def longest_silences(ids, period: Period, spells: dict[int, datetime]) -> dict[int, int]:
    """{account id: the longest silence in whole (Beijing) days between consecutive publications
    inside `period`, the first counted from `_silence_start`} for the accounts of the `ids`
    subquery; accounts with no publication inside are absent (the closing silence covers them).

    One query: LAG over each account's publications of the period (PostgreSQL, SQLite ≥ 3.25),
    keeping only each account's first publication and those that follow a gap of at least
    VETO_SILENT_DAYS - 1 days of timestamps (a gap of N calendar days spans more than N - 1 days),
    so the rows read do not grow with the posting rate. A gap below the veto threshold may
    therefore be under-counted; one that reaches it is exact. Timestamps only: a past period's
    answer never changes."""
    threshold = max(settings.GOVCMS_COMPLIANCE_VETO_SILENT_DAYS - 1, 0)
    rows = (
        Publication.objects.filter(account__in=ids, published_at__gte=period.since, published_at__lt=period.until)
        .annotate(
            previous=Window(
                Lag("published_at"), partition_by=[F("account_id")], order_by=[F("published_at").asc(), F("id").asc()]
            )
        )
        .filter(Q(previous__isnull=True) | Q(previous__lte=F("published_at") - timedelta(days=threshold)))
        .values_list("account_id", "published_at", "previous")
    )
    longest: dict[int, int] = {}
    for account_id, published_at, previous in rows:
        start = _silence_start(period, spells.get(account_id))
        if published_at < start:  # before this operating spell
            continue
        since = previous if previous is not None and previous > start else start
        days = (timezone.localdate(published_at) - timezone.localdate(since)).days
        longest[account_id] = max(longest.get(account_id, 0), days)
    return longest


def _attach_agencies(rows: list[Figures]) -> None:
    """Each account's agency id (its parent page), in one query."""
    parents = {row.path[: -AccountPage.steplen] for row in rows}
    ids = dict(AgencyPage.objects.filter(path__in=parents).values_list("path", "pk"))
    for row in rows:
        row.agency_id = ids.get(row.path[: -AccountPage.steplen])


# --- schemes ---------------------------------------------------------------------------------


class Schemes:
    """The scheme versions in force at a moment, to pick the one that assesses each account: the
    newest version of the nearest jurisdiction up the tree, else the default preset's. One query."""

    def __init__(self, until: datetime):
        rows = Scheme.objects.filter(created_at__lt=until).select_related("jurisdiction").order_by("version")
        self.by_path: dict[str, Scheme] = {}
        self.presets: dict[str, Scheme] = {}
        for scheme in rows:  # ascending versions: the newest wins
            if scheme.jurisdiction_id:
                self.by_path[scheme.jurisdiction.path] = scheme
            else:
                self.presets[scheme.preset] = scheme

    def default(self) -> Scheme:
        """The default preset's newest version. Shipped by migration oversight.0003; a database
        without it (emptied by hand) is a configuration error, answered 503, never a crash."""
        scheme = self.presets.get(settings.GOVCMS_DEFAULT_SCHEME)
        if scheme is None:
            logger.error("assessment preset %r is missing from the database", settings.GOVCMS_DEFAULT_SCHEME)
            raise ServiceError(
                "scheme_missing",
                _("缺少默认考核方案（%(preset)s），请联系系统管理员") % {"preset": settings.GOVCMS_DEFAULT_SCHEME},
                status=503,
            )
        return scheme

    def for_path(self, path: str) -> Scheme:
        """The scheme assessing the node at `path` (an account's or an agency's)."""
        for end in range(len(path), 0, -AccountPage.steplen):
            scheme = self.by_path.get(path[:end])
            if scheme is not None:
                return scheme
        return self.default()


def scheme_label(scheme: Scheme) -> dict:
    """How a report names the scheme version it used."""
    return {"id": scheme.pk, "scope": scheme.scope, "version": scheme.version, "name": scheme.name}


# --- rules -----------------------------------------------------------------------------------


def silence_days(fig: Figures, as_of: date) -> int | None:
    """Whole days from the last publication (or the start of the operating spell, if later or if
    nothing was published) to `as_of`; None when neither is known."""
    starts = [moment for moment in (fig.last_post_at, fig.operating_since) if moment is not None]
    if not starts:
        return None
    return (as_of - timezone.localdate(max(starts))).days


def vetoes_and_warnings(fig: Figures, period: Period) -> tuple[list[str], dict[str, int]]:
    """(veto codes, {warning code: occurrences}) of one account for `period`."""
    s = settings
    vetoes: list[str] = []
    warnings: dict[str, int] = {}
    silent = silence_days(fig, period.as_of)
    # The annual assessment vetoes the longest silence of the year; a report the silence at its end.
    veto_silence = silent if fig.longest_silence is None else fig.longest_silence
    if veto_silence is not None and veto_silence >= s.GOVCMS_COMPLIANCE_VETO_SILENT_DAYS:
        vetoes.append("no_update_14d")
    if silent is not None:
        if "no_update_14d" in vetoes:
            pass  # vetoed for silence: no warning for it on top
        elif silent >= s.GOVCMS_COMPLIANCE_LEADER_WARNING_DAYS:
            warnings["no_update_12d"] = 1
        elif silent >= s.GOVCMS_COMPLIANCE_STAFF_WARNING_DAYS:
            warnings["no_update_10d"] = 1
        if silent >= s.GOVCMS_COMPLIANCE_ZOMBIE_DAYS:
            warnings["zombie"] = 1
    if fig.comments_closed and fig.answered == 0:
        vetoes.append("no_interaction_channel")
    vetoes.extend(fig.confirmed_findings)
    operating_a_week = fig.operating_since is None or fig.operating_since <= period.until - timedelta(days=7)
    if operating_a_week and fig.posts_last_week < s.GOVCMS_COMPLIANCE_WEEKLY_MINIMUM:
        warnings["below_weekly_minimum"] = 1
    if fig.overdue:
        warnings["overdue_interactions"] = fig.overdue
    if fig.outsourced:
        if fig.contract_end is None:
            warnings["outsourcing_contract_missing"] = 1
        elif fig.contract_end < period.as_of:
            warnings["outsourcing_contract_expired"] = 1
        if fig.agreement_signed_on is None or fig.agreement_signed_on > period.as_of:
            warnings["security_agreement_missing"] = 1
        elif fig.agreement_expires_on is not None and fig.agreement_expires_on < period.as_of:
            warnings["security_agreement_expired"] = 1
    return vetoes, warnings


def _item_points(item: dict, occurrences: int) -> Decimal:
    points = Decimal(str(item["points"])) * occurrences
    cap = item.get("cap")
    return points if cap is None else min(points, Decimal(str(cap)))


BONUS_FIGURES = {"posts": lambda f: f.posts, "answered_in_time": lambda f: f.answered_in_time}


def score(fig: Figures, vetoes: list[str], warnings: dict[str, int], scheme: Scheme) -> dict:
    """Deductions, bonus, score and pass of one account under `scheme` (see `Scheme`)."""
    deductions = []
    for item in scheme.deductions:
        occurrences = warnings.get(item["code"], 0)
        if occurrences:
            deductions.append({"code": item["code"], "points": _item_points(item, occurrences)})
    total = max(HUNDRED - sum((d["points"] for d in deductions), Decimal(0)), Decimal(0))
    bonus = Decimal(0)
    if vetoes:
        total = scheme.veto_score
    elif total >= scheme.excellent_line:
        earned = sum((_item_points(b, BONUS_FIGURES[b["code"]](fig)) for b in scheme.bonuses), Decimal(0))
        bonus = min(earned, scheme.bonus_cap)
        total += bonus
    return {
        "deductions": [{"code": d["code"], "points": float(d["points"])} for d in deductions],
        "bonus": float(bonus),
        "score": float(total),
        "passed": not vetoes and total >= scheme.pass_line,
    }


def assess(fig: Figures, period: Period, scheme: Scheme) -> dict:
    """One account's row of the compliance report (the API contract's fields, and the figures)."""
    vetoes, warnings = vetoes_and_warnings(fig, period)
    return {
        "account_id": fig.account_id,
        "name": fig.name,
        "platform": fig.platform,
        "agency_id": fig.agency_id,
        "status": fig.status,
        "last_post_at": fig.last_post_at,
        "days_since_update": silence_days(fig, period.as_of),
        "vetoes": vetoes,
        "warnings": sorted(warnings),
        **score(fig, vetoes, warnings, scheme),
        "scheme": scheme_label(scheme),
        "figures": {
            "posts": fig.posts,
            "posts_last_week": fig.posts_last_week,
            "received": fig.received,
            "answered": fig.answered,
            "answered_in_time": fig.answered_in_time,
            "overdue": fig.overdue,
            "comments_closed": fig.comments_closed,
        },
        "responsiveness": fig.responsiveness,
    }


def compliance(accounts: QuerySet[AccountPage], period: Period, *, whole_period: bool = False) -> dict:
    """The compliance report of `accounts` for `period`: {as_of, since, until, schemes, items}.
    `whole_period` (the annual assessment): `no_update_14d` vetoes the longest silence inside the
    period, not only the one at its end."""
    schemes = Schemes(period.until)
    figs = figures(accounts, period, whole_period=whole_period)
    items = [assess(fig, period, schemes.for_path(fig.path)) for fig in figs]
    used = {item["scheme"]["id"]: item["scheme"] for item in items}
    return {
        "as_of": period.as_of,
        "since": period.since,
        "until": period.until,
        "schemes": sorted(used.values(), key=lambda s: s["id"]),
        "items": items,
    }
