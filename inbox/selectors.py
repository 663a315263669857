"""Reads of the inbox, narrowed to the caller's jurisdiction (outside items answer 404).

Who may do what with inbox items lives here in one place (`INBOX_*_ROLES`), so that the
capability table of the policy layer can take it over without a hunt through views.
"""

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from govcms.models import Role
from govcms.selectors import has_role_at, is_system_admin, path_q, user_jurisdiction_paths
from publishing.models import Publication, PublicationStatus

from .models import InboxItem

# Who enters items by hand (phone, letter, 12345 referral) on an account.
INBOX_ENTRY_ROLES = {Role.EDITOR, Role.SIGNER, Role.AGENCY_ADMIN}
# Who is told that new items arrived on an account (on it or above).
INBOX_NOTIFY_ROLES = {Role.EDITOR, Role.AGENCY_ADMIN}


def items_visible_to(user) -> QuerySet[InboxItem]:
    """Items of the accounts in `user`'s jurisdiction, or handled by an agency inside it
    (auditors included, read-only); system admins see all."""
    if is_system_admin(user):
        return InboxItem.objects.all()
    paths = user_jurisdiction_paths(user)
    if not paths:
        return InboxItem.objects.none()
    return InboxItem.objects.filter(path_q(paths, "account__path") | path_q(paths, "agency__path"))


def can_enter_items(user, account) -> bool:
    """Whether `user` may enter an item by hand for `account`."""
    return is_system_admin(user) or has_role_at(user, INBOX_ENTRY_ROLES, account.path)


def collectable_publications(*, now=None) -> QuerySet[Publication]:
    """Published items whose comments are still collected: live on their platform and published
    within `GOVCMS_INBOX_COLLECT_DAYS` (comments on older posts are rare; an editor still sees
    them on the platform)."""
    now = now or timezone.now()
    since = now - timezone.timedelta(days=settings.GOVCMS_INBOX_COLLECT_DAYS)
    return (
        Publication.objects.filter(status=PublicationStatus.PUBLISHED, published_at__gte=since)
        .exclude(platform_post_id="")
        .filter(Q(platform="weibo") | Q(platform="wechat"))
    )
