"""Who may act on the organisation core: users, tokens, agencies, accounts, credentials, role
assignments, images. Pure answers built on the capability table (`govcms.capabilities`) and the
actor's assignments in force at `at` (default now): None when allowed, else a `Refusal`.

Services begin with `require(policy.may_x(actor, obj))`; entry points call these only to show
or hide what the actor may use.
"""

import logging
from dataclasses import replace
from datetime import datetime

from django.utils.translation import gettext as _

from . import capabilities as caps
from .capabilities import Refusal, check, refuse
from .models import AccountPage, AgencyPage, RoleAssignment

logger = logging.getLogger(__name__)


def may_enter_admin(actor, *, at: datetime | None = None) -> Refusal | None:
    return check(actor, "admin.enter", None, at=at)


def may_create_user(actor, *, at: datetime | None = None) -> Refusal | None:
    """System admins, and agency admins (of any subtree)."""
    return check(actor, "user.create", None, at=at)


def may_change_password(actor, user, *, at: datetime | None = None) -> Refusal | None:
    """One's own password, or anyone's for a system admin (the system included)."""
    if actor is not None and (caps.is_everywhere(actor, at=at) or getattr(actor, "pk", None) == user.pk):
        return None
    return _refuse_about_person(actor, user, "user.create", at=at)


def may_manage_user(actor, user, *, at: datetime | None = None) -> Refusal | None:
    """Deactivate or reactivate a login, or set its password, in the admin: who may create users,
    over people working inside their jurisdiction (a system admin over anyone); never oneself."""
    if actor is not None and getattr(actor, "pk", None) == user.pk:
        return refuse(actor, "user.create", obj=user, at=at)
    return may_manage_person(actor, user, capability="user.create", at=at)


def may_manage_tokens(actor, *, at: datetime | None = None) -> Refusal | None:
    """The admin's token list, logins list and lockout release: who administers anything."""
    return check(actor, "token.manage", None, at=at)


def may_revoke_token(actor, token, *, at: datetime | None = None) -> Refusal | None:
    """One's own token, or the tokens of people working inside a subtree one administers."""
    if actor is not None and getattr(actor, "pk", None) == token.user_id:
        return None
    return may_manage_person(actor, token.user, capability="token.manage", at=at)


def may_manage_person(actor, user, *, capability: str = "token.manage", at: datetime | None = None) -> Refusal | None:
    """`capability` over a person: held where one of their assignments in force lies."""
    if caps.is_everywhere(actor, at=at):
        return None
    paths = {s.path for s in caps.user_scopes(user, at=at) if s.path}
    if actor is not None and any(caps.holds(actor, capability, path, at=at) for path in paths):
        return None
    return _refuse_about_person(actor, user, capability, at=at)


def _refuse_about_person(actor, user, capability: str, *, at) -> Refusal:
    """A refusal about a person, outside when none of their assignments lies in the actor's
    jurisdiction (the API then answers as for someone unknown)."""
    refusal = refuse(actor, capability, obj=user, at=at)
    paths = {s.path for s in caps.user_scopes(user, at=at) if s.path}
    outside = actor is not None and not any(caps.sees(actor, path, at=at) for path in paths)
    return replace(refusal, outside=outside) if outside else refusal


def may_unlock_logins(actor, *, at: datetime | None = None) -> Refusal | None:
    """End a login lockout early: system admins (a username or an address lies in no
    jurisdiction, so only those acting everywhere)."""
    return check(actor, "token.manage", "", at=at, message=_("仅系统管理员可执行此操作"))


def may_create_agency(actor, parent: AgencyPage | None, *, at: datetime | None = None) -> Refusal | None:
    """Under a parent: its admins. A top-level agency (no parent): system admins only."""
    if parent is None:
        return check(actor, "agency.manage", "", at=at, message=_("仅系统管理员可执行此操作"))
    return check(actor, "agency.manage", parent.path, obj=parent, at=at)


def may_create_account(actor, agency: AgencyPage, *, at: datetime | None = None) -> Refusal | None:
    return check(actor, "account.manage", agency.path, obj=agency, at=at)


def may_manage_account(actor, account: AccountPage, *, at: datetime | None = None) -> Refusal | None:
    """Account settings and platform authorisation (the agency admins of the account)."""
    return check(actor, "account.manage", account.path, obj=account, at=at)


def may_transition_account(actor, account: AccountPage, *, at: datetime | None = None) -> Refusal | None:
    return check(actor, "account.transition", account.path, obj=account, at=at)


def may_write_credentials(actor, account: AccountPage, *, at: datetime | None = None) -> Refusal | None:
    return check(actor, "credential.write", account.path, obj=account, at=at)


def may_upload_image(actor, agency: AgencyPage, *, at: datetime | None = None) -> Refusal | None:
    return check(actor, "image.upload", agency.path, obj=agency, at=at, message=_("当前岗位无权上传图片"))


def may_read_reports(actor, path: str | None = None, *, at: datetime | None = None) -> Refusal | None:
    return check(actor, "report.read", path, at=at)


# --- role assignments ---------------------------------------------------------------------------


def _self_management(actor, user, *, at) -> Refusal | None:
    """Nobody but a system admin grants, extends or ends their own role: rotation (轮岗) must be
    decided by someone else."""
    if actor is not None and getattr(actor, "pk", None) == user.pk and not caps.is_everywhere(actor, at=at):
        return Refusal("self_assignment", _("不能为自己分配、变更或撤销岗位"), capability="membership.grant")
    return None


def may_grant_membership(actor, *, role: str, scope, user=None, at: datetime | None = None) -> Refusal | None:
    """Whether `actor` may grant `role` on `scope` (an agency or account page; None for the global
    role). Agency admins grant only below themselves: never a supervising role (auditor, system
    admin), and the agency admin role only strictly below one of the scopes they administer.
    System admins (and the system) grant anything — but nobody but them to themselves."""
    path = scope.path if scope is not None else ""
    if role == caps.GLOBAL_ROLE:
        path = ""
    refusal = check(
        actor, "membership.grant", path, obj=scope, at=at, message="" if path else _("仅系统管理员可执行此操作")
    )
    if refusal is not None:
        return refusal
    if user is not None and (refusal := _self_management(actor, user, at=at)):
        return refusal
    if caps.is_everywhere(actor, at=at):
        return None
    if role in caps.SUPERVISING_ROLES:
        return Refusal(
            "role_not_grantable",
            _("单位管理员不能授予监管审计或系统管理员岗位"),
            capability="membership.grant",
            details={"role": role},
        )
    if role == caps.AGENCY_ADMIN and not any(
        path.startswith(p) and path != p for p in caps.scope_paths(actor, "membership.grant", at=at)
    ):
        return Refusal(
            "role_not_grantable",
            _("只能在所管理单位的下级授予单位管理员岗位"),
            capability="membership.grant",
            details={"role": role},
        )
    return None


def may_administer_membership(actor, assignment: RoleAssignment, *, at: datetime | None = None) -> Refusal | None:
    """Whether the assignment is `actor`'s to manage at all: a global one is system admins'
    business, the rest that of the scope's admins (what the admin's screens and buttons show)."""
    scope = assignment.scope_page
    path = scope.path if scope is not None and assignment.role != caps.GLOBAL_ROLE else ""
    return check(
        actor, "membership.grant", path, obj=assignment, at=at, message="" if path else _("仅系统管理员可执行此操作")
    )


def may_manage_membership(actor, assignment: RoleAssignment, *, at: datetime | None = None) -> Refusal | None:
    """Change or end an assignment: `may_administer_membership`, and nobody manages their own,
    and an agency admin may not end or move the term of an auditor who supervises them (on their
    agency or above)."""
    if refusal := may_administer_membership(actor, assignment, at=at):
        return refusal
    if refusal := _self_management(actor, assignment.user, at=at):
        return refusal
    if (
        assignment.role in caps.AGENCY_ONLY_ROLES
        and assignment.agency is not None
        and not caps.is_everywhere(actor, at=at)
        and any(p.startswith(assignment.agency.path) for p in caps.scope_paths(actor, "membership.grant", at=at))
    ):
        return Refusal("supervisor_protected", _("不能撤销或变更监管本单位的审计岗位"), capability="membership.grant")
    return None


def grantable_roles(actor, *, at: datetime | None = None) -> list[str]:
    """The roles a grant form offers `actor` (the global role only to those acting everywhere)."""
    roles = [*caps.PEOPLE_ROLES, caps.GLOBAL_ROLE]
    return roles if caps.is_everywhere(actor, at=at) else [r for r in roles if r != caps.GLOBAL_ROLE]


def assignment_shape_problem(role: str, *, agency, account) -> tuple[str, str] | None:
    """(code, message) when `role` cannot be held on that scope: the global role on none, an
    agency-only role on an agency, every other on exactly one agency or account."""
    if role not in (*caps.PEOPLE_ROLES, caps.GLOBAL_ROLE):
        return "invalid_role", _("未知岗位：%(role)s") % {"role": role}
    if role == caps.GLOBAL_ROLE and (agency or account):
        return "invalid_scope", _("系统管理员岗位不限定机构或账号")
    if role != caps.GLOBAL_ROLE and bool(agency) == bool(account):
        return "invalid_scope", _("必须指定机构或账号之一")
    if role in caps.AGENCY_ONLY_ROLES and account:
        return "invalid_scope", _("监管审计岗位按机构（辖区）分配")
    return None


def is_global_role(role: str) -> bool:
    return role == caps.GLOBAL_ROLE


# --- the audit ledger ---------------------------------------------------------------------------


def ledger_paths(actor, *, at: datetime | None = None) -> list[str]:
    """The subtrees whose ledger events `actor` may read ([""]: all; []: none)."""
    return caps.scope_paths(actor, "ledger.read", at=at)


def may_read_ledger(actor, *, at: datetime | None = None) -> Refusal | None:
    return check(actor, "ledger.read", None, at=at, message=_("仅监管审计、单位管理员或系统管理员可查看审计日志"))


def may_verify_ledger(actor, *, at: datetime | None = None) -> Refusal | None:
    """Recompute the chain and read the anchors: auditors (any jurisdiction) and system admins."""
    return check(actor, "ledger.verify", None, at=at, message=_("仅监管审计或系统管理员可校验审计日志"))
