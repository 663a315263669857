"""API authentication: bearer tokens from POST /auth/token, or the admin's session (with CSRF).

A request that carries no usable credentials is 401 `not_authenticated` whatever its method: CSRF
protects cookie sessions only, so it is checked only once a session has actually authenticated
someone (a bearer client never sends the cookie, and an anonymous caller has nothing to forge).
"""

import logging

from django.utils.translation import gettext as _
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf

from govcms.services import api_token_authenticate

from .errors import ApiError

logger = logging.getLogger(__name__)


class BearerTokenAuth(HttpBearer):
    """A live token; the row is kept on the request as `api_token` (what logout revokes)."""

    def authenticate(self, request, token):
        row = api_token_authenticate(token)
        if row is None:
            return None
        request.user = row.user
        request.api_token = row
        return row.user


class ActiveSessionAuth(SessionAuth):
    """The admin session; the middleware has already brought its permissions up to date.

    Unsafe methods must carry the CSRF token (header `X-CSRFToken` or form field), else 403
    `csrf_failed`; without an active session user this scheme simply does not apply.
    """

    def _get_key(self, request) -> str | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if check_csrf(request) is not None:
            logger.info("API session request without a valid CSRF token: %s %s", request.method, request.path)
            raise ApiError(403, "csrf_failed", _("会话请求缺少有效的 CSRF 令牌"))
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


AUTH = [BearerTokenAuth(), ActiveSessionAuth()]
