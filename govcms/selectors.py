"""Reads of the organisation core, always scoped to what the caller may see.

A user's *scopes* are the tree paths of the agencies/accounts their assignments in force cover;
an object is visible when its page path starts with one of them. Superusers and holders of
`system_admin` see everything. Every selector here costs a constant number of queries.
"""

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from operator import or_

from django.conf import settings
from django.contrib.auth.models import Group
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from audit.models import LedgerEvent

from . import capabilities
from .capabilities import Scope, forget_scopes, user_scopes  # noqa: F401  (re-exported)
from .models import AccountPage, AgencyCollection, AgencyPage, ApiToken, RoleAssignment


def is_system_admin(user) -> bool:
    """Whether `user` acts everywhere (system admin, superuser, or the system actor)."""
    return capabilities.is_everywhere(user)


def scope_paths(user, roles: set[str] | None = None) -> list[str]:
    """Tree paths `user` covers (optionally only through `roles`). [""] means everywhere."""
    if is_system_admin(user):
        return [""]
    return sorted({s.path for s in user_scopes(user) if s.path and (roles is None or s.role in roles)})


def user_jurisdiction_paths(user) -> list[str]:
    """Tree paths of the agencies/accounts where `user` holds an assignment in force now, in any
    role; a global (system_admin) assignment has none. What the ledger files a person's logins
    under, so the auditors of those subtrees see them."""
    return sorted({s.path for s in user_scopes(user) if s.path})


def path_q(paths: list[str], field: str = "path") -> Q:
    """A Q matching rows whose `field` lies under any of `paths`; matches nothing for []."""
    if not paths:
        return Q(pk__in=[])
    if "" in paths:
        return Q()
    return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in paths))


def has_role_at(user, roles: set[str], path: str) -> bool:
    """Whether `user` holds one of `roles` on the node at `path` or an ancestor of it."""
    if is_system_admin(user):
        return True
    return any(s.role in roles and s.path and path.startswith(s.path) for s in user_scopes(user))


def can_see_path(user, path: str) -> bool:
    return capabilities.sees(user, path)


def agencies_visible_to(user) -> QuerySet[AgencyPage]:
    return AgencyPage.objects.filter(path_q(scope_paths(user))).order_by("path")


def accounts_visible_to(user) -> QuerySet[AccountPage]:
    return AccountPage.objects.filter(path_q(scope_paths(user))).order_by("path")


def assignments_visible_to(user) -> QuerySet[RoleAssignment]:
    """Assignments whose scope lies in the caller's jurisdiction, plus the caller's own."""
    paths = scope_paths(user)
    if paths == [""]:
        return RoleAssignment.objects.select_related("user", "agency", "account")
    scoped = path_q(paths, "agency__path") | path_q(paths, "account__path") | Q(user=user)
    return RoleAssignment.objects.filter(scoped).select_related("user", "agency", "account")


class OutOfScope(Http404):
    """A 404 for an object that exists outside the caller's jurisdiction. Answered exactly as a
    missing one; the handlers only count it (`services.probing_note`)."""


def access_object(queryset: QuerySet, pk):
    """Fetch `pk` from an already-scoped queryset; anything outside it is simply not found (404,
    OutOfScope when the object exists elsewhere)."""
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as error:
        if isinstance(error, queryset.model.DoesNotExist) and queryset.model._base_manager.filter(pk=pk).exists():
            raise OutOfScope from error
        raise Http404 from error


def sibling_accounts_on_platform(*, agency: AgencyPage, platform: str, exclude_id=None) -> QuerySet[AccountPage]:
    """Accounts of `agency` (direct children) on `platform` that are not closed."""
    qs = AccountPage.objects.child_of(agency).filter(platform=platform).exclude(status="closed")
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return qs


def agencies_administrable_by(user) -> QuerySet[AgencyPage]:
    """Agencies in the subtrees where `user` is agency admin (all of them for system admins)."""
    return AgencyPage.objects.filter(path_q(capabilities.scope_paths(user, "account.manage"))).order_by("path")


def accounts_administrable_by(user) -> QuerySet[AccountPage]:
    """Accounts in the subtrees where `user` is agency admin (all of them for system admins)."""
    return AccountPage.objects.filter(path_q(capabilities.scope_paths(user, "account.manage"))).order_by("path")


def scope_agency_paths(user, roles: set[str] | None = None) -> list[str]:
    """Tree paths of the agencies `user`'s scopes cover: an account scope counts as its agency
    (images belong to agencies). [""] means everywhere, as in `scope_paths`."""
    paths = scope_paths(user, roles)
    if paths == [""]:
        return paths
    account_paths = set(AccountPage.objects.filter(path__in=paths).values_list("path", flat=True))
    return sorted({p[: -AccountPage.steplen] if p in account_paths else p for p in paths})


def _collection_q(user, field: str, *, agency: AgencyPage | None = None) -> Q:
    """A Q matching rows whose collection (`field` is the collection's path) lies in the
    collection subtree of an agency `user` covers (only `agency`'s, when given)."""
    paths = [agency.path] if agency is not None else scope_agency_paths(user)
    if paths == [""]:
        return Q()
    # Only the top collection of each covered subtree is needed: collections mirror the tree.
    tops = AgencyCollection.objects.filter(agency__path__in=paths).values_list("collection__path", flat=True)
    return path_q(list(tops), field)


def images_visible_to(user, *, agency: AgencyPage | None = None) -> QuerySet:
    """Images in the collections of the agencies `user` covers (optionally only `agency`'s
    subtree, which the caller has already fetched through `agencies_visible_to`); newest first.
    Images outside every agency collection (Wagtail's root) are visible to system admins only."""
    from wagtail.images import get_image_model

    images = get_image_model().objects.select_related("collection").order_by("-created_at", "-id")
    return images.filter(_collection_q(user, "collection__path", agency=agency))


def documents_visible_to(user) -> QuerySet:
    """Documents in the collections of the agencies `user` covers, like `images_visible_to`."""
    from wagtail.documents import get_document_model

    return get_document_model().objects.filter(_collection_q(user, "collection__path"))


def collections_visible_to(user) -> QuerySet:
    """The collections of the agencies `user` covers and everything below them."""
    from wagtail.models import Collection

    return Collection.objects.filter(_collection_q(user, "path"))


def pages_visible_to(user) -> QuerySet:
    """Every Wagtail page (agencies, accounts, posts) in `user`'s jurisdiction: the subtrees of
    their assignments in force. The tree's root and pages above the scopes are outside."""
    from wagtail.models import Page

    return Page.objects.filter(path_q(scope_paths(user)))


def users_visible_to(user) -> QuerySet:
    """Users holding (or having held) a role inside `user`'s jurisdiction, and `user`: the only
    people whose names the admin may show them (in lists, choosers and report filters)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.all()
    paths = scope_paths(user)
    if paths == [""]:
        return users
    inside = RoleAssignment.objects.filter(path_q(paths, "agency__path") | path_q(paths, "account__path"))
    return users.filter(Q(pk__in=inside.values("user_id")) | Q(pk=user.pk))


def users_assignable_by(user) -> QuerySet:
    """Users `user` may name when assigning a role: those `users_visible_to` them, and those who
    have never held a role anywhere (new accounts belong to no jurisdiction yet). Anyone else is
    as unknown as a name that does not exist."""
    from django.contrib.auth import get_user_model

    if is_system_admin(user):
        return get_user_model().objects.all()
    return get_user_model().objects.filter(
        Q(pk__in=users_visible_to(user).values("pk")) | ~Q(pk__in=RoleAssignment.objects.values("user_id"))
    )


def groups_visible_to(user) -> QuerySet[Group]:
    """The derived role groups (`govcms:<role>:<page id>`) of assignments inside `user`'s
    jurisdiction; every group for system admins (groups not derived from roles are theirs alone)."""
    if is_system_admin(user):
        return Group.objects.all()
    paths = scope_paths(user)
    inside = RoleAssignment.objects.filter(path_q(paths, "agency__path") | path_q(paths, "account__path"))
    names = {
        f"govcms:{role}:{agency_id or account_id}"
        for role, agency_id, account_id in inside.values_list("role", "agency_id", "account_id")
    }
    return Group.objects.filter(name__in=names)


def tokens_visible_to(user) -> QuerySet[ApiToken]:
    """Live API tokens an admin may list and revoke: everyone's for system admins, else those
    of the users holding an assignment in force in the subtrees the caller administers."""
    tokens = ApiToken.objects.active().select_related("user").order_by("user__username", "-created_at")
    paths = capabilities.scope_paths(user, "token.manage")
    if paths == [""]:
        return tokens
    holders = RoleAssignment.objects.active().filter(path_q(paths, "agency__path") | path_q(paths, "account__path"))
    return tokens.filter(user_id__in=holders.values("user_id"))


# --- login throttle ---------------------------------------------------------------------------
# The ledger is the counter: failed logins are "auth.login_failed" events (username in data, the
# address in `ip`), lockouts "auth.locked_out" and early ends "auth.unlocked" ({kind, key} in
# data, kind "username" or "address"). Nothing to reset, nothing that can drift from the record.

THROTTLE_MARKS = ("auth.locked_out", "auth.unlocked")


def address_or_none(value: str | None) -> str | None:
    """`value` as the ledger's and the tokens' address columns hold it, or None if not an address."""
    try:
        address = ipaddress.ip_address(value or "")
    except ValueError:
        return None
    if address.version == 4:
        return str(address)
    return None if address.scope_id else clean_ipv6_address(str(address))  # inet holds no IPv6 zone


@dataclass(frozen=True)
class ThrottleRule:
    max_failures: int
    window_minutes: int
    lockout_minutes: int


@dataclass(frozen=True)
class ThrottleMark:
    """The latest lockout (`locked`) or unlock of one username or address."""

    kind: str
    key: str
    locked: bool
    at: datetime
    until: datetime | None


def login_throttle_rule(kind: str) -> ThrottleRule:
    """The thresholds of `kind` ("username" or "address") from the settings."""
    if kind == "username":
        return ThrottleRule(
            settings.GOVCMS_LOGIN_MAX_FAILURES,
            settings.GOVCMS_LOGIN_WINDOW_MINUTES,
            settings.GOVCMS_LOGIN_LOCKOUT_MINUTES,
        )
    return ThrottleRule(
        settings.GOVCMS_LOGIN_ADDRESS_MAX_FAILURES,
        settings.GOVCMS_LOGIN_ADDRESS_WINDOW_MINUTES,
        settings.GOVCMS_LOGIN_ADDRESS_LOCKOUT_MINUTES,
    )


def _mark(action: str, at: datetime, data: dict) -> ThrottleMark:
    until = datetime.fromisoformat(data["until"]) if action == "auth.locked_out" else None
    return ThrottleMark(kind=data["kind"], key=data["key"], locked=until is not None, at=at, until=until)


def login_throttle_mark(*, kind: str, key: str) -> ThrottleMark | None:
    """The latest lockout or unlock of `key`, or None if it was never locked."""
    row = (
        LedgerEvent.objects.filter(action__in=THROTTLE_MARKS, data__kind=kind, data__key=key)
        .order_by("-seq")
        .values_list("action", "at", "data")
        .first()
    )
    return _mark(*row) if row else None


def login_count_start(*, mark: ThrottleMark | None, rule: ThrottleRule, now: datetime) -> datetime:
    """Failures count from the start of the window, but never from before the end of the last
    lockout or the last unlock: attempts during a lockout do not count towards the next one."""
    start = now - timedelta(minutes=rule.window_minutes)
    if mark is not None:
        start = max(start, mark.until if mark.locked else mark.at)
    return start


def login_failures_since(*, kind: str, key: str, since: datetime) -> int:
    failures = LedgerEvent.objects.filter(action="auth.login_failed", at__gt=since)
    return (failures.filter(data__username=key) if kind == "username" else failures.filter(ip=key)).count()


def login_lockout(*, username: str, ip: str | None) -> ThrottleMark | None:
    """The lockout in force on `username` or on the address `ip`, if any."""
    now = timezone.now()
    for kind, key in (("username", username), ("address", ip)):
        mark = login_throttle_mark(kind=kind, key=key) if key else None
        if mark is not None and mark.locked and mark.until > now:
            return mark
    return None


def login_lockouts_in_force() -> list[ThrottleMark]:
    """Every lockout in force now, soonest to end first (for the admins' unlock screen)."""
    now = timezone.now()
    longest = max(login_throttle_rule(kind).lockout_minutes for kind in ("username", "address"))
    rows = (
        LedgerEvent.objects.filter(action__in=THROTTLE_MARKS, at__gte=now - timedelta(minutes=longest))
        .order_by("seq")
        .values_list("action", "at", "data")
    )
    latest = {}
    for row in rows:
        mark = _mark(*row)
        latest[(mark.kind, mark.key)] = mark
    return sorted((m for m in latest.values() if m.locked and m.until > now), key=lambda m: m.until)
