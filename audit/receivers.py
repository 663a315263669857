"""Authentication signals written to the ledger. Connected in `AuditConfig.ready`.

Each event is filed under the jurisdictions of the person it is about (`ledger.person_scope`), as
`GOVCMS_AUDIT_USER_JURISDICTIONS` reports them at that moment, so the auditors of those subtrees
see their staff's logins, logouts and failed logins.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.module_loading import import_string

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


def _jurisdiction_kwargs(user) -> dict:
    """`scope` and `data` naming the jurisdictions `user` works in now (none for no user)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return {"scope": "", "data": {}}
    paths = list(import_string(settings.GOVCMS_AUDIT_USER_JURISDICTIONS)(user))
    return {"scope": ledger.person_scope(paths), "data": {"jurisdictions": paths}}


def record_login(sender, request, user, **kwargs):
    """`user_logged_in` → "auth.login", by and about the user."""
    ledger.record(action="auth.login", actor=user, obj=user, **_jurisdiction_kwargs(user), **_source_kwargs(request))


def record_logout(sender, request, user, **kwargs):
    """`user_logged_out` → "auth.logout"; `user` is None when the session was not logged in."""
    ledger.record(action="auth.logout", actor=user, obj=user, **_jurisdiction_kwargs(user), **_source_kwargs(request))


def record_login_failed(sender, credentials, request=None, **kwargs):
    """`user_login_failed` → "auth.login_failed" with the attempted username only.

    The credentials dict is never stored: Django masks the password in it, but other backends'
    credentials (tokens, one-time codes) may not be masked. When the username is a user's, the
    event is filed under that user's jurisdictions (someone trying their account is their
    auditors' business); otherwise it has no scope.
    """
    model = get_user_model()
    attempted = str(credentials.get(model.USERNAME_FIELD) or credentials.get("username") or "")
    attempted = attempted[:_ATTEMPTED_USERNAME_MAX]
    target = model._default_manager.filter(**{model.USERNAME_FIELD: attempted}).first() if attempted else None
    jurisdiction = _jurisdiction_kwargs(target)
    ledger.record(
        action="auth.login_failed",
        data={"username": attempted, **jurisdiction["data"]},
        scope=jurisdiction["scope"],
        **_source_kwargs(request),
    )
