"""API authentication: bearer tokens from POST /auth/token, or the admin's session (with CSRF)."""

from ninja.security import HttpBearer, SessionAuth

from govcms.services import api_token_user, permissions_ensure_current


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = api_token_user(token)
        if user is None:
            return None
        permissions_ensure_current(user=user)
        request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    """The admin session; the middleware has already brought its permissions up to date."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


AUTH = [BearerTokenAuth(), ActiveSessionAuth()]
