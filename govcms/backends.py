"""Authentication backend with lockout after repeated failures (counted from the audit ledger)."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from audit.models import LedgerEvent


def login_locked(username: str) -> bool:
    """Whether `username` has failed GOVCMS_LOGIN_MAX_FAILURES times within the lockout window.

    The ledger already holds every failed login, so it is the counter: nothing to reset, nothing
    that can drift from the record.
    """
    since = timezone.now() - timedelta(minutes=settings.GOVCMS_LOGIN_LOCKOUT_MINUTES)
    failures = LedgerEvent.objects.filter(action="auth.login_failed", at__gte=since, data__username=username)
    return failures.count() >= settings.GOVCMS_LOGIN_MAX_FAILURES


class LockoutModelBackend(ModelBackend):
    """ModelBackend that refuses (PermissionDenied stops other backends) a locked-out username."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username and login_locked(username):
            raise PermissionDenied("account temporarily locked after repeated failed logins")
        return super().authenticate(request, username=username, password=password, **kwargs)
