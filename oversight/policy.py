"""Who may read reports, record and decide findings, and edit assessment schemes. Pure answers on
the capability table (`govcms.capabilities`) and the actor's assignments in force at `at`: None
when allowed, else a `Refusal` (outside the jurisdiction → answered as not found)."""

import logging
from datetime import datetime

from django.utils.translation import gettext as _

from govcms import capabilities as caps
from govcms.capabilities import Refusal, check

logger = logging.getLogger(__name__)


def may_read_reports(actor, agency=None, *, at: datetime | None = None) -> Refusal | None:
    """Compliance, ranking and assessment reports of `agency`'s subtree (of the caller's whole
    jurisdiction when None), and the schemes (`report.read`)."""
    path = agency.path if agency is not None else None
    return check(actor, "report.read", path, obj=agency, at=at, message=_("当前岗位无权查看监管报表"))


def may_record_finding(actor, account, *, at: datetime | None = None) -> Refusal | None:
    """Record a finding against `account` (`finding.record`)."""
    return check(actor, "finding.record", account.path, obj=account, at=at, message=_("当前岗位无权登记监管发现"))


def may_decide_finding(actor, finding, *, at: datetime | None = None) -> Refusal | None:
    """Confirm or dismiss a finding (`finding.record`)."""
    path = finding.account.path
    return check(actor, "finding.record", path, obj=finding, at=at, message=_("当前岗位无权处理监管发现"))


def may_edit_scheme(actor, agency, *, at: datetime | None = None) -> Refusal | None:
    """Write a new version of the assessment scheme of `agency`'s jurisdiction (`scheme.edit`)."""
    return check(actor, "scheme.edit", agency.path, obj=agency, at=at, message=_("当前岗位无权修改考核方案"))


def may_close_comments(actor, account, *, at: datetime | None = None) -> Refusal | None:
    """Record that `account`'s comments were closed or reopened (`account.manage`)."""
    return check(actor, "account.manage", account.path, obj=account, at=at)


def silence_warned_roles() -> set[str]:
    """Who is told on the staff warning day that an account has been silent (its staff)."""
    return caps.roles_with("compliance.warned") - {caps.GLOBAL_ROLE}


def silence_escalated_roles() -> set[str]:
    """Who is told on the leader warning day (the supervising signer)."""
    return caps.roles_with("compliance.escalated") - {caps.GLOBAL_ROLE}


def may_run_spot_check(actor, agency, *, at: datetime | None = None) -> Refusal | None:
    """Draw a spot check of `agency`'s subtree, read it and record its results (`spotcheck.run`)."""
    return check(actor, "spotcheck.run", agency.path, obj=agency, at=at, message=_("当前岗位无权开展抽查"))


def may_open_case(actor, account, *, at: datetime | None = None) -> Refusal | None:
    """Open an accountability case against `account` (`case.open`)."""
    return check(actor, "case.open", account.path, obj=account, at=at, message=_("当前岗位无权问责立案"))


def may_decide_case(actor, case, *, at: datetime | None = None) -> Refusal | None:
    """Return a case's rectification or close the case (`case.open`)."""
    path = case.account.path
    return check(actor, "case.open", path, obj=case, at=at, message=_("当前岗位无权退回或结案"))


def may_respond_case(actor, case, *, at: datetime | None = None) -> Refusal | None:
    """Answer a case with the rectification, for the account's agency (`case.respond`)."""
    path = case.account.path
    return check(actor, "case.respond", path, obj=case, at=at, message=_("当前岗位无权答复问责案件"))


def may_read_case(actor, case, *, at: datetime | None = None) -> Refusal | None:
    """Read a case: whoever may decide it or respond to it."""
    if may_respond_case(actor, case, at=at) is None:
        return None
    return may_decide_case(actor, case, at=at)


def may_export(actor, report: str, agency=None, *, at: datetime | None = None) -> Refusal | None:
    """Export `report` of `agency`'s subtree (the caller's jurisdiction when None): the ledger
    needs `ledger.read` (and the subtree in the caller's `ledger.read` scope), the reports
    `report.read` — the capability that reads them."""
    if report == "ledger":
        path = agency.path if agency is not None else None
        return check(actor, "ledger.read", path, obj=agency, at=at, message=_("当前岗位无权导出审计日志"))
    return may_read_reports(actor, agency, at=at)


def may_fetch_export(actor, export, *, at: datetime | None = None) -> Refusal | None:
    """See an export's status and download its file: its requester only; anyone else is answered
    as for a missing export."""
    if actor is not None and getattr(actor, "pk", None) == export.requester_id:
        return None
    return Refusal(code="not_found", message=_("导出不存在"), outside=True, object_id=str(export.pk))
