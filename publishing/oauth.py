"""Weibo OAuth 2 (authorization-code grant): the URL an admin is sent to, and the code exchange.

platforms.md: ``POST /oauth2/access_token`` with client_id, client_secret,
grant_type=authorization_code, code and redirect_uri answers ``{access_token, expires_in, uid}``
(``expires_in`` may be a string); errors are a non-200 status with
``{"error_code": N, "error": "..."}``, 21322–21331 for OAuth. There is no refresh token: when a
token expires (21327) an admin of the account authorises the app again.

Everything secret (client secret, code, token) travels in the POST body, never in a URL, so none
of it reaches an access log or httpx's request log; exceptions carry only the platform's code and
message, never the request.
"""

from __future__ import annotations

from urllib.parse import urlencode

import httpx

AUTHORIZE_PATH = "/oauth2/authorize"
TOKEN_PATH = "/oauth2/access_token"


class OAuthError(Exception):
    """The exchange failed. `error_code` is Weibo's error_code when it sent one, else "connect",
    "timeout", "transport", "bad_json", "bad_answer" or the HTTP status."""

    def __init__(self, message: str, *, error_code: str | int):
        super().__init__(message)
        self.message = message
        self.error_code = str(error_code)

    def __str__(self) -> str:
        return f"[{self.error_code}] {self.message}"


def authorize_url(base_url: str, *, client_id: str, redirect_uri: str, state: str) -> str:
    """Where to send the admin's browser to approve the app (Weibo's own login and consent page)."""
    query = urlencode({"client_id": client_id, "redirect_uri": redirect_uri, "state": state})
    return f"{base_url.rstrip('/')}{AUTHORIZE_PATH}?{query}"


def exchange_code(
    base_url: str,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    *,
    timeout: float = 10.0,
    client: httpx.Client | None = None,
) -> dict:
    """Trade an authorization code for a token: ``{"access_token", "uid", "expires_in"}`` with
    ``uid`` a string and ``expires_in`` an int (seconds). Raises OAuthError."""
    data = {
        "client_id": client_id,
        "client_secret": client_secret,
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
    }
    http = client or httpx.Client(timeout=timeout, trust_env=False)
    try:
        response = http.post(f"{base_url.rstrip('/')}{TOKEN_PATH}", data=data, timeout=timeout)
    except httpx.TimeoutException as exc:
        raise OAuthError(f"微博授权服务无响应（{type(exc).__name__}）", error_code="timeout") from None
    except httpx.ConnectError as exc:
        raise OAuthError(f"无法连接微博授权服务（{type(exc).__name__}）", error_code="connect") from None
    except httpx.HTTPError as exc:
        raise OAuthError(f"微博授权请求失败（{type(exc).__name__}）", error_code="transport") from None
    finally:
        if client is None:
            http.close()
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if isinstance(answer, dict) and answer.get("error_code") not in (None, ""):
        message = str(answer.get("error_description") or answer.get("error") or "")
        raise OAuthError(message or f"HTTP {response.status_code}", error_code=answer["error_code"])
    if response.status_code != 200:
        raise OAuthError(f"微博授权服务返回 HTTP {response.status_code}", error_code=response.status_code)
    if not isinstance(answer, dict):
        raise OAuthError("微博授权服务的应答不是 JSON", error_code="bad_json")
    token, uid = answer.get("access_token"), answer.get("uid")
    if not token or not uid:
        raise OAuthError("微博授权服务的应答缺少 access_token 或 uid", error_code="bad_answer")
    try:
        expires_in = int(float(answer.get("expires_in")))
    except (TypeError, ValueError, OverflowError):
        expires_in = 0
    if expires_in <= 0:
        raise OAuthError("微博授权服务的应答没有有效的 expires_in", error_code="bad_answer")
    return {"access_token": str(token), "uid": str(uid), "expires_in": expires_in}
