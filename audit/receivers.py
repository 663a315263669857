"""Authentication signals written to the ledger. Connected in `AuditConfig.ready`."""

from django.contrib.auth import get_user_model

from . import ledger
from .context import request_source

# Longest attempted username kept; a user pasting a novel into the login box is not evidence.
_ATTEMPTED_USERNAME_MAX = 150


def _source_kwargs(request) -> dict:
    # The signals carry the request; without one (authenticate() called by code) the ledger falls
    # back to the contextvar.
    if request is None:
        return {}
    client = request_source(request)
    return {"ip": client.ip, "user_agent": client.user_agent}


def record_login(sender, request, user, **kwargs):
    """`user_logged_in` → "auth.login", by and about the user."""
    ledger.record(action="auth.login", actor=user, obj=user, **_source_kwargs(request))


def record_logout(sender, request, user, **kwargs):
    """`user_logged_out` → "auth.logout"; `user` is None when the session was not logged in."""
    ledger.record(action="auth.logout", actor=user, obj=user, **_source_kwargs(request))


def record_login_failed(sender, credentials, request=None, **kwargs):
    """`user_login_failed` → "auth.login_failed" with the attempted username only.

    The credentials dict is never stored: Django masks the password in it, but other backends'
    credentials (tokens, one-time codes) may not be masked.
    """
    username_field = get_user_model().USERNAME_FIELD
    attempted = str(credentials.get(username_field) or credentials.get("username") or "")
    ledger.record(
        action="auth.login_failed",
        data={"username": attempted[:_ATTEMPTED_USERNAME_MAX]},
        **_source_kwargs(request),
    )
