"""Organisation endpoints: auth, /me, users, agencies, accounts, memberships.

Endpoints stay thin: fetch through a scoped selector (anything outside the caller's
jurisdiction is 404), check the role, call one service.
"""

from django.contrib.auth import get_user_model, logout
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from wagtail.models import Page

from govcms import policy, selectors, services
from govcms.capabilities import require
from govcms.models import (
    AccountCredential,
    AccountPage,
    AccountStatus,
    AgencyPage,
    Level,
    Platform,
    Role,
    RoleAssignment,
)

from .errors import ApiError
from .pagination import page
from .schemas import (
    AccountIn,
    AccountOut,
    AgencyIn,
    AgencyOut,
    Id,
    MembershipIn,
    MembershipOut,
    MembershipPatch,
    MeOut,
    PasswordChangeIn,
    Text,
    TokenIn,
    TokenOut,
    TransitionIn,
    TransitionOut,
    UserIn,
    UserOut,
    WechatCredentialsIn,
    WeiboCredentialsIn,
)

router = Router(tags=["organisation"])
User = get_user_model()


# --- auth and me --------------------------------------------------------------------------------


def _login(request, username: str, password: str):
    """The user for these credentials, None if wrong; 429 `locked_out` while throttled."""
    try:
        return services.login_authenticate(request=request, username=username, password=password)
    except services.LoginThrottled as throttled:
        raise ApiError(
            429,
            "locked_out",
            _("登录失败次数过多，请稍后再试"),
            {"until": throttled.lockout.until.isoformat(), "kind": throttled.lockout.kind},
        ) from throttled


@router.post(
    "/auth/token", auth=None, response={200: TokenOut}, summary="Exchange username/password for a bearer token"
)
def auth_token(request, payload: TokenIn):
    user = _login(request, payload.username, payload.password)
    if user is None or not user.is_active:
        raise ApiError(401, "invalid_credentials", _("用户名或密码错误"))
    token, expires_at = services.api_token_issue(user=user)
    return {"token": token, "expires_at": expires_at}


@router.post("/auth/logout", response={204: None}, summary="Revoke the caller's token (or end the session)")
def auth_logout(request):
    token = getattr(request, "api_token", None)
    if token is not None:
        services.api_token_revoke(actor=request.auth, token=token, reason="logout")
    else:
        logout(request)  # the admin session: recorded as "auth.logout" by the audit receivers
    return Status(204, None)


@router.post("/me/password", response={204: None}, summary="Change the caller's password; ends all their tokens")
def me_password(request, payload: PasswordChangeIn):
    user = request.auth
    # The current password is checked as a login is, so this cannot be used to guess it.
    if _login(request, user.username, payload.current_password) is None:
        raise ApiError(422, "invalid_current_password", _("当前密码不正确"))
    services.user_password_change(actor=user, user=user, password=payload.new_password)
    return Status(204, None)


def role_out(a: RoleAssignment) -> dict:
    return {
        "id": a.pk,
        "role": a.role,
        "agency_id": a.agency_id,
        "account_id": a.account_id,
        "valid_from": a.valid_from,
        "valid_to": a.valid_to,
    }


@router.get("/me", response=MeOut, summary="The caller and their roles in force")
def me(request):
    user = request.auth
    assignments = RoleAssignment.objects.active().filter(user=user)
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.get_full_name() or user.username,
        "is_system_admin": selectors.is_system_admin(user),
        "roles": [role_out(a) for a in assignments],
    }


@router.post("/users", response={201: UserOut}, summary="Create a user (system or agency admins)")
def user_create(request, payload: UserIn):
    user = services.user_create(
        actor=request.auth, username=payload.username, password=payload.password, display_name=payload.display_name
    )
    return Status(201, {"id": user.pk, "username": user.username, "display_name": user.first_name})


# --- agencies -----------------------------------------------------------------------------------


def agency_out(agency: AgencyPage) -> dict:
    parent_path = agency.path[: -agency.steplen]
    parent_id = getattr(agency, "parent_id_annotation", None)
    if parent_id is None and agency.depth > 2:
        parent_id = Page.objects.filter(path=parent_path).values_list("pk", flat=True).first()
    return {
        "id": agency.pk,
        "name": agency.title,
        "parent_id": parent_id,
        "region_code": agency.region_code,
        "level": agency.level,
        "category": agency.category,
        "depth": agency.depth,
    }


class AgencyFilter(Schema):
    parent_id: Id | None = None
    level: Level | None = None


def _with_parent_ids(queryset):
    """Annotate each page with its parent's id in the same query (no per-row lookups)."""
    from django.db.models import OuterRef, Subquery
    from django.db.models.functions import Length, Substr

    parent = Page.objects.filter(path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Page.steplen))
    return queryset.annotate(parent_id_annotation=Subquery(parent.values("pk")[:1]))


@router.get("/agencies", summary="Agencies visible to the caller")
def agency_list(request, filters: Query[AgencyFilter]):
    qs = _with_parent_ids(selectors.agencies_visible_to(request.auth))
    if filters.level:
        qs = qs.filter(level=filters.level)
    if filters.parent_id is not None:
        # An agency outside the jurisdiction is "not found", exactly like a missing one.
        parent = selectors.access_object(selectors.agencies_visible_to(request.auth), filters.parent_id)
        qs = qs.child_of(parent)
    return page(request, qs, agency_out)


@router.get("/agencies/{agency_id}", response=AgencyOut)
def agency_detail(request, agency_id: Id):
    return agency_out(selectors.access_object(_with_parent_ids(selectors.agencies_visible_to(request.auth)), agency_id))


@router.post("/agencies", response={201: AgencyOut}, summary="Create an agency under a visible parent")
def agency_create(request, payload: AgencyIn):
    parent = None
    if payload.parent_id is not None:
        parent = selectors.access_object(selectors.agencies_visible_to(request.auth), payload.parent_id)
    agency = services.agency_create(
        actor=request.auth,
        parent=parent,
        name=payload.name,
        region_code=payload.region_code,
        level=payload.level,
        category=payload.category,
    )
    return Status(201, agency_out(agency))


# --- accounts -----------------------------------------------------------------------------------


def account_out(account: AccountPage, *, with_credentials: bool = False) -> dict:
    data = {
        "id": account.pk,
        "agency_id": getattr(account, "parent_id_annotation", None),
        "platform": account.platform,
        "name": account.title,
        "platform_account_id": account.platform_account_id,
        "operating_unit": account.operating_unit,
        "outsourced": account.outsourced,
        "responsible_person": account.responsible_person,
        "verified": account.verified,
        "status": account.status,
    }
    if with_credentials:
        credential = AccountCredential.objects.filter(account=account).first()
        data["credentials"] = credential and {
            "configured": credential.has_secret,
            "version": credential.version,
            "uid": credential.uid,
            "token_expires_at": credential.token_expires_at,
            "updated_at": credential.updated_at,
            "problem": {"code": credential.problem_code, "at": credential.problem_at}
            if credential.problem_code
            else None,
        }
    return data


class AccountFilter(Schema):
    agency_id: Id | None = None
    platform: Platform | None = None
    status: AccountStatus | None = None


def visible_accounts(request):
    return _with_parent_ids(selectors.accounts_visible_to(request.auth))


@router.get("/accounts", summary="Accounts visible to the caller")
def account_list(request, filters: Query[AccountFilter]):
    qs = visible_accounts(request)
    if filters.agency_id is not None:
        agency = selectors.access_object(selectors.agencies_visible_to(request.auth), filters.agency_id)
        qs = qs.filter(path__startswith=agency.path)
    if filters.platform:
        qs = qs.filter(platform=filters.platform)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return page(request, qs, account_out)


@router.get("/accounts/{account_id}", response=AccountOut)
def account_detail(request, account_id: Id):
    account = selectors.access_object(visible_accounts(request), account_id)
    return account_out(account, with_credentials=True)


@router.post("/accounts", response={201: AccountOut}, summary="Open an account (status applied)")
def account_create(request, payload: AccountIn):
    agency = selectors.access_object(selectors.agencies_visible_to(request.auth), payload.agency_id)
    credentials = _credentials_for(payload.platform, payload.credentials)
    account = services.account_create(
        actor=request.auth,
        agency=agency,
        platform=payload.platform,
        name=payload.name,
        platform_account_id=payload.platform_account_id,
        operating_unit=payload.operating_unit,
        outsourced=payload.outsourced,
        responsible_person=payload.responsible_person,
        verified=payload.verified,
        exemption_reason=payload.exemption_reason,
        credentials=credentials,
    )
    return Status(
        201, account_out(selectors.access_object(visible_accounts(request), account.pk), with_credentials=True)
    )


def _credentials_for(platform: str, credentials) -> dict | None:
    if credentials is None:
        return None
    expected = WechatCredentialsIn if platform == "wechat" else WeiboCredentialsIn
    if not isinstance(credentials, expected):
        raise ApiError(
            422,
            "invalid_credentials",
            _("微信账号凭据为 {appid, secret}，微博账号凭据为 {access_token, uid}"),
            {"platform": platform},
        )
    return credentials.dict(exclude_none=True)


@router.put("/accounts/{account_id}/credentials", response=AccountOut, summary="Replace credentials (write-only)")
def account_credentials(request, account_id: Id, payload: WechatCredentialsIn | WeiboCredentialsIn):
    account = selectors.access_object(visible_accounts(request), account_id)
    services.credential_set(actor=request.auth, account=account, **_credentials_for(account.platform, payload))
    return account_out(account, with_credentials=True)


@router.post("/accounts/{account_id}/transition", response=TransitionOut, summary="File a lifecycle transition")
def account_transition(request, account_id: Id, payload: TransitionIn):
    account = selectors.access_object(visible_accounts(request), account_id)
    transition = services.account_transition(
        actor=request.auth, account=account, to=payload.to, reason=payload.reason, filing_number=payload.filing_number
    )
    return {
        "id": transition.pk,
        "status": transition.to_status,
        "from_status": transition.from_status,
        "filing_number": transition.filing_number,
        "approver": request.auth.username,
        "at": transition.at,
    }


# --- memberships --------------------------------------------------------------------------------


def membership_out(a: RoleAssignment) -> dict:
    now = timezone.now()
    return {
        **role_out(a),
        "username": a.user.username,
        "revoked_at": a.revoked_at,
        "active": a.revoked_at is None and a.valid_from <= now and (a.valid_to is None or a.valid_to > now),
    }


class MembershipFilter(Schema):
    username: Text | None = None
    role: Role | None = None
    active: bool | None = None


@router.get("/memberships", summary="Role assignments in the caller's jurisdiction")
def membership_list(request, filters: Query[MembershipFilter]):
    qs = selectors.assignments_visible_to(request.auth)
    if filters.username:
        qs = qs.filter(user__username=filters.username)
    if filters.role:
        qs = qs.filter(role=filters.role)
    if filters.active is not None:
        active_ids = RoleAssignment.objects.active().values("pk")
        qs = qs.filter(pk__in=active_ids) if filters.active else qs.exclude(pk__in=active_ids)
    return page(request, qs.order_by("id"), membership_out)


def _visible_assignment(request, membership_id: int) -> RoleAssignment:
    return selectors.access_object(selectors.assignments_visible_to(request.auth), membership_id)


@router.get("/memberships/{membership_id}", response=MembershipOut)
def membership_detail(request, membership_id: Id):
    return membership_out(_visible_assignment(request, membership_id))


@router.post("/memberships", response={201: MembershipOut}, summary="Assign a role for a validity window")
def membership_create(request, payload: MembershipIn):
    agency = account = None
    if policy.is_global_role(payload.role):
        require(policy.may_grant_membership(request.auth, role=payload.role, scope=None))
    if payload.agency_id is not None:
        agency = selectors.access_object(selectors.agencies_visible_to(request.auth), payload.agency_id)
    if payload.account_id is not None:
        account = selectors.access_object(selectors.accounts_visible_to(request.auth), payload.account_id)
    # The service decides (`policy.may_grant_membership`, after refusing a malformed scope); asked
    # first here too so that a caller who may not grant learns nothing about which usernames exist.
    if (account or agency) and policy.assignment_shape_problem(payload.role, agency=agency, account=account) is None:
        require(policy.may_grant_membership(request.auth, role=payload.role, scope=account or agency))
    # Someone with roles only outside the caller's jurisdiction is "unknown", like a missing name.
    user = selectors.users_assignable_by(request.auth).filter(username=payload.username, is_active=True).first()
    if user is None:
        raise ApiError(422, "unknown_user", _("用户不存在"), {"username": payload.username})
    assignment = services.role_assign(
        actor=request.auth,
        user=user,
        role=payload.role,
        agency=agency,
        account=account,
        valid_from=payload.valid_from,
        valid_to=payload.valid_to,
    )
    return Status(201, membership_out(assignment))


@router.patch("/memberships/{membership_id}", response=MembershipOut, summary="Move the validity window")
def membership_update(request, membership_id: Id, payload: MembershipPatch):
    assignment = _visible_assignment(request, membership_id)
    assignment = services.role_change(
        actor=request.auth, assignment=assignment, valid_from=payload.valid_from, valid_to=payload.valid_to
    )
    return membership_out(assignment)


@router.delete("/memberships/{membership_id}", response={204: None}, summary="Revoke now; permissions end at once")
def membership_delete(request, membership_id: Id):
    assignment = _visible_assignment(request, membership_id)
    services.role_revoke(actor=request.auth, assignment=assignment)
    return Status(204, None)
