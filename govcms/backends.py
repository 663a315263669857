"""Authentication backend that refuses locked-out usernames and addresses (`govcms.selectors`
counts failed logins from the audit ledger)."""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from audit.context import request_source

from .selectors import address_or_none, login_lockout


class LockoutModelBackend(ModelBackend):
    """ModelBackend that refuses (PermissionDenied stops other backends) while the username or the
    request's address is locked, without checking the password.

    The login form and the token endpoint check the lockout first (`services.login_authenticate`)
    to answer with the lockout's own message; this guards every other caller of authenticate().
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        ip = address_or_none(request_source(request).ip) if request is not None else None
        if username and login_lockout(username=username, ip=ip):
            raise PermissionDenied("temporarily locked after repeated failed logins")
        return super().authenticate(request, username=username, password=password, **kwargs)
