"""Supervision endpoints (监管): compliance, ranking and assessment reports, assessment schemes,
auditors' findings.

The account register (`/reports/register`) lists every account of the scope with its filings.
Reports cover the caller's jurisdiction (where they hold `report.read`), or one agency's subtree
inside it (`agency_id`); a subtree outside it answers 404 exactly like a missing agency, and the
attempt is recorded in the ledger (`report.refused`). Compliance reports also come as CSV, XLSX
and PDF at once (`oversight.exports.render_now`: same numbers as the JSON, each download in the
ledger with the file's hash); every report can be exported as a job through `/exports`.
"""

import logging
import re
from datetime import date
from typing import Annotated, Literal

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from govcms import selectors
from govcms.capabilities import require
from govcms.models import Platform
from oversight import exports, policy, services
from oversight import selectors as reports
from oversight.compliance import Period, compliance, scheme_label
from oversight.documents import CONTENT_TYPES
from oversight.models import Finding, FindingKind, FindingStatus, Scheme

from .errors import ApiError
from .pagination import page
from .schemas import MAX_ID, Id, Moment, MultilineText, Text

logger = logging.getLogger(__name__)
router = Router(tags=["oversight"])

MIN_YEAR, MAX_YEAR = reports.MIN_YEAR, reports.MAX_YEAR


def _day(value: date) -> date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise PydanticCustomError(
            "date_out_of_range", _("日期须在 %(min)d 至 %(max)d 年之间") % {"min": MIN_YEAR, "max": MAX_YEAR}
        )
    return value


Day = Annotated[date, AfterValidator(_day)]


def _report_scope(request, report: str, agency_id: int | None):
    """The agency whose subtree the report covers (None: the caller's whole jurisdiction), after
    the policy; outside or missing → 404, recorded as `report.refused`."""
    agency = None
    if agency_id is not None:
        try:
            agency = selectors.access_object(selectors.agencies_visible_to(request.auth), agency_id)
        except Http404:
            services.report_refused(actor=request.auth, report=report, agency_id=agency_id)
            raise
    require(policy.may_read_reports(request.auth, agency))
    return agency


def _as_of(value: date | None) -> date:
    today = timezone.localdate()
    if value is not None and value > today:
        raise ApiError(422, "invalid_as_of", _("报表日期不能晚于今天"))
    return value or today


# --- compliance --------------------------------------------------------------------------------


class ComplianceFilter(Schema):
    as_of: Day | None = None
    agency_id: Id | None = None
    format: Literal["json", "csv", "xlsx", "pdf"] = "json"


@router.get("/reports/compliance", summary="Compliance of the jurisdiction's accounts as of a date")
def compliance_report(request, filters: Query[ComplianceFilter]):
    agency = _report_scope(request, "compliance", filters.agency_id)
    as_of = _as_of(filters.as_of)
    if filters.format != "json":
        params = {"agency_id": agency.pk if agency else None, "as_of": as_of.isoformat()}
        content, name = exports.render_now(request.auth, "compliance", params, filters.format)
        response = HttpResponse(content, content_type=CONTENT_TYPES[filters.format])
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return compliance(reports.report_accounts(request.auth, agency), Period.ending(as_of))


# --- ranking and assessment ----------------------------------------------------------------------


class RankingFilter(Schema):
    week: Text | None = Field(None, max_length=8, description="ISO week, YYYY-Www (default: this week)")
    agency_id: Id | None = None


@router.get("/reports/ranking", summary="Weekly ranking with the red and black lists (每周奖惩名单)")
def ranking_report(request, filters: Query[RankingFilter]):
    agency = _report_scope(request, "ranking", filters.agency_id)
    try:
        label, period = reports.parse_week(filters.week)
    except ValueError as error:
        raise ApiError(422, "invalid_week", str(error)) from error
    accounts = reports.report_accounts(request.auth, agency)
    result = reports.ranking(accounts, period, jurisdiction_path=reports.list_jurisdiction(request.auth, agency))
    return {"week": label, **result}


class AssessmentFilter(Schema):
    year: int | None = Field(None, ge=MIN_YEAR, le=MAX_YEAR)
    agency_id: Id | None = None


@router.get("/reports/assessment", summary="Annual assessment per agency")
def assessment_report(request, filters: Query[AssessmentFilter]):
    agency = _report_scope(request, "assessment", filters.agency_id)
    year = filters.year or timezone.localdate().year
    if year > timezone.localdate().year:
        raise ApiError(422, "invalid_year", _("年度不能晚于今年"))
    return reports.assessment(reports.report_accounts(request.auth, agency), year)


# --- account register ---------------------------------------------------------------------------


class RegisterFilter(Schema):
    agency_id: Id | None = None
    platform: Platform | None = None


@router.get("/reports/register", summary="The account register (账号台账) of the jurisdiction")
def register_report(request, filters: Query[RegisterFilter]):
    """Every account of the scope, whatever its status, with its unit, operating unit, contract
    and agreement dates, latest filing number, status and filed history — the rows of the
    workspace's 账号台账 and of the register export (`oversight.selectors.register_rows`)."""
    agency = _report_scope(request, "register", filters.agency_id)
    accounts = reports.report_accounts(request.auth, agency)
    if filters.platform:
        accounts = accounts.filter(platform=filters.platform)
    return {"as_of": timezone.now(), "items": reports.register_rows(accounts)}


# --- schemes -----------------------------------------------------------------------------------

SCOPE = re.compile(r"agency-([0-9]{1,19})")


class SchemeItem(Schema):
    code: Text = Field(max_length=64)
    points: float = Field(ge=0, le=1000)
    cap: float | None = Field(None, ge=0, le=1000)


class SchemeIn(Schema):
    preset: Text | None = Field(None, max_length=32, description="copy a shipped scheme: national, local_100")
    name: Text | None = Field(None, max_length=128)
    deductions: list[SchemeItem] | None = Field(None, max_length=50)
    bonuses: list[SchemeItem] | None = Field(None, max_length=50)
    bonus_cap: float | None = Field(None, ge=0, le=1000)
    pass_line: float | None = Field(None, ge=0, le=1000)
    excellent_line: float | None = Field(None, ge=0, le=1000)
    veto_score: float | None = Field(None, ge=0, le=1000)
    red_list_size: int | None = Field(None, ge=0, le=1000)
    black_list_size: int | None = Field(None, ge=0, le=1000)


def scheme_out(scheme: Scheme) -> dict:
    return {
        **scheme_label(scheme),
        "deductions": scheme.deductions,
        "bonuses": scheme.bonuses,
        "bonus_cap": float(scheme.bonus_cap),
        "pass_line": float(scheme.pass_line),
        "excellent_line": float(scheme.excellent_line),
        "veto_score": float(scheme.veto_score),
        "red_list_size": scheme.red_list_size,
        "black_list_size": scheme.black_list_size,
        "created_at": scheme.created_at,
        "created_by": scheme.created_by.username if scheme.created_by_id else None,
    }


def _scheme_agency(request, scope: str):
    match = SCOPE.fullmatch(scope)
    if match is None or int(match[1]) > MAX_ID:
        raise ApiError(404, "not_found", _("范围格式应为 agency-<id>"))
    return selectors.access_object(selectors.agencies_visible_to(request.auth), int(match[1]))


def _scheme_view(agency) -> dict:
    scheme = reports.scheme_in_force(agency)
    return {
        "scope": f"agency-{agency.pk}",
        "in_force": scheme_out(scheme),
        "inherited": scheme.jurisdiction_id != agency.pk,
        "versions": [scheme_out(s) for s in reports.scheme_history(agency).select_related("created_by")],
    }


@router.get("/schemes/{scope}", summary="The assessment scheme in force in a jurisdiction, with its versions")
def scheme_get(request, scope: Text):
    agency = _scheme_agency(request, scope)
    require(policy.may_read_reports(request.auth, agency))
    return _scheme_view(agency)


@router.put("/schemes/{scope}", summary="Write the next version of a jurisdiction's assessment scheme")
def scheme_put(request, scope: Text, payload: SchemeIn):
    agency = _scheme_agency(request, scope)
    fields = payload.dict(exclude_none=True)
    services.scheme_set(actor=request.auth, agency=agency, fields=fields)
    return _scheme_view(agency)


# --- findings ----------------------------------------------------------------------------------


class FindingFilter(Schema):
    account_id: Id | None = None
    status: FindingStatus | None = None
    kind: FindingKind | None = None


class FindingIn(Schema):
    account_id: Id
    kind: FindingKind
    evidence: MultilineText = Field("", max_length=5000)
    occurred_at: Moment | None = None
    revision_id: Id | None = None
    publication_id: Id | None = None


class DecisionIn(Schema):
    comment: MultilineText = Field("", max_length=2000)


def finding_out(finding: Finding) -> dict:
    return {
        "id": finding.pk,
        "account_id": finding.account_id,
        "kind": finding.kind,
        "status": finding.status,
        "evidence": finding.evidence,
        "revision_id": finding.revision_id,
        "publication_id": finding.publication_id,
        "rule": finding.rule,
        "occurred_at": finding.occurred_at,
        "created_at": finding.created_at,
        "confirmed_at": finding.confirmed_at,
        "dismissed_at": finding.dismissed_at,
        "comment": finding.decision_comment,
    }


@router.get("/findings", summary="Auditors' findings in the caller's jurisdiction")
def findings_list(request, filters: Query[FindingFilter]):
    qs = reports.findings_visible_to(request.auth)
    if filters.account_id is not None:
        account = selectors.access_object(selectors.accounts_visible_to(request.auth), filters.account_id)
        qs = qs.filter(account=account)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    return page(request, qs.order_by("-created_at", "-id"), finding_out)


@router.post("/findings", response={201: dict}, summary="Record a finding against an account")
def findings_create(request, payload: FindingIn):
    account = selectors.access_object(selectors.accounts_visible_to(request.auth), payload.account_id)
    finding = services.finding_record(
        actor=request.auth,
        account=account,
        kind=payload.kind,
        evidence=payload.evidence,
        occurred_at=payload.occurred_at,
        revision_id=payload.revision_id,
        publication_id=payload.publication_id,
    )
    return Status(201, finding_out(finding))


def _decide(request, finding_id: int, payload: DecisionIn, *, confirm: bool) -> dict:
    finding = selectors.access_object(reports.findings_visible_to(request.auth), finding_id)
    return finding_out(
        services.finding_decide(actor=request.auth, finding=finding, confirm=confirm, comment=payload.comment)
    )


@router.post("/findings/{finding_id}/confirm", summary="Confirm an open finding")
def finding_confirm(request, finding_id: Id, payload: DecisionIn):
    return _decide(request, finding_id, payload, confirm=True)


@router.post("/findings/{finding_id}/dismiss", summary="Dismiss an open finding")
def finding_dismiss(request, finding_id: Id, payload: DecisionIn):
    return _decide(request, finding_id, payload, confirm=False)
