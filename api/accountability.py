"""Spot checks (抽查) and accountability cases (问责).

Everything lies in the caller's jurisdiction: an agency, account, spot check or case outside it
answers 404 exactly like a missing one; inside it, the policy decides (403). Lists show what the
caller may read (auditors: spot checks and cases; the agency's admins and signers: its cases).
The rules (reproducible draws, case states, evidence links) are in `oversight.spotchecks` and
`oversight.cases`.
"""

import logging
import re
from typing import Literal

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from govcms import selectors
from govcms.capabilities import require
from oversight import cases, policy, spotchecks
from oversight import selectors as reports
from oversight.models import Case, CaseStatus, Disposition, SpotCheck

from .errors import ApiError
from .oversight import Day
from .pagination import page
from .schemas import MAX_ID, Id, MultilineText, Text

logger = logging.getLogger(__name__)
router = Router(tags=["oversight"])

QUARTER = re.compile(r"[0-9]{4}-Q[1-4]")


# --- spot checks -------------------------------------------------------------------------------


class SpotCheckIn(Schema):
    agency_id: Id
    sample_size: int = Field(ge=1, le=1000)
    seed: int | None = Field(None, ge=0, le=MAX_ID, description="the same seed draws the same sample")


class SpotCheckFilter(Schema):
    quarter: Text | None = Field(None, max_length=7, description="YYYY-Qn")
    agency_id: Id | None = None


class ResultIn(Schema):
    account_id: Id
    passed: bool
    findings: list[MultilineText] = Field(default_factory=list, max_length=50)


def spot_check_out(check: SpotCheck, *, detail: bool = False) -> dict:
    out = {
        "id": check.pk,
        "agency_id": check.agency_id,
        "seed": check.seed,
        "sample_size": check.sample_size,
        "population_size": len(check.population),
        "accounts": check.accounts,
        "quarter": check.quarter,
        "created_at": check.created_at,
    }
    if detail:
        out["population"] = check.population
        out.update(spotchecks.summary(check))
    return out


def _spot_check(request, check_id: int) -> SpotCheck:
    check = selectors.access_object(spotchecks.spot_checks_visible_to(request.auth), check_id)
    require(policy.may_run_spot_check(request.auth, check.agency))
    return check


@router.get("/spot-checks", summary="Spot checks in the caller's jurisdiction (quarterly history)")
def spot_checks_list(request, filters: Query[SpotCheckFilter]):
    qs = spotchecks.spot_checks_run_by(request.auth)
    if filters.quarter is not None:
        if not QUARTER.fullmatch(filters.quarter):
            raise ApiError(422, "invalid_quarter", _("季度格式应为 YYYY-Qn，例如 2026-Q1"))
        qs = qs.filter(quarter=filters.quarter)
    if filters.agency_id is not None:
        agency = selectors.access_object(selectors.agencies_visible_to(request.auth), filters.agency_id)
        qs = qs.filter(agency__path__startswith=agency.path)
    return page(request, qs.order_by("-created_at", "-id"), spot_check_out)


@router.post("/spot-checks", response={201: dict}, summary="Draw a reproducible random sample of accounts")
def spot_checks_create(request, payload: SpotCheckIn):
    agency = selectors.access_object(selectors.agencies_visible_to(request.auth), payload.agency_id)
    check = spotchecks.spot_check_draw(
        actor=request.auth, agency=agency, sample_size=payload.sample_size, seed=payload.seed
    )
    return Status(201, spot_check_out(check, detail=True))


@router.get("/spot-checks/{check_id}", summary="The sample, the results so far and the pass rate")
def spot_check_get(request, check_id: Id):
    return spot_check_out(_spot_check(request, check_id), detail=True)


@router.post("/spot-checks/{check_id}/results", summary="Record (or correct) the result for one drawn account")
def spot_check_results(request, check_id: Id, payload: ResultIn):
    check = _spot_check(request, check_id)
    findings = [text.strip()[:500] for text in payload.findings if text.strip()]
    spotchecks.spot_check_result(
        actor=request.auth, check=check, account_id=payload.account_id, passed=payload.passed, findings=findings
    )
    return spot_check_out(check, detail=True)


# --- cases -------------------------------------------------------------------------------------


class EvidenceIn(Schema):
    object_type: Literal["post", "publication", "check_run", "ledger_event"]
    id: Id
    revision_id: Id | None = None


class CaseIn(Schema):
    account_id: Id
    person: Id | None = Field(None, description="user id of the person held to account")
    finding_id: Id | None = None
    finding: MultilineText = Field("", max_length=5000, description="what is wrong, in words")
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=50)
    disposition: Disposition
    rectify_by: Day | None = None


class ResponseIn(Schema):
    rectification: MultilineText = Field(max_length=10000)
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=50)


class CommentIn(Schema):
    comment: MultilineText = Field("", max_length=2000)


class CaseFilter(Schema):
    status: CaseStatus | None = None
    account_id: Id | None = None


def _links(evidence: list[dict]) -> list[dict]:
    """Stored evidence with the address of the exact revision each link is about (the admin's
    revision view; None for a ledger event, which is its own record)."""
    out = []
    for link in evidence:
        post_id = link["id"] if link["object_type"] == "post" else link.get("post_id")
        url = None
        if post_id and link.get("revision_id"):
            url = reverse("wagtailadmin_pages:revisions_view", args=[post_id, link["revision_id"]])
        out.append({**link, "url": url})
    return out


def case_out(case: Case, *, detail: bool = False) -> dict:
    out = {
        "id": case.pk,
        "account_id": case.account_id,
        "person": case.person_id,
        "finding_id": case.finding_id,
        "finding": case.summary,
        "disposition": case.disposition,
        "rectify_by": case.rectify_by,
        "status": case.status,
        "opened_at": case.opened_at,
        "responded_at": case.responded_at,
        "closed_at": case.closed_at,
    }
    if detail:
        out.update(
            {
                "evidence": _links(case.evidence),
                "rectification": case.rectification,
                "response_evidence": _links(case.response_evidence),
                "comment": case.comment,
                "history": cases.case_history(case),
            }
        )
    return out


def _case(request, case_id: int) -> Case:
    return selectors.access_object(cases.cases_visible_to(request.auth), case_id)


@router.get("/cases", summary="Accountability cases the caller opens or answers")
def cases_list(request, filters: Query[CaseFilter]):
    qs = cases.cases_handled_by(request.auth)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.account_id is not None:
        account = selectors.access_object(selectors.accounts_visible_to(request.auth), filters.account_id)
        qs = qs.filter(account=account)
    return page(request, qs.order_by("-opened_at", "-id"), case_out)


@router.post("/cases", response={201: dict}, summary="Open an accountability case")
def cases_create(request, payload: CaseIn):
    account = selectors.access_object(selectors.accounts_visible_to(request.auth), payload.account_id)
    require(policy.may_open_case(request.auth, account))
    finding = None
    if payload.finding_id is not None:
        finding = selectors.access_object(reports.findings_visible_to(request.auth), payload.finding_id)
    person = cases.person_in_jurisdiction(request.auth, payload.person) if payload.person is not None else None
    case = cases.case_open(
        actor=request.auth,
        account=account,
        disposition=payload.disposition,
        person_user=person,
        finding=finding,
        summary=payload.finding,
        evidence=[e.dict() for e in payload.evidence],
        rectify_by=payload.rectify_by,
    )
    return Status(201, case_out(case, detail=True))


@router.get("/cases/{case_id}", summary="A case with its evidence and history")
def case_get(request, case_id: Id):
    case = _case(request, case_id)
    require(policy.may_read_case(request.auth, case))
    return case_out(case, detail=True)


@router.post("/cases/{case_id}/respond", summary="The account's agency answers with its rectification")
def case_respond(request, case_id: Id, payload: ResponseIn):
    case = cases.case_respond(
        actor=request.auth,
        case=_case(request, case_id),
        rectification=payload.rectification,
        evidence=[e.dict() for e in payload.evidence],
    )
    return case_out(case, detail=True)


@router.post("/cases/{case_id}/return", summary="The auditor returns the rectification")
def case_return(request, case_id: Id, payload: CommentIn):
    case = cases.case_decide(actor=request.auth, case=_case(request, case_id), step="return", comment=payload.comment)
    return case_out(case, detail=True)


@router.post("/cases/{case_id}/close", summary="The auditor closes the case")
def case_close(request, case_id: Id, payload: CommentIn):
    case = cases.case_decide(actor=request.auth, case=_case(request, case_id), step="close", comment=payload.comment)
    return case_out(case, detail=True)
