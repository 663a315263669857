"""Reads of the supervision app, scoped to the caller's jurisdiction: the accounts a report covers,
findings, schemes, and the reports built on `oversight.compliance` (weekly ranking with red and
black lists, annual assessment per agency)."""

import logging
import re
from datetime import date, timedelta

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from govcms import capabilities
from govcms.models import AccountPage, AccountStatus, AccountTransition, AgencyPage, Platform
from govcms.selectors import path_q

from .compliance import Period, Schemes, compliance, scheme_label
from .models import Finding, Scheme

logger = logging.getLogger(__name__)

# The years a report may name (dates outside are refused as bad input).
MIN_YEAR, MAX_YEAR = 1970, 2100


def report_accounts(actor, agency: AgencyPage | None = None) -> QuerySet[AccountPage]:
    """Accounts a report for `actor` covers: `agency`'s subtree (already fetched through
    `agencies_visible_to`), else everywhere `actor` holds `report.read`."""
    if agency is not None:
        return AccountPage.objects.filter(path__startswith=agency.path)
    return AccountPage.objects.filter(path_q(capabilities.scope_paths(actor, "report.read")))


def findings_visible_to(actor) -> QuerySet[Finding]:
    """Findings on the accounts of `actor`'s jurisdiction (any role; writing is the policy's)."""
    return Finding.objects.filter(path_q(capabilities.scope_paths(actor), "account__path")).select_related("account")


def scheme_history(agency: AgencyPage) -> QuerySet[Scheme]:
    """Every version written for `agency`'s jurisdiction, newest first."""
    return Scheme.objects.filter(jurisdiction=agency).order_by("-version")


def scheme_in_force(agency: AgencyPage, *, at=None) -> Scheme:
    """The scheme assessing `agency`'s jurisdiction at `at` (default now): its own newest version,
    or the nearest ancestor's, or the default preset."""
    return Schemes(at or timezone.now()).for_path(agency.path)


# --- account register ---------------------------------------------------------------------------


def register_rows(accounts: QuerySet[AccountPage]) -> list[dict]:
    """The account register (账号台账) of `accounts` (already scoped), in tree order: the one
    builder of its rows, for the workspace screen, the exports and the API. Each row: the
    account's id, name, platform (code and label), its unit (`unit`: the parent agency's title,
    `agency_id`), operating unit, outsourcing contract and security agreement dates, status (code
    and label), its filed transitions (`history`, oldest first) and the latest filing number.
    Three queries, whatever the number of accounts."""
    filings = AccountTransition.objects.order_by("at", "id")
    accounts = list(
        accounts.order_by("path").prefetch_related(Prefetch("transitions", queryset=filings, to_attr="filings"))
    )
    parents = {a.path[: -AccountPage.steplen] for a in accounts}
    agencies = AgencyPage.objects.filter(path__in=parents).values_list("pk", "path", "title")
    units = {path: (pk, title) for pk, path, title in agencies}
    platforms, statuses = dict(Platform.choices), dict(AccountStatus.choices)
    rows = []
    for a in accounts:
        agency_id, unit = units.get(a.path[: -AccountPage.steplen], (None, ""))
        history = [
            {
                "at": t.at,
                "from_status": t.from_status,
                "from_label": str(statuses.get(t.from_status, t.from_status)),
                "to_status": t.to_status,
                "to_label": str(statuses.get(t.to_status, t.to_status)),
                "filing_number": t.filing_number,
            }
            for t in a.filings
        ]
        rows.append(
            {
                "account_id": a.pk,
                "name": a.title,
                "platform": a.platform,
                "platform_label": str(platforms.get(a.platform, a.platform)),
                "agency_id": agency_id,
                "unit": unit,
                "operating_unit": a.operating_unit,
                "outsourced": a.outsourced,
                "contract_start": a.contract_start,
                "contract_end": a.contract_end,
                "security_agreement_signed_on": a.security_agreement_signed_on,
                "security_agreement_expires_on": a.security_agreement_expires_on,
                "filing_number": next((t["filing_number"] for t in reversed(history) if t["filing_number"]), ""),
                "status": a.status,
                "status_label": str(statuses.get(a.status, a.status)),
                "history": history,
            }
        )
    return rows


# --- weekly ranking ------------------------------------------------------------------------------


WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})")


def parse_week(text: str | None) -> tuple[str, Period]:
    """The ISO week named `text` ("YYYY-Www"; None: this week) as (label, period). ValueError with
    the reason for a malformed week, one that does not exist, or one after this week."""
    if text is None:
        year, week, _weekday = timezone.localdate().isocalendar()
    else:
        match = WEEK.fullmatch(text)
        if match is None:
            raise ValueError(_("周次格式应为 YYYY-Www，例如 2026-W10"))
        year, week = int(match[1]), int(match[2])
    try:
        period = week_period(year, week)
    except ValueError as error:
        raise ValueError(_("没有这一周")) from error
    if not MIN_YEAR <= year <= MAX_YEAR or period.since > timezone.now():
        raise ValueError(_("周次不能晚于本周"))
    return f"{year}-W{week:02d}", period


def week_period(year: int, week: int, *, now=None) -> Period:
    """The ISO week `year`-W`week` (Monday to Sunday) as a report period (ValueError if none)."""
    monday = date.fromisocalendar(year, week, 1)
    return Period.ending(monday + timedelta(days=6), since=monday, now=now)


def list_jurisdiction(actor, agency: AgencyPage | None) -> str:
    """The tree path whose scheme sets the sizes of the red and black lists: the agency asked
    about, else the caller's one jurisdiction ("" — the default preset — when several or all)."""
    if agency is not None:
        return agency.path
    paths = capabilities.scope_paths(actor, "report.read")
    return paths[0] if len(paths) == 1 else ""


def rank_key(item: dict):
    """Score first, then activity (posts in the period), then responsiveness (share answered in
    time; an account that received nothing comes after every rate), then the account id."""
    rate = item["responsiveness"]
    return (-item["score"], -item["figures"]["posts"], rate is None, -(rate or 0), item["account_id"])


def ranking(accounts: QuerySet[AccountPage], period: Period, *, jurisdiction_path: str = "") -> dict:
    """The ranked compliance rows of `period`, with the red list (the best N not vetoed) and the
    black list (the worst N, and every vetoed account); N from the scheme of the jurisdiction."""
    report = compliance(accounts, period)
    items = sorted(report["items"], key=rank_key)
    for position, item in enumerate(items, start=1):
        item["rank"] = position
    scheme = Schemes(period.until).for_path(jurisdiction_path)
    red = [i for i in items if not i["vetoes"]][: scheme.red_list_size]
    red_ids = {i["account_id"] for i in red}
    worst = [i for i in reversed(items) if i["account_id"] not in red_ids][: scheme.black_list_size]
    black_ids = {i["account_id"] for i in worst} | {i["account_id"] for i in items if i["vetoes"]}
    return {
        **report,
        "items": items,
        "list_scheme": scheme_label(scheme),
        "red_list": [i["account_id"] for i in red],
        "black_list": [i["account_id"] for i in items if i["account_id"] in black_ids],
    }


# --- annual assessment -------------------------------------------------------------------------


def assessment(accounts: QuerySet[AccountPage], year: int, *, now=None) -> dict:
    """The annual assessment: the compliance of every account over the year (as of 31 December,
    or today for the current year), aggregated per owning agency — accounts assessed, passed,
    vetoed, average score, and whether the agency passes (every account passed). `no_update_14d`
    vetoes an account whose longest silence within the year (from the year's or its operating
    spell's start to the year's end or today) reached GOVCMS_COMPLIANCE_VETO_SILENT_DAYS."""
    now = now or timezone.now()
    as_of = min(date(year, 12, 31), timezone.localdate(now))
    period = Period.ending(as_of, since=date(year, 1, 1), now=now)
    report = compliance(accounts, period, whole_period=True)
    agencies: dict[int, dict] = {}
    for item in report["items"]:
        entry = agencies.setdefault(item["agency_id"], {"agency_id": item["agency_id"], "rows": []})
        entry["rows"].append(item)
    names = dict(AgencyPage.objects.filter(pk__in=agencies).values_list("pk", "title"))
    result = []
    for agency_id, entry in sorted(agencies.items()):
        rows = entry["rows"]
        passed = sum(1 for r in rows if r["passed"])
        result.append(
            {
                "agency_id": agency_id,
                "name": names.get(agency_id, ""),
                "accounts": len(rows),
                "passed": passed,
                "vetoed": sum(1 for r in rows if r["vetoes"]),
                "average_score": round(sum(r["score"] for r in rows) / len(rows), 2),
                "agency_passed": passed == len(rows),
                "account_ids": [r["account_id"] for r in rows],
            }
        )
    return {
        "year": year,
        "as_of": report["as_of"],
        "since": report["since"],
        "until": report["until"],
        "schemes": report["schemes"],
        "items": result,
    }
