"""Accountability cases (问责): an auditor opens a case against an account (and optionally a person)
with evidence links, a disposition and a rectification deadline; the account's agency responds with
its rectification; the auditor returns it or closes the case.

States: open → responded → (returned → responded)* → closed; an auditor may also close a case
still open (an interview or a notice may need no answer). Any other move is 409 `wrong_state`.
Every step saves the case (a simple-history row naming who) and records a ledger event in the
same transaction.

Evidence is a list of links `{object_type, id, revision_id}`, each checked to exist inside the
actor's jurisdiction (where they hold the capability they act with), else 422 `invalid_evidence`:
- `post`: a post page; `revision_id` (required) one of its revisions;
- `publication`: a publication; `revision_id`, when given, must be the one it published;
- `check_run`: a content-check run; `revision_id`, when given, must be the one it checked;
- `ledger_event`: a ledger event by its sequence number (`revision_id` unused).
The stored link carries the revision it resolved to, so it points at that exact version forever.
"""

import logging

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import Page, Revision

from audit import ledger
from audit.models import LedgerEvent
from editorial.models import CheckRun
from govcms import capabilities
from govcms.capabilities import person, require
from govcms.models import AccountPage, RoleAssignment
from govcms.selectors import path_q
from govcms.services import ServiceError
from publishing.models import Publication

from . import policy
from .models import Case, CaseStatus, Finding

logger = logging.getLogger(__name__)

EVIDENCE_TYPES = ("post", "publication", "check_run", "ledger_event")
MAX_EVIDENCE = 50
# Which moves each step allows: (from states) → to state.
MOVES = {
    "respond": ({CaseStatus.OPEN, CaseStatus.RETURNED}, CaseStatus.RESPONDED),
    "return": ({CaseStatus.RESPONDED}, CaseStatus.RETURNED),
    "close": ({CaseStatus.OPEN, CaseStatus.RESPONDED}, CaseStatus.CLOSED),
}


def _bad(index: int, message: str) -> ServiceError:
    return ServiceError("invalid_evidence", message, status=422, details={"index": index})


def _post_revision(index: int, post_id: int, revision_id, paths: list[str]) -> dict:
    page = Page.objects.filter(path_q(paths), pk=post_id).first()
    if page is None:
        raise _bad(index, _("证据中的稿件不存在或不在辖区内"))
    if revision_id is None:
        raise _bad(index, _("稿件证据须指明修订版本"))
    revision = Revision.page_revisions.filter(pk=revision_id, object_id=str(page.pk)).first()
    if revision is None:
        raise _bad(index, _("该修订版本不属于这篇稿件"))
    return {"object_type": "post", "id": page.pk, "revision_id": revision.pk, "label": page.title}


def _one(index: int, link: dict, paths: list[str]) -> dict:
    """The checked, stored form of one evidence link (422 when it does not resolve)."""
    kind, object_id, revision_id = link.get("object_type"), link.get("id"), link.get("revision_id")
    if kind not in EVIDENCE_TYPES:
        raise ServiceError(
            "invalid_evidence",
            _("证据类型无效"),
            status=422,
            details={"index": index, "allowed": list(EVIDENCE_TYPES)},
        )
    if kind == "post":
        return _post_revision(index, object_id, revision_id, paths)
    if kind == "publication":
        pub = Publication.objects.filter(path_q(paths, "account__path"), pk=object_id).first()
        if pub is None or revision_id not in (None, pub.revision_id):
            raise _bad(index, _("证据中的发布记录不存在、不在辖区内或修订版本不符"))
        return {"object_type": kind, "id": pub.pk, "revision_id": pub.revision_id, "post_id": pub.post_id}
    if kind == "check_run":
        run = CheckRun.objects.filter(path_q(paths, "post__path"), pk=object_id).first()
        if run is None or revision_id not in (None, run.revision_id):
            raise _bad(index, _("证据中的检查记录不存在、不在辖区内或修订版本不符"))
        return {"object_type": kind, "id": run.pk, "revision_id": run.revision_id, "post_id": run.post_id}
    event = LedgerEvent.objects.filter(ledger.scope_q(paths), seq=object_id).first()
    if event is None:
        raise _bad(index, _("证据中的审计事件不存在或不在辖区内"))
    return {"object_type": kind, "id": event.seq, "revision_id": None, "action": event.action}


def evidence_checked(actor, links: list[dict], capability: str) -> list[dict]:
    """`links` checked against `actor`'s jurisdiction for `capability` (see the module doc)."""
    if len(links) > MAX_EVIDENCE:
        raise ServiceError("invalid_evidence", _("证据条目过多"), status=422, details={"max": MAX_EVIDENCE})
    paths = capabilities.scope_paths(actor, capability)
    return [_one(index, link, paths) for index, link in enumerate(links)]


def _save(case: Case, actor, fields: list[str]) -> None:
    case._history_user = person(actor)  # simple-history names who took the step
    case.save(update_fields=fields)


def _record(action: str, actor, case: Case, data: dict) -> None:
    ledger.record(action=action, actor=actor, obj=case, data={"status": case.status, **data}, scope=case.account.path)


@transaction.atomic
def case_open(
    *,
    actor,
    account: AccountPage,
    disposition: str,
    person_user=None,
    finding: Finding | None = None,
    summary: str = "",
    evidence: list[dict] | None = None,
    rectify_by=None,
) -> Case:
    """Open a case against `account` (422 for a finding of another account, a person without a
    role inside the actor's jurisdiction, a deadline in the past or evidence that does not resolve)."""
    require(policy.may_open_case(actor, account))
    if finding is not None and finding.account_id != account.pk:
        raise ServiceError("invalid_finding", _("该监管发现不属于此账号"), status=422)
    if rectify_by is not None and rectify_by < timezone.localdate():
        raise ServiceError("invalid_rectify_by", _("整改期限不能早于今天"), status=422)
    checked = evidence_checked(actor, evidence or [], "case.open")
    case = Case(
        account=account,
        person=person_user,
        finding=finding,
        summary=summary,
        disposition=disposition,
        rectify_by=rectify_by,
        evidence=checked,
        opened_at=timezone.now(),
        opened_by=person(actor),
    )
    case._history_user = person(actor)
    case.save()
    _record(
        "case.opened",
        actor,
        case,
        {
            "account_id": account.pk,
            "person_id": getattr(person_user, "pk", None),
            "finding_id": getattr(finding, "pk", None),
            "disposition": disposition,
            "rectify_by": rectify_by.isoformat() if rectify_by else None,
            "evidence": checked,
        },
    )
    return case


def _move(case: Case, step: str) -> Case:
    """The case locked for the step; 409 `wrong_state` when the step is not allowed from its state."""
    case = Case.objects.select_for_update().select_related("account").get(pk=case.pk)
    allowed, _to = MOVES[step]
    if case.status not in allowed:
        raise ServiceError(
            "wrong_state",
            _("案件当前状态不允许此操作"),
            status=409,
            details={"status": case.status, "allowed_from": sorted(allowed)},
        )
    return case


@transaction.atomic
def case_respond(*, actor, case: Case, rectification: str, evidence: list[dict] | None = None) -> Case:
    """The account's agency answers with its rectification and evidence (open or returned → responded)."""
    require(policy.may_respond_case(actor, case))
    case = _move(case, "respond")
    if not rectification.strip():
        raise ServiceError("invalid_rectification", _("请填写整改情况"), status=422)
    checked = evidence_checked(actor, evidence or [], "case.respond")
    case.status, case.rectification, case.response_evidence = CaseStatus.RESPONDED, rectification, checked
    case.responded_at = timezone.now()
    _save(case, actor, ["status", "rectification", "response_evidence", "responded_at"])
    _record("case.responded", actor, case, {"rectification": rectification, "evidence": checked})
    return case


@transaction.atomic
def case_decide(*, actor, case: Case, step: str, comment: str = "") -> Case:
    """The auditor returns the response (`step` "return": responded → returned) or closes the case
    ("close": open or responded → closed)."""
    require(policy.may_decide_case(actor, case))
    case = _move(case, step)
    case.status, case.comment = MOVES[step][1], comment
    fields = ["status", "comment"]
    if step == "close":
        case.closed_at = timezone.now()
        fields.append("closed_at")
    _save(case, actor, fields)
    _record("case.returned" if step == "return" else "case.closed", actor, case, {"comment": comment})
    return case


# --- reads -------------------------------------------------------------------------------------


def cases_visible_to(actor) -> QuerySet[Case]:
    """Cases on accounts inside `actor`'s jurisdiction (any role; reading is the policy's)."""
    return Case.objects.filter(path_q(capabilities.scope_paths(actor), "account__path")).select_related("account")


def cases_handled_by(actor) -> QuerySet[Case]:
    """Cases `actor` may read (opens or responds to) — the list; empty for everyone else."""
    paths = capabilities.scope_paths(actor, "case.open") + capabilities.scope_paths(actor, "case.respond")
    if not paths:
        return Case.objects.none()
    return Case.objects.filter(path_q(paths, "account__path")).select_related("account")


def case_history(case: Case) -> list[dict]:
    """Every step of the case, oldest first: status, who, when, and what was said then."""
    rows = case.history.select_related("history_user").order_by("history_date", "history_id")
    return [
        {
            "status": row.status,
            "at": row.history_date,
            "by": row.history_user.username if row.history_user_id else None,
            "rectification": row.rectification,
            "response_evidence": row.response_evidence,
            "comment": row.comment,
        }
        for row in rows
    ]


def person_in_jurisdiction(actor, user_id: int):
    """The user `user_id` if they hold or held a role inside `actor`'s `case.open` jurisdiction."""
    paths = capabilities.scope_paths(actor, "case.open")
    inside = RoleAssignment.objects.filter(path_q(paths, "agency__path") | path_q(paths, "account__path"))
    user = get_user_model().objects.filter(Q(pk=user_id), Q(pk__in=inside.values("user_id"))).first()
    if user is None:
        raise ServiceError("invalid_person", _("责任人不存在或不在辖区内"), status=422)
    return user
