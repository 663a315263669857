"""Periodic upkeep of derived permissions."""

import logging

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from .services import permissions_sync_user

logger = logging.getLogger(__name__)


@shared_task(name="govcms.tasks.roles_sync_due")
def roles_sync_due() -> int:
    """Re-sync every user whose assignments started or ended since their last sync.

    Requests already re-sync on arrival; this task keeps groups (and the ledger's record of
    lapsed assignments) current for users who are not making requests. Returns the count synced.
    """
    now = timezone.now()
    users = (
        get_user_model()
        .objects.filter(
            Q(permission_state__valid_until__lte=now) | Q(permission_state__isnull=True, role_assignments__isnull=False)
        )
        .distinct()
    )
    count = 0
    for user in users:
        permissions_sync_user(user=user, now=now)
        count += 1
    if count:
        logger.info("re-derived the permissions of %d user(s) whose assignments started or ended", count)
    return count


@shared_task(name="govcms.tasks.calendar_check")
def calendar_check() -> int:
    """From October, warn system admins once when next year's holidays are not entered."""
    from .services import calendar_warn_missing_year

    return len(calendar_warn_missing_year())
