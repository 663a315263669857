"""Writes of the organisation core. Each service validates, writes and records its own audit
event inside one transaction; callers (API, admin hooks, tasks) check who may call them.

Permissions are derived data: `permissions_sync_user` recomputes a user's Wagtail groups and
guardian object permissions from their role assignments in force, and every service that changes
assignments or the tree calls it for the users concerned.
"""

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from functools import reduce
from operator import or_

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm
from wagtail.images import get_image_model
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page

from audit import ledger
from audit.context import current_source, request_source

from . import capabilities, policy
from .capabilities import SYSTEM, person, require
from .errors import ServiceError
from .images import ImageRejected, prepare_image
from .models import (
    ACCOUNT_TRANSITIONS,
    AccountCredential,
    AccountPage,
    AccountStatus,
    AccountTransition,
    AgencyCollection,
    AgencyPage,
    ApiToken,
    Platform,
    RoleAssignment,
    UserPermissionState,
)
from .selectors import (
    ThrottleMark,
    address_or_none,
    forget_scopes,
    login_count_start,
    login_failures_since,
    login_lockout,
    login_throttle_mark,
    login_throttle_rule,
    sibling_accounts_on_platform,
    user_jurisdiction_paths,
)

logger = logging.getLogger(__name__)
User = get_user_model()

GROUP_PREFIX = "govcms:"
# Guardian permissions on the account credentials in the scope of who holds `credential.write`.
CREDENTIAL_PERMS = capabilities.object_permissions("credential.write")


# --- permission derivation ---------------------------------------------------------------


def _role_group(role: str, page: Page) -> Group:
    """The derived group granting `role` on `page`'s subtree, created with its permissions once."""
    group, created = Group.objects.get_or_create(name=f"{GROUP_PREFIX}{role}:{page.pk}")
    wanted = capabilities.model_permissions(role)
    group.permissions.add(
        *Permission.objects.filter(
            reduce(or_, (Q(content_type__app_label=p.split(".")[0], codename=p.split(".")[1]) for p in wanted))
        )
    )
    if created:
        GroupPagePermission.objects.bulk_create(
            GroupPagePermission(group=group, page=page, permission=perm)
            for perm in Permission.objects.filter(
                content_type__app_label="wagtailcore",
                codename__in=[f"{action}_page" for action in capabilities.page_actions(role)],
            )
        )
        collection = scope_collection(page=page)
        GroupCollectionPermission.objects.bulk_create(
            GroupCollectionPermission(group=group, collection=collection, permission=perm)
            for perm in Permission.objects.filter(
                content_type__app_label="wagtailimages",
                codename__in=[f"{action}_image" for action in capabilities.image_actions(role)],
            )
        )
    return group


def _next_boundary(user, now: datetime) -> datetime | None:
    """The earliest future instant at which one of `user`'s assignments starts or ends."""
    pending = RoleAssignment.objects.filter(user=user, revoked_at__isnull=True)
    starts = pending.filter(valid_from__gt=now).order_by("valid_from").values_list("valid_from", flat=True)[:1]
    ends = pending.filter(valid_to__gt=now).order_by("valid_to").values_list("valid_to", flat=True)[:1]
    candidates = [*starts, *ends]
    return min(candidates) if candidates else None


@transaction.atomic
def permissions_sync_user(*, user, now: datetime | None = None) -> None:
    """Make `user`'s derived groups and credential object permissions match their assignments
    in force at `now`, and write the natural end of any newly lapsed assignment to the ledger.
    """
    now = now or timezone.now()
    active = list(RoleAssignment.objects.active(now).filter(user=user).select_related("agency", "account"))

    wanted: list[Group] = []
    for assignment in active:
        page = assignment.scope_page or Page.get_first_root_node()
        wanted.append(_role_group(assignment.role, page))
    derived = set(user.groups.filter(name__startswith=GROUP_PREFIX))
    user.groups.remove(*(derived - set(wanted)))
    user.groups.add(*(set(wanted) - derived))

    credential_roles = capabilities.roles_with("credential.write")
    admin_paths = [a.scope_page.path for a in active if a.role in credential_roles and a.scope_page]
    is_global_admin = any(a.role == capabilities.GLOBAL_ROLE for a in active)
    credentials = AccountCredential.objects.all()
    if not is_global_admin:
        scope = Q(pk__in=[])
        for path in admin_paths:
            scope |= Q(account__path__startswith=path)
        credentials = credentials.filter(scope)
    wanted_ids = set(credentials.values_list("pk", flat=True))
    held = AccountCredential.objects.filter(pk__in=_credential_ids_with_perm(user)).values_list("pk", flat=True)
    for perm in CREDENTIAL_PERMS:
        stale = AccountCredential.objects.filter(pk__in=set(held) - wanted_ids)
        if stale:
            remove_perm(perm, user, stale)
        fresh = AccountCredential.objects.filter(pk__in=wanted_ids - set(held))
        if fresh:
            assign_perm(perm, user, fresh)

    lapsed = RoleAssignment.objects.filter(
        user=user, revoked_at__isnull=True, expiry_recorded=False, valid_to__lte=now
    ).select_related("agency", "account")
    lapsed = list(lapsed)
    for assignment in lapsed:
        ledger.record(
            action="role.expired",
            actor=SYSTEM,
            obj=assignment,
            data={"user": user.username, "role": assignment.role, "valid_to": assignment.valid_to.isoformat()},
            scope=assignment.scope_page.path if assignment.scope_page else "",
        )
    if lapsed:
        RoleAssignment.objects.filter(pk__in=[a.pk for a in lapsed]).update(expiry_recorded=True)
        _revoke_tokens_if_roleless(actor=SYSTEM, user=user, now=now)

    UserPermissionState.objects.update_or_create(
        user=user, defaults={"synced_at": now, "valid_until": _next_boundary(user, now)}
    )
    forget_scopes(user)
    for attr in (
        "_page_permission_cache",
        "_collection_permission_cache",
        "_explorable_root_page_cache",
        "_govcms_auditor_groups",
        "_perm_cache",
    ):
        if hasattr(user, attr):
            delattr(user, attr)


def _credential_ids_with_perm(user) -> set[int]:
    from guardian.models import UserObjectPermission

    return {
        int(pk)
        for pk in UserObjectPermission.objects.filter(
            user=user, content_type__app_label="govcms", content_type__model="accountcredential"
        ).values_list("object_pk", flat=True)
    }


def permissions_ensure_current(*, user) -> bool:
    """Recompute `user`'s permissions if an assignment started or ended since the last sync;
    True if it did (the user's tokens may have ended with their last role).

    Called at the start of every authenticated request (session or API token): one query when
    nothing is due.
    """
    if not user.is_authenticated or user.is_superuser:
        return False
    now = timezone.now()
    state = UserPermissionState.objects.filter(user=user).only("valid_until").first()
    if state is None or (state.valid_until is not None and state.valid_until <= now):
        permissions_sync_user(user=user, now=now)
        return True
    return False


def permissions_sync_scope(*, page: Page) -> None:
    """Re-sync every user holding an assignment on `page` or an ancestor (after the tree grew)."""
    ancestor_paths = [page.path[:i] for i in range(page.steplen, len(page.path) + 1, page.steplen)]
    users = User.objects.filter(
        Q(role_assignments__agency__path__in=ancestor_paths)
        | Q(role_assignments__account__path__in=ancestor_paths)
        | Q(role_assignments__role=capabilities.GLOBAL_ROLE)
    ).distinct()
    for user in users:
        permissions_sync_user(user=user)


# --- users and tokens --------------------------------------------------------------------

# Why a token stopped working, as the ledger and the admin's token list record it.
TOKEN_REVOKE_REASONS = ("logout", "admin", "password_changed", "deactivated", "roles_ended")


def _validate_password(password: str, user) -> None:
    """Django's AUTH_PASSWORD_VALIDATORS, their messages filed under the `password` field."""
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error


@transaction.atomic
def user_create(*, actor, username: str, password: str, display_name: str = "", email: str = ""):
    """Create a login. Raises ServiceError(409, username_taken) if the name exists and
    ValidationError (field `password`) for a password the validators refuse."""
    require(policy.may_create_user(actor))
    if username.casefold() == SYSTEM.get_username().casefold():
        # Reserved: the history screens show the system actor by this name, and a person
        # called so would read as the system there.
        raise ServiceError("username_reserved", _("该用户名为系统保留，请换一个"), status=409)
    if User.objects.filter(username=username).exists():
        raise ServiceError("username_taken", _("用户名已存在"), status=409)
    user = User(username=username, first_name=display_name[:150], email=email)
    _validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    ledger.record(action="user.created", actor=actor, obj=user, data={"username": username})
    return user


@transaction.atomic
def user_password_change(*, actor, user, password: str) -> None:
    """Set `user`'s password after the validators accept it (ValidationError otherwise).

    Every token of the user is revoked by the save (`govcms.receivers`), whoever changes the
    password and through whichever screen, so this service only validates, saves and records.
    """
    require(policy.may_change_password(actor, user))
    _validate_password(password, user)
    user.set_password(password)
    user.save()
    ledger.record(action="user.password_changed", actor=actor, obj=user, **_person_kwargs(user))


@transaction.atomic
def user_set_active(*, actor, user, active: bool) -> bool:
    """Deactivate (停用) or reactivate a login; returns whether anything changed. A deactivated
    user can no longer sign in and loses every API token; their role assignments and records stay."""
    require(policy.may_manage_user(actor, user))
    if user.is_active == active:
        return False
    user.is_active = active
    user.save(update_fields=["is_active"])
    ledger.record(
        action="user.reactivated" if active else "user.deactivated", actor=actor, obj=user, **_person_kwargs(user)
    )
    if not active:
        api_tokens_revoke_all(actor=actor, user=user, reason="user_deactivated")
    return True


def _person_kwargs(user) -> dict:
    """`scope` for an event about a person: the jurisdictions they work in now."""
    return {"scope": ledger.person_scope(user_jurisdiction_paths(user))}


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def api_token_issue(*, user) -> tuple[str, datetime]:
    """Issue a bearer token for `user`; returns (token, expires_at). Only its hash is stored,
    with the address and client of the request that asked for it."""
    token = secrets.token_urlsafe(32)
    expires_at = timezone.now() + timedelta(hours=settings.GOVCMS_API_TOKEN_TTL_HOURS)
    source = current_source()
    row = ApiToken.objects.create(
        user=user,
        key_hash=_token_hash(token),
        expires_at=expires_at,
        created_ip=address_or_none(source.ip),
        user_agent=(source.user_agent or "")[: ApiToken._meta.get_field("user_agent").max_length],
    )
    jurisdictions = user_jurisdiction_paths(user)
    ledger.record(
        action="auth.token_issued",
        actor=user,
        obj=user,
        data={"token_id": row.pk, "expires_at": expires_at.isoformat(), "jurisdictions": jurisdictions},
        scope=ledger.person_scope(jurisdictions),
    )
    return token, expires_at


def api_token_authenticate(token: str) -> ApiToken | None:
    """The live token row (with its active user) for a bearer token, or None if unknown,
    expired or revoked. Brings the user's permissions up to date first, so a token whose
    holder's last role has just ended is refused on that very request. Notes the use, at most
    once per `ApiToken.LAST_USED_PRECISION_SECONDS`."""
    now = timezone.now()
    row = ApiToken.objects.active(now).select_related("user").filter(key_hash=_token_hash(token)).first()
    if row is None or not row.user.is_active:
        return None
    if permissions_ensure_current(user=row.user) and not ApiToken.objects.active(now).filter(pk=row.pk).exists():
        return None
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() >= row.LAST_USED_PRECISION_SECONDS:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        row.last_used_at = now
    return row


@transaction.atomic
def api_token_revoke(*, actor, token: ApiToken, reason: str) -> bool:
    """Revoke one token (False if it was no longer live); recorded as "auth.token_revoked"."""
    require(policy.may_revoke_token(actor, token))
    now = timezone.now()
    if not ApiToken.objects.active(now).filter(pk=token.pk).update(revoked_at=now, revoked_reason=reason):
        return False
    ledger.record(
        action="auth.token_revoked",
        actor=actor,
        obj=token.user,
        data={"token_id": token.pk, "reason": reason},
        **_person_kwargs(token.user),
    )
    return True


@transaction.atomic
def api_tokens_revoke_all(*, actor, user, reason: str) -> int:
    """Revoke every live token of `user`; returns how many. Recorded as "auth.tokens_revoked"
    when there was any. A consequence of a change already decided (a password changed, an
    account deactivated, a last role ended), so it checks no policy of its own."""
    now = timezone.now()
    live = ApiToken.objects.active(now).filter(user=user)
    token_ids = list(live.values_list("pk", flat=True))
    if not token_ids:
        return 0
    ApiToken.objects.filter(pk__in=token_ids).update(revoked_at=now, revoked_reason=reason)
    ledger.record(
        action="auth.tokens_revoked",
        actor=actor,
        obj=user,
        data={"token_ids": token_ids, "reason": reason},
        **_person_kwargs(user),
    )
    logger.info("revoked %d API token(s) of user %s (%s)", len(token_ids), user.pk, reason)
    return len(token_ids)


def _revoke_tokens_if_roleless(*, actor, user, now: datetime) -> None:
    """The end of a user's last role (revoked or lapsed, none pending) ends their tokens."""
    if user.is_superuser:
        return
    remaining = RoleAssignment.objects.filter(user=user, revoked_at__isnull=True).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=now)
    )
    if not remaining.exists():
        api_tokens_revoke_all(actor=actor, user=user, reason="roles_ended")


# --- login throttle ---------------------------------------------------------------------------


class LoginThrottled(Exception):
    """A login refused without checking the password: the username or the address is locked."""

    def __init__(self, lockout: ThrottleMark):
        super().__init__(f"{lockout.kind} locked until {lockout.until.isoformat()}")
        self.lockout = lockout


def _throttle_scope(kind: str, key: str) -> str:
    # A username's lockout is its owner's auditors' business, as its failed logins are.
    if kind != "username":
        return ""
    user = User.objects.filter(username=key).first()
    return _person_kwargs(user)["scope"] if user else ""


def _login_failure_noted(*, username: str, ip: str | None, now: datetime) -> None:
    """After a failed login: lock each key (username, address) that has now failed its
    threshold of times within its window since its last lockout or unlock ("auth.locked_out")."""
    for kind, key in (("username", username), ("address", ip)):
        if not key:
            continue
        rule = login_throttle_rule(kind)
        mark = login_throttle_mark(kind=kind, key=key)
        if mark is not None and mark.locked and mark.until > now:
            continue
        failures = login_failures_since(kind=kind, key=key, since=login_count_start(mark=mark, rule=rule, now=now))
        if failures >= rule.max_failures:
            until = now + timedelta(minutes=rule.lockout_minutes)
            ledger.record(
                action="auth.locked_out",
                data={"kind": kind, "key": key, "until": until.isoformat(), "failures": failures},
                scope=_throttle_scope(kind, key),
            )
            logger.warning("login %s %r locked until %s after %d failures", kind, key, until, failures)


def login_authenticate(*, request, username: str, password: str):
    """The one login check of the admin's login form and the API's token endpoint: the user, or
    None for wrong credentials (recorded by Django's `user_login_failed` → the ledger, then
    counted towards the lockouts). Raises LoginThrottled while the username or the request's
    address is locked: the password is not checked, the attempt is recorded as
    "auth.login_refused" and does not count, so it never extends the lockout."""
    ip = address_or_none(request_source(request).ip)
    lockout = login_lockout(username=username, ip=ip)
    if lockout is not None:
        ledger.record(
            action="auth.login_refused",
            data={"username": username, "kind": lockout.kind, "until": lockout.until.isoformat()},
            scope=_throttle_scope("username", username),
        )
        raise LoginThrottled(lockout)
    try:
        user = authenticate(request, username=username, password=password)
    except PermissionDenied:  # another authenticate() caller's lockout found in the backend
        user = None
    if user is None:
        _login_failure_noted(username=username, ip=ip, now=timezone.now())
    return user


@transaction.atomic
def login_unlock(*, actor, kind: str, key: str) -> bool:
    """End a lockout early (False if `kind`/`key` is not locked); recorded as "auth.unlocked"."""
    require(policy.may_unlock_logins(actor))
    mark = login_throttle_mark(kind=kind, key=key)
    if mark is None or not mark.locked or mark.until <= timezone.now():
        return False
    ledger.record(
        action="auth.unlocked", actor=actor, data={"kind": kind, "key": key}, scope=_throttle_scope(kind, key)
    )
    return True


# --- probing ------------------------------------------------------------------------------------


def probing_note(*, user, path: str) -> None:
    """Count one request by `user` answered 404 for an object outside their jurisdiction.

    Counted per user per clock hour in the cache; the request that takes the count past
    GOVCMS_PROBING_THRESHOLD_PER_HOUR records "security.probing" (one event per user per hour:
    the cache's increment is atomic, so exactly one request sees that value).
    """
    if user is None or not user.is_authenticated:
        return
    hour = timezone.localtime().strftime("%Y%m%d%H")
    key = f"govcms:probing:{user.pk}:{hour}"
    cache.add(key, 0, timeout=2 * 3600)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr: start again
        cache.set(key, 1, timeout=2 * 3600)
        count = 1
    threshold = settings.GOVCMS_PROBING_THRESHOLD_PER_HOUR
    if count == threshold + 1:
        ledger.record(
            action="security.probing",
            actor=user,
            obj=user,
            data={"hour": hour, "threshold": threshold, "count": count, "path": path[:200]},
            **_person_kwargs(user),
        )
        logger.warning("user %s passed %d out-of-scope requests in hour %s", user.pk, threshold, hour)


# --- agencies and accounts -------------------------------------------------------------------


def unique_slug(parent: Page, base: str) -> str:
    """A slug from `base` not yet taken among `parent`'s children (suffixed -2, -3 … if needed)."""
    base = slugify(base, allow_unicode=True)[:200] or "node"
    taken = set(parent.get_children().filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _add_page(*, actor, parent: Page, page: Page) -> Page:
    page.slug = page.slug or unique_slug(parent, page.title)
    page.owner = person(actor)
    parent.add_child(instance=page)
    # Callers have already authorised the actor by role; Wagtail's group check would ask again.
    revision = page.save_revision(user=page.owner, log_action=False)
    revision.publish(user=page.owner, log_action=True, skip_permission_checks=True)
    return page


@transaction.atomic
def agency_create(*, actor, parent: Page | None, name: str, region_code: str, level: str, category: str) -> AgencyPage:
    """Create an agency under `parent` (None = a top-level province under the tree root)."""
    require(policy.may_create_agency(actor, parent if parent is not None and parent.depth > 1 else None))
    parent = parent or Page.get_first_root_node()
    agency = AgencyPage(title=name, region_code=region_code, level=level, category=category)
    _add_page(actor=actor, parent=parent, page=agency)
    agency_collection_ensure(agency=agency)
    ledger.record(
        action="agency.created",
        actor=actor,
        obj=agency,
        data={"name": name, "region_code": region_code, "level": level, "category": category},
        scope=agency.path,
    )
    permissions_sync_scope(page=agency)
    return agency


# --- images ----------------------------------------------------------------------------------


def _root_collection() -> Collection:
    # A transactional test (or a scratch database) may have emptied the table Wagtail seeds.
    return Collection.get_first_root_node() or Collection.add_root(name="Root")


@transaction.atomic
def agency_collection_ensure(*, agency: AgencyPage) -> Collection:
    """The collection of `agency`'s images, created (with its ancestors' if missing) under the
    parent agency's collection, or the root collection for a top-level agency."""
    link = AgencyCollection.objects.select_related("collection").filter(agency=agency).first()
    if link is not None:
        return link.collection
    parent_agency = AgencyPage.objects.filter(path=agency.path[: -agency.steplen]).first()
    parent = agency_collection_ensure(agency=parent_agency) if parent_agency else _root_collection()
    collection = parent.add_child(instance=Collection(name=agency.title[:255]))
    AgencyCollection.objects.create(agency=agency, collection=collection)
    return collection


def scope_collection(*, page: Page) -> Collection:
    """The collection whose subtree a role held on `page` covers: the agency's (an account's
    agency's for an account), the root collection for the tree root (system admins)."""
    if page.depth <= 1:
        return _root_collection()
    agency = AgencyPage.objects.filter(path__in=[page.path, page.path[: -page.steplen]]).order_by("-depth").first()
    return agency_collection_ensure(agency=agency)


def image_store(*, actor, agency: AgencyPage, content: bytes, title: str, filename: str, action: str, data=None):
    """Validate and re-encode `content` (`govcms.images.prepare_image`) and store it in
    `agency`'s collection, recording `action` in the ledger in the same transaction.

    Refused bytes raise ServiceError(422) with the refusal's code (unsupported_type, too_large,
    too_many_pixels, corrupt) before anything is written to storage or the database.
    """
    try:
        prepared = prepare_image(content)
    except ImageRejected as error:
        raise ServiceError(error.code, error.message, status=422, details=error.details) from error
    stem = slugify(filename.rsplit("/", 1)[-1].rsplit(".", 1)[0], allow_unicode=True)[:60] or "image"
    image = get_image_model()(
        title=(title or "").strip()[:255] or stem,
        collection=agency_collection_ensure(agency=agency),
        uploaded_by_user=person(actor),
    )
    image.file.save(f"{stem}.{prepared.extension}", ContentFile(prepared.content), save=False)
    image.width, image.height = prepared.width, prepared.height
    image.file_size = len(prepared.content)
    image._set_file_hash()
    image._govcms_ledgered = True  # recorded below, with the upload's own details
    try:
        with transaction.atomic():
            image.save()
            ledger.record(
                action=action,
                actor=actor,
                obj=image,
                object_type="image",
                data={
                    "agency_id": agency.pk,
                    "title": image.title,
                    "format": prepared.format,
                    "width": prepared.width,
                    "height": prepared.height,
                    "size": len(prepared.content),
                    "received_bytes": len(content),
                    **(data or {}),
                },
                scope=agency.path,
            )
    except Exception:
        # Storage is not transactional: a file whose row rolled back would be an orphan.
        image.file.delete(save=False)
        raise
    logger.info("image %s (%s, %d bytes) stored for agency %s", image.pk, prepared.format, image.file_size, agency.pk)
    return image


def image_upload(*, actor, agency: AgencyPage, content: bytes, title: str = "", filename: str = ""):
    """An upload by a person (API or admin): stored as `image_store` does, ledgered `image.uploaded`."""
    require(policy.may_upload_image(actor, agency))
    return image_store(
        actor=actor, agency=agency, content=content, title=title, filename=filename, action="image.uploaded"
    )


def account_check_unique(*, agency: AgencyPage, platform: str, exemption_reason: str, exclude_id=None) -> None:
    """One account per agency per platform unless an exemption reason is recorded."""
    if sibling_accounts_on_platform(agency=agency, platform=platform, exclude_id=exclude_id).exists() and (
        not (exemption_reason or "").strip()
    ):
        raise ServiceError(
            "duplicate_account",
            _("该机构在此平台已有账号；开设第二个账号须记录豁免理由（exemption_reason）"),
            status=409,
        )


@transaction.atomic
def account_create(
    *,
    actor,
    agency: AgencyPage,
    platform: str,
    name: str,
    platform_account_id: str = "",
    operating_unit: str = "",
    outsourced: bool = False,
    responsible_person: str = "",
    verified: bool = False,
    exemption_reason: str = "",
    credentials: dict | None = None,
    **extra,
) -> AccountPage:
    """Create an account in status `applied` under `agency`, with optional credentials."""
    require(policy.may_create_account(actor, agency))
    account_check_unique(agency=agency, platform=platform, exemption_reason=exemption_reason)
    account = AccountPage(
        title=name,
        platform=platform,
        platform_account_id=platform_account_id,
        operating_unit=operating_unit,
        outsourced=outsourced,
        responsible_person=responsible_person,
        verified=verified,
        exemption_reason=exemption_reason,
        **extra,
    )
    _add_page(actor=actor, parent=agency, page=account)
    ledger.record(
        action="account.created",
        actor=actor,
        obj=account,
        data={"name": name, "platform": platform, "agency_id": agency.pk, "outsourced": outsourced},
        scope=account.path,
    )
    AccountCredential.objects.create(account=account, updated_by=person(actor))
    if credentials:
        credential_set(actor=actor, account=account, **credentials)
    permissions_sync_scope(page=account)
    return account


@transaction.atomic
def account_transition(
    *, actor, account: AccountPage, to: str, reason: str, filing_number: str = ""
) -> AccountTransition:
    """File a lifecycle transition; ServiceError(409, illegal_transition) if the lifecycle forbids it.

    The actor is the approver of record. Without a filing number from the filing system, a local
    one `<region>-<account>-<n>` is assigned so every transition stays traceable.
    """
    require(policy.may_transition_account(actor, account))
    account = AccountPage.objects.select_for_update().get(pk=account.pk)
    if to not in AccountStatus.values:
        raise ServiceError("invalid_status", _("未知状态：%(to)s") % {"to": to}, status=422)
    if to not in ACCOUNT_TRANSITIONS[account.status]:
        raise ServiceError(
            "illegal_transition",
            _("账号状态不能从“%(from)s”变为“%(to)s”") % {"from": account.get_status_display(), "to": to},
            status=409,
            details={"from": account.status, "to": to, "allowed": sorted(ACCOUNT_TRANSITIONS[account.status])},
        )
    if not (reason or "").strip():
        raise ServiceError("reason_required", _("状态变更必须填写理由"), status=422)
    if not filing_number:
        agency = account.agency
        filing_number = f"{agency.region_code}-{account.pk}-{account.transitions.count() + 1}"
    transition = AccountTransition.objects.create(
        account=account,
        from_status=account.status,
        to_status=to,
        reason=reason,
        approver=person(actor),
        filing_number=filing_number,
    )
    account.status = to
    account.save(update_fields=["status"])
    ledger.record(
        action="account.transition",
        actor=actor,
        obj=account,
        data={"from": transition.from_status, "to": to, "reason": reason, "filing_number": filing_number},
        scope=account.path,
    )
    return transition


@transaction.atomic
def credential_set(
    *,
    actor,
    account: AccountPage,
    appid: str | None = None,
    secret: str | None = None,
    access_token: str | None = None,
    uid: str | None = None,
    expires_at: datetime | None = None,
    callback_token: str | None = None,
) -> AccountCredential:
    """Replace the credentials of `account` (fields left None stay as they are).

    The ledger and the history record that the credentials changed and which fields, never the
    values.
    """
    require(policy.may_write_credentials(actor, account))
    values = {
        "appid": appid,
        "secret": secret,
        "access_token": access_token,
        "uid": uid,
        "callback_token": callback_token,
    }
    expected = {"wechat": {"appid", "secret", "callback_token"}, "weibo": {"access_token", "uid"}}[account.platform]
    given = {k for k, v in values.items() if v}
    if given - expected:
        raise ServiceError(
            "invalid_credentials",
            _("%(platform)s 账号的凭据字段为：%(fields)s")
            % {"platform": Platform(account.platform).label, "fields": ", ".join(sorted(expected))},
            status=422,
        )
    credential, _created = AccountCredential.objects.select_for_update().get_or_create(account=account)
    for field, value in values.items():
        if value is not None:
            setattr(credential, field, value)
    if expires_at is not None:
        credential.token_expires_at = expires_at
    credential.has_secret = bool(credential.secret or credential.access_token)
    credential.problem_code, credential.problem_at = "", None
    credential.version += 1
    credential.updated_by = person(actor)
    credential._change_reason = "credentials changed"
    credential.save()
    ledger.record(
        action="credential.changed",
        actor=actor,
        obj=account,
        data={"fields": sorted(given | ({"expires_at"} if expires_at else set())), "version": credential.version},
        scope=account.path,
    )
    return credential


def credential_problem(*, account: AccountPage, code: str) -> None:
    """Mark (code) or clear ("") the account as misconfigured; recorded in history and the ledger."""
    if not AccountCredential.objects.filter(account=account).exclude(problem_code=code).exists():
        # Nothing to change (every successful publish clears): no row lock, so publications on
        # one account do not queue behind each other here.
        return
    credential = AccountCredential.objects.select_for_update().filter(account=account).first()
    if credential is None or credential.problem_code == code:
        return
    credential.problem_code, credential.problem_at = code, timezone.now() if code else None
    credential._change_reason = f"platform problem {code}" if code else "platform problem cleared"
    credential.save(update_fields=["problem_code", "problem_at", "updated_at"])
    ledger.record(
        action="account.misconfigured" if code else "account.problem_cleared",
        obj=account,
        data={"code": code},
        scope=account.path,
    )


# --- role assignments ------------------------------------------------------------------------


def _assignment_data(assignment: RoleAssignment) -> dict:
    # Times in Asia/Shanghai whatever offset they arrived with, so ledger entries read alike.
    return {
        "user": assignment.user.username,
        "role": assignment.role,
        "agency_id": assignment.agency_id,
        "account_id": assignment.account_id,
        "valid_from": timezone.localtime(assignment.valid_from).isoformat(),
        "valid_to": timezone.localtime(assignment.valid_to).isoformat() if assignment.valid_to else None,
    }


def _check_window(valid_from: datetime, valid_to: datetime | None) -> None:
    if valid_to is not None and valid_to <= valid_from:
        raise ServiceError("invalid_window", _("失效时间必须晚于生效时间"), status=422)


def _assignment_commit(assignment: RoleAssignment, *, actor, action: str, data: dict) -> RoleAssignment:
    """Save an assignment (history row reason = the action), ledger it, re-derive the holder's permissions."""
    assignment._change_reason = action.removeprefix("role.")
    assignment.save()
    ledger.record(
        action=action,
        actor=actor,
        obj=assignment,
        data=data,
        scope=assignment.scope_page.path if assignment.scope_page else "",
    )
    permissions_sync_user(user=assignment.user)
    return assignment


def _refuse_last_system_admin(assignment: RoleAssignment) -> None:
    """Ending a system_admin assignment must leave at least one active system admin."""
    if not policy.is_global_role(assignment.role):
        return
    others = RoleAssignment.objects.active().filter(role=assignment.role, user__is_active=True)
    if not (
        others.exclude(pk=assignment.pk).exists() or User.objects.filter(is_superuser=True, is_active=True).exists()
    ):
        raise ServiceError("last_system_admin", _("不能撤销最后一位系统管理员的岗位"), status=409)


@transaction.atomic
def role_assign(
    *,
    actor,
    user,
    role: str,
    agency: AgencyPage | None = None,
    account: AccountPage | None = None,
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
) -> RoleAssignment:
    """Grant `role` to `user` on `agency` or `account` (exactly one; neither for system_admin)."""
    # A role on a scope it cannot have is malformed input, refused before any policy question.
    if problem := policy.assignment_shape_problem(role, agency=agency, account=account):
        raise ServiceError(*problem, status=422)
    require(policy.may_grant_membership(actor, role=role, scope=account or agency, user=user))
    valid_from = valid_from or timezone.now()
    _check_window(valid_from, valid_to)
    assignment = RoleAssignment(
        user=user, role=role, agency=agency, account=account, valid_from=valid_from, valid_to=valid_to
    )
    assignment.created_by = person(actor)
    return _assignment_commit(assignment, actor=actor, action="role.granted", data=_assignment_data(assignment))


@transaction.atomic
def role_change(
    *, actor, assignment: RoleAssignment, valid_from: datetime | None = None, valid_to: datetime | None = None
) -> RoleAssignment:
    """Move the validity window of an assignment (e.g. shorten it at a rotation, 轮岗)."""
    assignment = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
    require(policy.may_manage_membership(actor, assignment))
    if assignment.revoked_at:
        raise ServiceError("revoked", _("该岗位分配已撤销"), status=409)
    if valid_to is not None:
        _refuse_last_system_admin(assignment)
    before = _assignment_data(assignment)
    assignment.valid_from = valid_from or assignment.valid_from
    assignment.valid_to = valid_to
    _check_window(assignment.valid_from, assignment.valid_to)
    assignment.expiry_recorded = False
    return _assignment_commit(
        assignment, actor=actor, action="role.changed", data={"before": before, "after": _assignment_data(assignment)}
    )


@transaction.atomic
def role_revoke(*, actor, assignment: RoleAssignment) -> RoleAssignment:
    """End an assignment now; its permissions are gone before this returns, and so are the
    holder's API tokens when it was their last role."""
    assignment = RoleAssignment.objects.select_for_update(of=("self",)).select_related("user").get(pk=assignment.pk)
    require(policy.may_manage_membership(actor, assignment))
    if assignment.revoked_at:
        raise ServiceError("revoked", _("该岗位分配已撤销"), status=409)
    _refuse_last_system_admin(assignment)
    assignment.revoked_at = timezone.now()
    assignment.revoked_by = person(actor)
    _assignment_commit(assignment, actor=actor, action="role.revoked", data=_assignment_data(assignment))
    _revoke_tokens_if_roleless(actor=actor, user=assignment.user, now=assignment.revoked_at)
    return assignment


def validation_messages(error: ValidationError) -> dict:
    """Flatten a Django ValidationError into {field: [messages]} for error details."""
    if hasattr(error, "message_dict"):
        return {field: [str(m) for m in msgs] for field, msgs in error.message_dict.items()}
    return {"__all__": [str(m) for m in error.messages]}


# --- notifications ----------------------------------------------------------------------------


def notify(*, users, kind: str, message: str, url: str = "", obj=None) -> list:
    """Leave `message` in each user's notifications and mail those with an address.

    Mail failures never undo the notification: the admin list is the record, mail a courtesy.
    """
    from django.core.mail import send_mail

    from .models import Notification

    rows = Notification.objects.bulk_create(
        Notification(
            user=user,
            kind=kind,
            message=message,
            url=url,
            object_type=obj._meta.model_name if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
        )
        for user in {u.pk: u for u in users}.values()
    )
    recipients = [u.email for u in users if u.email]
    if recipients:
        send_mail(f"[govcms] {kind}", f"{message}\n{url}", None, recipients, fail_silently=True)
    return rows


# --- The working-day calendar (节假日与调休) ----------------------------------------------------


def calendar_seed_from_package(*, actor) -> int:
    """Store every day the chinesecalendar package knows as a national row (source "package"),
    leaving days already on the calendar as they are (an admin's correction wins). Returns the
    count of new rows; one ledger event for the batch."""
    from .models import CalendarDay
    from .workdays import package_days, package_years

    with transaction.atomic():
        have = set(CalendarDay.objects.filter(jurisdiction__isnull=True).values_list("date", flat=True))
        new = [
            CalendarDay(date=day, kind=kind, name=name, source="package")
            for day, kind, name in package_days()
            if day not in have
        ]
        CalendarDay.objects.bulk_create(new)
        if new:
            years = package_years()
            ledger.record(
                action="calendar.seeded",
                actor=actor,
                object_type="calendarday",
                data={"source": "package", "days": len(new), "years": f"{years.start}-{years.stop - 1}"},
            )
    return len(new)


def calendar_estimate_year(*, actor, year: int) -> int:
    """Store `year`'s statutory holidays estimated from the lunar calendar (source "estimate")
    for the days not on the calendar yet, so admins see and can correct them. Returns the count."""
    from .models import CalendarDay
    from .workdays import estimated_holidays

    with transaction.atomic():
        have = set(
            CalendarDay.objects.filter(jurisdiction__isnull=True, date__year=year).values_list("date", flat=True)
        )
        new = [
            CalendarDay(date=day, kind="holiday", name=name, source="estimate")
            for day, name in sorted(estimated_holidays(year).items())
            if day not in have
        ]
        CalendarDay.objects.bulk_create(new)
        if new:
            ledger.record(
                action="calendar.estimated",
                actor=actor,
                object_type="calendarday",
                data={"year": year, "days": len(new)},
            )
    return len(new)


def calendar_warn_missing_year(*, now: datetime | None = None) -> list:
    """From October on, tell every system admin (once per year) that next year's holiday
    schedule is not on the calendar yet. Returns the notifications created."""
    from .models import Notification
    from .workdays import CALENDAR_LIST_URL, next_year_missing

    today = timezone.localdate(now or timezone.now())
    year = next_year_missing(today)
    if year is None:
        return []
    if Notification.objects.filter(kind="calendar_missing", object_type="calendaryear", object_id=str(year)).exists():
        return []
    keepers = capabilities.roles_with("calendar.manage")
    admin_ids = RoleAssignment.objects.active().filter(role__in=keepers).values("user_id")
    admins = User.objects.filter(is_active=True).filter(Q(is_superuser=True) | Q(pk__in=admin_ids))
    rows = notify(
        users=list(admins.distinct()),
        kind="calendar_missing",
        message=_("%(year)s 年的节假日安排尚未录入：在录入国务院办公厅通知之前，按农历估算法定节假日计算期限。")
        % {"year": year},
        url=reverse(CALENDAR_LIST_URL),
    )
    Notification.objects.filter(pk__in=[r.pk for r in rows]).update(object_type="calendaryear", object_id=str(year))
    return rows
