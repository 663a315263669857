"""Who may do what, declared once: roles → capabilities → reach.

This module is the only place (with the per-app `policy.py` modules built on it) that names a
role. Everything else asks a policy (`<app>/policy.py`, `may_<verb>(actor, obj, *, at=None)`),
which answers from this table and the actor's role assignments in force at that moment.

- A **capability** is a verb on a kind of object (`post.draft`, `publication.retry`, …).
- Its **holders** are roles, each with a **reach**: `SUBTREE` — where the assignment reaches
  (the account it names, or the agency it names and everything below); `EVERYWHERE`.
  `system_admin` (and a Django superuser) holds every capability everywhere. An object at no
  place in the tree (path "", e.g. a top-level agency or a global assignment) is reached only
  from everywhere.
- The **system actor** (`SYSTEM`): periodic tasks, seeding and upkeep act as it, never as "no
  actor"; it holds every capability everywhere and the ledger records it as "system".

Wagtail's group page and collection permissions, the derived groups' model permissions and the
guardian object permissions on account credentials are generated from this table
(`page_actions`, `image_actions`, `model_permissions`, `roles_with`).

`Refusal` is a policy's answer when the actor may not; `require(refusal)` raises `PolicyRefused`
(logging it at INFO with actor id, capability and object id). Entry points map it: the API to 403
(404 when the object lies outside the actor's jurisdiction, exactly like a missing one), the admin
to a message (or 404).
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import ServiceError
from .models import Role, RoleAssignment

logger = logging.getLogger(__name__)

SCOPE_CACHE_ATTR = "_govcms_scopes"


class Reach(StrEnum):
    SUBTREE = "subtree"  # the assignment's account, or its agency and everything below
    EVERYWHERE = "everywhere"


EDITOR, REVIEWER, SIGNER = Role.EDITOR, Role.REVIEWER, Role.SIGNER
AGENCY_ADMIN, AUDITOR, SYSTEM_ADMIN = Role.AGENCY_ADMIN, Role.AUDITOR, Role.SYSTEM_ADMIN
PEOPLE_ROLES = (EDITOR, REVIEWER, SIGNER, AGENCY_ADMIN, AUDITOR)
# The one role held without a scope: it applies everywhere.
GLOBAL_ROLE = SYSTEM_ADMIN
# Roles an agency admin may not grant (they supervise or stand above the agency admins).
SUPERVISING_ROLES = frozenset({AUDITOR, SYSTEM_ADMIN})
# Roles that can only be held on an agency (an auditor supervises a subtree, not one account).
AGENCY_ONLY_ROLES = frozenset({AUDITOR})
# Roles a review-chain step may name, by seniority; an overdue step escalates one rank up.
STEP_ROLES = (REVIEWER, SIGNER, AGENCY_ADMIN)
STEP_ROLE_RANK = {role: rank for rank, role in enumerate(STEP_ROLES, start=1)}
ESCALATION = {REVIEWER: SIGNER, SIGNER: AGENCY_ADMIN, AGENCY_ADMIN: AGENCY_ADMIN}
DEFAULT_CHAIN_ROLES = (REVIEWER, SIGNER)  # 初审 → 签发
CRISIS_CHAIN_ROLE = SIGNER  # 快速签发
WITHDRAWAL_STEP_ROLES = (SIGNER,)  # a signer approves a withdrawal
REPLY_STEP_ROLES = (REVIEWER,)  # 回复审核: one reviewer step for inbox replies and moderation
AFTER_REVIEW_ROLES = (REVIEWER, SIGNER)  # after-the-fact review of a crisis fast-track


@dataclass(frozen=True)
class Capability:
    name: str
    label: str  # Chinese, translatable
    holders: dict[str, Reach]
    page_actions: tuple[str, ...] = ()  # Wagtail page permissions it implies on the holder's scope
    image_actions: tuple[str, ...] = ()  # Wagtail image permissions on the scope's collections
    model_permissions: tuple[str, ...] = ()  # "app_label.codename" on the holder's derived groups
    object_permissions: tuple[str, ...] = ()  # guardian permissions on credentials in the scope


S = Reach.SUBTREE
WRITERS = {EDITOR: S, REVIEWER: S, SIGNER: S, AGENCY_ADMIN: S}
LEXICON_PERMISSIONS = tuple(
    f"editorial.{action}_{model}"
    for action in ("add", "change", "delete", "view")
    for model in ("lexiconentry", "leadertitle")
)

TABLE: tuple[Capability, ...] = (
    Capability(
        "admin.enter",
        gettext_lazy("进入管理后台"),
        dict.fromkeys(PEOPLE_ROLES, S),
        model_permissions=("wagtailadmin.access_admin",),
    ),
    Capability("post.read", gettext_lazy("查看辖区内容"), dict.fromkeys(PEOPLE_ROLES, S)),
    Capability("page.explore", gettext_lazy("浏览页面树"), {AGENCY_ADMIN: S, AUDITOR: S}, page_actions=("lock",)),
    Capability("post.draft", gettext_lazy("起草稿件"), {EDITOR: S, AGENCY_ADMIN: S}, page_actions=("add",)),
    Capability(
        "post.edit",
        gettext_lazy("修改稿件"),
        {EDITOR: S, REVIEWER: S, SIGNER: S, AGENCY_ADMIN: S},
        page_actions=("change",),
    ),
    Capability("post.check", gettext_lazy("运行内容检查"), WRITERS),
    Capability("post.submit", gettext_lazy("提交审核"), {EDITOR: S, SIGNER: S, AGENCY_ADMIN: S}),
    Capability("post.override_check", gettext_lazy("填写理由强制提交"), {SIGNER: S}),
    Capability("post.approve_step", gettext_lazy("审批审核步骤"), dict.fromkeys(STEP_ROLES, S)),
    Capability("post.withdraw", gettext_lazy("申请撤回已发布内容"), {EDITOR: S, SIGNER: S, AGENCY_ADMIN: S}),
    Capability("page.publish", gettext_lazy("页面发布权限（管理员）"), {AGENCY_ADMIN: S}, page_actions=("publish",)),
    Capability("page.unlock", gettext_lazy("解锁页面"), {AGENCY_ADMIN: S}, page_actions=("unlock",)),
    Capability("page.delete", gettext_lazy("批量删除页面"), {AGENCY_ADMIN: S}, page_actions=("bulk_delete",)),
    Capability("campaign.create", gettext_lazy("创建联动专题"), {EDITOR: S, SIGNER: S, AGENCY_ADMIN: S}),
    Capability("chain.configure", gettext_lazy("配置审核流程"), {AGENCY_ADMIN: S}),
    Capability("image.upload", gettext_lazy("上传和选用图片"), WRITERS, image_actions=("add", "change", "choose")),
    Capability("image.delete", gettext_lazy("删除图片"), {AGENCY_ADMIN: S}, image_actions=("delete",)),
    Capability("publication.retry", gettext_lazy("重试失败的发布"), {EDITOR: S, SIGNER: S, AGENCY_ADMIN: S}),
    Capability(
        "publication.confirm_absent", gettext_lazy("确认平台上不存在后重试"), {EDITOR: S, SIGNER: S, AGENCY_ADMIN: S}
    ),
    Capability("inbox.handle", gettext_lazy("录入、受理、分派和转办互动事项"), {EDITOR: S, SIGNER: S, AGENCY_ADMIN: S}),
    Capability("inbox.notified", gettext_lazy("接收新评论和留言提醒"), {EDITOR: S, AGENCY_ADMIN: S}),
    Capability("inbox.manage", gettext_lazy("配置互动事项分办规则和办理时限、接收跨辖区转办"), {AGENCY_ADMIN: S}),
    Capability("inbox.escalated", gettext_lazy("接收互动事项逾期升级通知"), {AGENCY_ADMIN: S}),
    Capability("account.manage", gettext_lazy("开设账号、授权平台、接收账号故障通知"), {AGENCY_ADMIN: S}),
    Capability("account.transition", gettext_lazy("办理账号变更、停更、注销"), {AGENCY_ADMIN: S}),
    Capability(
        "credential.write",
        gettext_lazy("写入账号凭据"),
        {AGENCY_ADMIN: S},
        object_permissions=("govcms.view_accountcredential", "govcms.change_accountcredential"),
    ),
    Capability("agency.manage", gettext_lazy("创建下级机构"), {AGENCY_ADMIN: S}),
    Capability("membership.grant", gettext_lazy("分配、变更、撤销岗位"), {AGENCY_ADMIN: S}),
    Capability("user.create", gettext_lazy("创建用户"), {AGENCY_ADMIN: S}),
    Capability("token.manage", gettext_lazy("查看和吊销 API 令牌、登录记录，解除登录锁定"), {AGENCY_ADMIN: S}),
    Capability("lexicon.import", gettext_lazy("维护检查词库和领导名录"), {}, model_permissions=LEXICON_PERMISSIONS),
    Capability(
        "calendar.manage",
        gettext_lazy("维护节假日与调休"),
        {},
        model_permissions=tuple(f"govcms.{action}_calendarday" for action in ("add", "change", "delete", "view")),
    ),
    Capability("ledger.read", gettext_lazy("查看审计日志"), {AUDITOR: S, AGENCY_ADMIN: S}),
    Capability("ledger.verify", gettext_lazy("校验审计日志链"), {AUDITOR: S}),
    Capability("report.read", gettext_lazy("查看报表和导出"), {AUDITOR: S, AGENCY_ADMIN: S}),
    Capability("finding.record", gettext_lazy("登记、确认和排除监管发现"), {AUDITOR: S}),
    Capability("scheme.edit", gettext_lazy("修改考核方案"), {AUDITOR: S}),
    Capability("spotcheck.run", gettext_lazy("开展抽查并登记抽查结果"), {AUDITOR: S}),
    Capability("case.open", gettext_lazy("问责立案、退回整改和结案"), {AUDITOR: S}),
    Capability("case.respond", gettext_lazy("答复问责案件并提交整改情况"), {AGENCY_ADMIN: S, SIGNER: S}),
    Capability("compliance.warned", gettext_lazy("接收账号停更预警（第 10 天）"), {EDITOR: S, AGENCY_ADMIN: S}),
    Capability("compliance.escalated", gettext_lazy("接收账号停更预警（第 12 天，分管领导）"), {SIGNER: S}),
    # Scheduled release, review reminders and escalations, role upkeep: the system's own work.
    Capability("system.upkeep", gettext_lazy("定时任务（定时发布、审核提醒与升级、岗位维护）"), {}),
)
CAPABILITIES: dict[str, Capability] = {c.name: c for c in TABLE}
ALL_PAGE_ACTIONS = ("add", "change", "publish", "lock", "unlock", "bulk_delete")
ALL_IMAGE_ACTIONS = ("add", "change", "delete", "choose")


def roles_with(capability: str) -> set[str]:
    """The roles holding `capability` (system admins hold every one)."""
    return {*CAPABILITIES[capability].holders, GLOBAL_ROLE}


def _granted(role: str, attribute: str, order: tuple[str, ...]) -> tuple[str, ...]:
    got = {a for c in TABLE if role == GLOBAL_ROLE or role in c.holders for a in getattr(c, attribute)}
    return tuple(a for a in order if a in got) if order else tuple(sorted(got))


def page_actions(role: str) -> tuple[str, ...]:
    """Wagtail page actions `role` receives on its scope (auditors get "lock" only to open the
    explorer; GovPagePermissionTester makes it read-only)."""
    return _granted(role, "page_actions", ALL_PAGE_ACTIONS)


def image_actions(role: str) -> tuple[str, ...]:
    return _granted(role, "image_actions", ALL_IMAGE_ACTIONS)


def model_permissions(role: str) -> tuple[str, ...]:
    return _granted(role, "model_permissions", ())


def object_permissions(capability: str) -> tuple[str, ...]:
    return CAPABILITIES[capability].object_permissions


# --- actors and their scopes --------------------------------------------------------------------


@dataclass(frozen=True)
class SystemActor:
    """The installation acting on its own (periodic tasks, seeding, upkeep). Not a user: it is
    not authenticated (no page owner, no session), and the ledger records its `name`."""

    name: str = "system"
    pk = None
    is_system = True
    is_authenticated = False
    is_active = True
    is_superuser = False

    def get_username(self) -> str:
        return self.name

    def __str__(self) -> str:
        return self.name


SYSTEM = SystemActor()


def is_system(actor) -> bool:
    return getattr(actor, "is_system", False) is True


def person(actor):
    """The user behind `actor` for a "who did it" foreign key: None for the system."""
    return actor if getattr(actor, "is_authenticated", False) else None


@dataclass(frozen=True)
class Scope:
    role: str
    path: str  # "" for a global (system_admin) assignment


def user_scopes(user, *, at: datetime | None = None) -> list[Scope]:
    """The (role, tree path) pairs of `user`'s assignments in force at `at` (default now; cached
    per request object for "now", one query otherwise)."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, SCOPE_CACHE_ATTR, None) if at is None else None
    if cached is not None:
        return cached
    rows = RoleAssignment.objects.active(at).filter(user=user).values_list("role", "agency__path", "account__path")
    scopes = [Scope(role, agency_path or account_path or "") for role, agency_path, account_path in rows]
    if at is None:
        setattr(user, SCOPE_CACHE_ATTR, scopes)
    return scopes


def forget_scopes(user) -> None:
    """Drop the per-request scope cache (after the user's assignments changed)."""
    if hasattr(user, SCOPE_CACHE_ATTR):
        delattr(user, SCOPE_CACHE_ATTR)


def is_everywhere(actor, *, at: datetime | None = None) -> bool:
    """Whether `actor` holds every capability everywhere: the system, a superuser, a system admin."""
    if is_system(actor):
        return True
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    return actor.is_superuser or any(s.role == GLOBAL_ROLE for s in user_scopes(actor, at=at))


def holds(actor, capability: str, path: str | None, *, at: datetime | None = None) -> bool:
    """Whether `actor` holds `capability` on the tree node at `path` at `at` (default now).
    `path` None asks "anywhere at all"; "" is the place above the tree (everywhere only)."""
    cap = CAPABILITIES[capability]
    if is_everywhere(actor, at=at):
        return True
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    for scope in user_scopes(actor, at=at):
        reach = cap.holders.get(scope.role)
        if reach is Reach.EVERYWHERE:
            return True
        if reach is Reach.SUBTREE and (path is None or (path and path.startswith(scope.path))):
            return True
    return False


def scope_paths(actor, capability: str | None = None, *, at: datetime | None = None) -> list[str]:
    """Tree paths where `actor` holds `capability` (any role, when None). [""] means everywhere."""
    if is_everywhere(actor, at=at):
        return [""]
    holders = CAPABILITIES[capability].holders if capability else None
    return sorted({s.path for s in user_scopes(actor, at=at) if s.path and (holders is None or s.role in holders)})


def sees(actor, path: str, *, at: datetime | None = None) -> bool:
    """Whether `path` lies inside `actor`'s jurisdiction (any role)."""
    return any(p == "" or path.startswith(p) for p in scope_paths(actor, at=at))


# --- refusals -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """Why an actor may not: a machine code (the API's 403 code), a translated message, and whether
    the object lies outside the actor's jurisdiction (then entry points answer 404, as for a
    missing object)."""

    code: str
    message: str
    outside: bool = False
    capability: str = ""
    actor_id: int | str | None = None
    object_id: str = ""
    details: dict = field(default_factory=dict, compare=False)


def actor_id(actor) -> int | str | None:
    return actor.name if is_system(actor) else getattr(actor, "pk", None)


def refuse(
    actor, capability: str, *, path: str | None = None, obj=None, code: str = "forbidden", message: str = "", at=None
) -> Refusal:
    """A refusal of `capability` on the object at `path` (outside when `path` is not in the
    actor's jurisdiction)."""
    if actor is None:
        code, message = "no_actor", _("没有指明操作人")
    outside = path is not None and path != "" and not sees(actor, path, at=at)
    holders = sorted(CAPABILITIES[capability].holders)
    required = holders if holders and path != "" else [GLOBAL_ROLE]
    return Refusal(
        code=code,
        message=message or _("当前岗位无权执行此操作"),
        outside=outside,
        capability=capability,
        actor_id=actor_id(actor),
        object_id=str(getattr(obj, "pk", "") or ""),
        details={"capability": capability, "required_roles": required},
    )


def check(actor, capability: str, path: str | None, *, obj=None, at=None, message: str = "") -> Refusal | None:
    """None if `actor` holds `capability` at `path` (see `holds`), else the refusal."""
    if actor is not None and holds(actor, capability, path, at=at):
        return None
    return refuse(actor, capability, path=path, obj=obj, message=message, at=at)


class PolicyRefused(ServiceError, PermissionDenied):
    """A policy refused the actor. A ServiceError (so every entry point that shows service
    refusals shows this one) and a PermissionDenied (403 wherever nothing catches it)."""

    def __init__(self, refusal: Refusal):
        super().__init__(refusal.code, refusal.message, status=404 if refusal.outside else 403, details=refusal.details)
        self.refusal = refusal


def require(refusal: Refusal | None) -> None:
    """Raise PolicyRefused for a refusal (logged at INFO, ids only); nothing for None."""
    if refusal is None:
        return
    logger.info(
        "permission refused: actor=%s capability=%s object=%s code=%s outside=%s",
        refusal.actor_id,
        refusal.capability,
        refusal.object_id,
        refusal.code,
        refusal.outside,
    )
    raise PolicyRefused(refusal)


def markdown_table() -> str:
    """The table as docs/permissions.md shows it (Chinese and English labels; a test keeps the
    document equal to this)."""
    from django.utils import translation

    def label(text, language):
        with translation.override(language):
            return str(text)

    def role(value, language):
        return label(Role(value).label, language)

    lines = [
        "| capability | 能力 | capability (English) | 岗位 roles (reach: subtree of the assignment) |",
        "|---|---|---|---|",
    ]
    for c in TABLE:
        holders = ", ".join(f"{role(r, 'zh-hans')} {r}" for r in c.holders) or "—"
        lines.append(f"| `{c.name}` | {label(c.label, 'zh-hans')} | {label(c.label, 'en')} | {holders} |")
    return "\n".join(lines) + "\n"
