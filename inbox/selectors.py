"""Reads of the inbox, narrowed to the caller's jurisdiction (outside items answer 404).

Who may act on items is `inbox.policy`'s to say.
"""

import math
import statistics

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from govcms.selectors import is_system_admin, path_q, user_jurisdiction_paths
from publishing.models import Publication, PublicationStatus

from .models import InboxItem


def items_visible_to(user) -> QuerySet[InboxItem]:
    """Items of the accounts in `user`'s jurisdiction, or handled by an agency inside it
    (auditors included, read-only); system admins see all."""
    if is_system_admin(user):
        return InboxItem.objects.all()
    paths = user_jurisdiction_paths(user)
    if not paths:
        return InboxItem.objects.none()
    return InboxItem.objects.filter(path_q(paths, "account__path") | path_q(paths, "agency__path"))


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


def metrics(items: QuerySet[InboxItem], *, since, until, now=None) -> dict:
    """Figures of the items received in [since, until), computed from their timestamps only, so
    asking about a past period again later gives the same answer (except `overdue_now`, which is
    about the asking moment by definition):

    received; acknowledged / answered (by `until`); answered_in_time (by `until` and by its
    `due_at`); median_answer_hours / p90_answer_hours (wall-clock hours from receipt to answer of
    those answered by `until`; p90 by nearest rank; None when none was answered); overdue_now
    (not answered now, past `due_at`); overdue_at_end (not answered by `until`, `due_at` before it).
    """
    now = now or timezone.now()
    period = list(
        items.filter(received_at__gte=since, received_at__lt=until).values_list(
            "received_at", "acknowledged_at", "answered_at", "due_at"
        )
    )

    def by(moment, limit):
        return moment is not None and moment < limit

    answered = [(r, a, d) for r, _, a, d in period if by(a, until)]
    hours = sorted((a - r).total_seconds() / 3600 for r, a, _ in answered)
    return {
        "received": len(period),
        "acknowledged": sum(1 for _, k, _, _ in period if by(k, until)),
        "answered": len(answered),
        "answered_in_time": sum(1 for _, a, d in answered if d is None or a <= d),
        "median_answer_hours": round(statistics.median(hours), 2) if hours else None,
        "p90_answer_hours": round(hours[math.ceil(0.9 * len(hours)) - 1], 2) if hours else None,
        "overdue_now": sum(1 for _, _, a, d in period if not by(a, now) and d is not None and d <= now),
        "overdue_at_end": sum(1 for _, _, a, d in period if not by(a, until) and d is not None and d < until),
    }


def metrics_by_account(items: QuerySet[InboxItem], *, since, until) -> dict[int, dict]:
    """`metrics`' counts (received, answered, answered_in_time, overdue_at_end — same definitions)
    per account, in one aggregate query, for reports over many accounts: {account_id: figures}.
    Accounts that received nothing in [since, until) are absent."""
    answered = Q(answered_at__isnull=False, answered_at__lt=until)
    rows = (
        items.filter(received_at__gte=since, received_at__lt=until)
        .values("account_id")
        .annotate(
            received=Count("id"),
            answered=Count("id", filter=answered),
            answered_in_time=Count("id", filter=answered & (Q(due_at__isnull=True) | Q(answered_at__lte=F("due_at")))),
            overdue_at_end=Count("id", filter=~answered & Q(due_at__isnull=False, due_at__lt=until)),
        )
        .order_by()
    )
    return {row.pop("account_id"): row for row in rows}


def transfers_visible_to(user) -> QuerySet:
    """Cross-jurisdiction transfers the caller sees: those of items they see, and those addressed
    to an agency in their jurisdiction (whose admins decide them before the item is theirs)."""
    from .models import InboxTransfer

    if is_system_admin(user):
        return InboxTransfer.objects.all()
    paths = user_jurisdiction_paths(user)
    if not paths:
        return InboxTransfer.objects.none()
    return InboxTransfer.objects.filter(
        path_q(paths, "to_agency__path") | path_q(paths, "item__account__path") | path_q(paths, "item__agency__path")
    )


UNANSWERED_STATUSES = ("open", "acknowledged", "overdue")


def with_status(queryset: QuerySet[InboxItem], status: str | None, *, now=None) -> QuerySet[InboxItem]:
    """Items in `status` as the API and the admin show it: "overdue" is an open or acknowledged
    item past `due_at` (whatever the upkeep stored), and "open" / "acknowledged" then exclude it."""
    now = now or timezone.now()
    if not status:
        return queryset
    if status == "overdue":
        return queryset.filter(status__in=UNANSWERED_STATUSES, due_at__lte=now)
    if status in ("open", "acknowledged"):
        return queryset.filter(status=status).exclude(due_at__lte=now)
    return queryset.filter(status=status)


def status_counts(queryset: QuerySet[InboxItem], *, now=None) -> dict[str, int]:
    """{status: count} of `queryset` by `with_status`'s meaning, in one query."""
    from django.db.models import Count

    now = now or timezone.now()
    late = Q(status__in=UNANSWERED_STATUSES, due_at__lte=now)
    return queryset.aggregate(
        open=Count("pk", filter=Q(status="open") & ~late),
        acknowledged=Count("pk", filter=Q(status="acknowledged") & ~late),
        overdue=Count("pk", filter=late),
        answered=Count("pk", filter=Q(status="answered")),
        closed=Count("pk", filter=Q(status="closed")),
    )


def status_now(item: InboxItem, now=None) -> str:
    """The item's stored status, or "overdue" for an item not answered by its due time."""
    now = now or timezone.now()
    late = item.status in UNANSWERED_STATUSES and item.due_at is not None and item.due_at <= now
    return "overdue" if late else item.status
