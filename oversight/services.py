"""Writes of the supervision app: findings, scheme versions, comment closures, refused reports,
silence warnings. Each write asks its policy first and records its ledger event in the same
transaction."""

import logging
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import ledger
from editorial.services import users_with_role_at
from govcms.capabilities import SYSTEM, person, require
from govcms.models import AccountPage, AgencyPage, Notification
from govcms.selectors import user_jurisdiction_paths
from govcms.services import ServiceError, notify

from . import policy
from .compliance import BONUS_FIGURES, Period, Schemes, figures, silence_days
from .models import CommentClosure, Finding, FindingKind, FindingStatus, Scheme

logger = logging.getLogger(__name__)

# Warning codes a deduction item may name (compliance.vetoes_and_warnings).
WARNING_CODES = (
    "no_update_10d",
    "no_update_12d",
    "below_weekly_minimum",
    "overdue_interactions",
    "zombie",
    "outsourcing_contract_expired",
    "outsourcing_contract_missing",
    "security_agreement_expired",
    "security_agreement_missing",
)


# --- findings ----------------------------------------------------------------------------------


@transaction.atomic
def finding_record(
    *,
    actor,
    account: AccountPage,
    kind: str,
    evidence: str = "",
    occurred_at: datetime | None = None,
    revision_id: int | None = None,
    publication_id: int | None = None,
    rule: str = "",
) -> Finding:
    """Open a finding against `account` (422 for an unknown kind or a future `occurred_at`).
    `rule` names what content monitoring matched (one finding per revision and rule: a second
    one raises IntegrityError)."""
    require(policy.may_record_finding(actor, account))
    if kind not in FindingKind.values:
        raise ServiceError("invalid_kind", _("未知的发现类型"), status=422)
    now = timezone.now()
    if occurred_at is not None and occurred_at > now:
        raise ServiceError("invalid_occurred_at", _("发生时间不能晚于当前时间"), status=422)
    finding = Finding.objects.create(
        account=account,
        kind=kind,
        evidence=evidence,
        occurred_at=occurred_at or now,
        revision_id=revision_id,
        publication_id=publication_id,
        rule=rule,
        created_at=now,
        created_by=person(actor),
    )
    ledger.record(
        action="finding.recorded",
        actor=actor,
        obj=finding,
        data={
            "account_id": account.pk,
            "kind": kind,
            "occurred_at": finding.occurred_at.isoformat(),
            "revision_id": revision_id,
            "rule": rule,
        },
        scope=account.path,
    )
    return finding


@transaction.atomic
def finding_decide(*, actor, finding: Finding, confirm: bool, comment: str = "") -> Finding:
    """Confirm or dismiss an open finding, once (409 when already decided)."""
    require(policy.may_decide_finding(actor, finding))
    finding = Finding.objects.select_for_update().select_related("account").get(pk=finding.pk)
    if finding.status != FindingStatus.OPEN:
        raise ServiceError("finding_decided", _("该发现已处理"), status=409, details={"status": finding.status})
    now = timezone.now()
    finding.status = FindingStatus.CONFIRMED if confirm else FindingStatus.DISMISSED
    finding.confirmed_at = now if confirm else None
    finding.dismissed_at = None if confirm else now
    finding.decided_by = person(actor)
    finding.decision_comment = comment
    finding.save(update_fields=["status", "confirmed_at", "dismissed_at", "decided_by", "decision_comment"])
    ledger.record(
        action=f"finding.{finding.status}",
        actor=actor,
        obj=finding,
        data={"account_id": finding.account_id, "kind": finding.kind, "comment": comment},
        scope=finding.account.path,
    )
    return finding


# --- schemes -----------------------------------------------------------------------------------


def _number(value, where: str, *, low=Decimal(0), high=Decimal(1000)) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as error:
        raise ServiceError("invalid_scheme", _("方案中的数值无效：%(where)s") % {"where": where}, status=422) from error
    if not number.is_finite() or not low <= number <= high:
        raise ServiceError("invalid_scheme", _("方案中的数值超出范围：%(where)s") % {"where": where}, status=422)
    return number


def _items(items, allowed, where: str) -> list[dict]:
    """Scheme items as stored: [{code, points, cap}], each code once and known."""
    cleaned, seen = [], set()
    for index, item in enumerate(items or []):
        code = item.get("code")
        if code not in allowed or code in seen:
            raise ServiceError(
                "invalid_scheme",
                _("方案项目代码无效或重复：%(code)s") % {"code": str(code)[:64]},
                status=422,
                details={"allowed": sorted(allowed)},
            )
        seen.add(code)
        cap = item.get("cap")
        cleaned.append(
            {
                "code": code,
                "points": float(_number(item.get("points"), f"{where}[{index}].points")),
                "cap": None if cap is None else float(_number(cap, f"{where}[{index}].cap")),
            }
        )
    return cleaned


@transaction.atomic
def scheme_set(*, actor, agency: AgencyPage, fields: dict) -> Scheme:
    """Write the next version of `agency`'s scheme: `fields` are the new values (name,
    deductions, bonuses, bonus_cap, pass_line, excellent_line, veto_score, red_list_size,
    black_list_size), or `preset` to copy a shipped scheme; whatever is left out keeps the value
    of the scheme in force there now. The old versions stay (reports name the one they used)."""
    require(policy.may_edit_scheme(actor, agency))
    now = timezone.now()
    base = Schemes(now).for_path(agency.path)
    if fields.get("preset"):
        presets = Schemes(now).presets
        if fields["preset"] not in presets:
            raise ServiceError(
                "invalid_preset", _("没有这个预置方案"), status=422, details={"allowed": sorted(presets)}
            )
        base = presets[fields["preset"]]
    values = {
        "name": fields.get("name") or base.name,
        "deductions": _items(fields.get("deductions", base.deductions), WARNING_CODES, "deductions"),
        "bonuses": _items(fields.get("bonuses", base.bonuses), BONUS_FIGURES, "bonuses"),
    }
    for name in ("bonus_cap", "pass_line", "excellent_line", "veto_score"):
        values[name] = _number(fields.get(name, getattr(base, name)), name)
    for name in ("red_list_size", "black_list_size"):
        values[name] = int(_number(fields.get(name, getattr(base, name)), name))
    if values["pass_line"] > values["excellent_line"]:
        raise ServiceError("invalid_scheme", _("合格线不能高于优秀线"), status=422)
    AgencyPage.objects.select_for_update().filter(pk=agency.pk).first()  # one version number at a time
    latest = Scheme.objects.filter(jurisdiction=agency).aggregate(v=Max("version"))["v"] or 0
    scheme = Scheme.objects.create(
        jurisdiction=agency, version=latest + 1, created_at=now, created_by=person(actor), **values
    )
    ledger.record(
        action="scheme.versioned",
        actor=actor,
        obj=scheme,
        data={"scope": scheme.scope, "version": scheme.version, "based_on": base.pk, "name": scheme.name},
        scope=agency.path,
    )
    return scheme


# --- comment closures --------------------------------------------------------------------------


@transaction.atomic
def comments_close(*, actor, account: AccountPage, reason: str = "") -> CommentClosure:
    """Record that `account`'s comments are closed from now (409 when they already are)."""
    require(policy.may_close_comments(actor, account))
    if CommentClosure.objects.select_for_update().filter(account=account, reopened_at__isnull=True).exists():
        raise ServiceError("comments_closed", _("该账号评论区已处于关闭状态"), status=409)
    closure = CommentClosure.objects.create(account=account, closed_at=timezone.now(), reason=reason)
    ledger.record(
        action="account.comments_closed", actor=actor, obj=account, data={"reason": reason}, scope=account.path
    )
    return closure


@transaction.atomic
def comments_reopen(*, actor, account: AccountPage) -> CommentClosure:
    """End the open closure period of `account`'s comments (409 when none is open)."""
    require(policy.may_close_comments(actor, account))
    closure = CommentClosure.objects.select_for_update().filter(account=account, reopened_at__isnull=True).first()
    if closure is None:
        raise ServiceError("comments_open", _("该账号评论区未关闭"), status=409)
    closure.reopened_at = timezone.now()
    closure.save(update_fields=["reopened_at"])
    ledger.record(action="account.comments_reopened", actor=actor, obj=account, data={}, scope=account.path)
    return closure


# --- refusals ----------------------------------------------------------------------------------


def report_refused(*, actor, report: str, agency_id: int) -> None:
    """Record in the ledger that `actor` asked for a report of a subtree outside their
    jurisdiction (or that does not exist): the answer is 404, the attempt is kept."""
    with transaction.atomic():
        ledger.record(
            action="report.refused",
            actor=actor,
            object_type="agencypage",
            object_id=agency_id,
            data={"report": report, "agency_id": agency_id},
            # Filed under the asker's own jurisdictions: their auditors see the probe.
            scope=ledger.person_scope(user_jurisdiction_paths(actor)),
        )


# --- silence warnings --------------------------------------------------------------------------

SILENCE_KINDS = {"staff": "compliance.silent_staff", "leader": "compliance.silent_leader"}


def silence_warnings_send(*, now: datetime | None = None) -> int:
    """Tell the staff of every account silent for GOVCMS_COMPLIANCE_STAFF_WARNING_DAYS, and its
    supervising signers at GOVCMS_COMPLIANCE_LEADER_WARNING_DAYS, once each per silence (a
    silence starts at the account's last publication, or at the start of its operating spell):
    a notification of that kind on the account since the silence began means it was told.
    Acts as the system; returns the number of notifications left."""
    now = now or timezone.now()
    period = Period.ending(timezone.localdate(now), days=1, now=now)
    thresholds = (
        ("staff", settings.GOVCMS_COMPLIANCE_STAFF_WARNING_DAYS, policy.silence_warned_roles()),
        ("leader", settings.GOVCMS_COMPLIANCE_LEADER_WARNING_DAYS, policy.silence_escalated_roles()),
    )
    silent = []
    for fig in figures(AccountPage.objects.all(), period):
        days = silence_days(fig, period.as_of)
        if days is not None and days >= min(t[1] for t in thresholds):
            silent.append((fig, days, max(m for m in (fig.last_post_at, fig.operating_since) if m is not None)))
    if not silent:
        return 0
    told = {
        (row["kind"], row["object_id"]): row["last"]
        for row in Notification.objects.filter(kind__in=SILENCE_KINDS.values(), object_type="accountpage")
        .values("kind", "object_id")
        .annotate(last=Max("created_at"))
        .order_by()
    }
    sent = 0
    for fig, days, started in silent:
        for audience, limit, roles in thresholds:
            kind = SILENCE_KINDS[audience]
            last = told.get((kind, str(fig.account_id)))
            if days < limit or (last is not None and last >= started):
                continue
            account = AccountPage.objects.get(pk=fig.account_id)
            message = _("账号“%(name)s”已连续 %(days)d 天未更新，满 %(veto)d 天将被单项否决。") % {
                "name": fig.name,
                "days": days,
                "veto": settings.GOVCMS_COMPLIANCE_VETO_SILENT_DAYS,
            }
            users = list(users_with_role_at(roles=roles, path=fig.path))
            if not users:
                logger.info("account %s silent %d days: nobody holds %s there", fig.account_id, days, sorted(roles))
                continue
            with transaction.atomic():
                rows = notify(users=users, kind=kind, message=message, obj=account)
                ledger.record(
                    action="compliance.silence_warned",
                    actor=SYSTEM,
                    obj=account,
                    data={"audience": audience, "days": days, "recipients": len(rows)},
                    scope=fig.path,
                )
            sent += len(rows)
    return sent
