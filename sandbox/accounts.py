"""Fake account configuration shared by the control API, the demo seed and the command line."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from . import weibo
from .state import WeChatAccount, WeiboAccount

if TYPE_CHECKING:
    from .app import Sandbox


def optional_str(value: object) -> str | None:
    return None if value in (None, "") else str(value)


def callback_url(value: object) -> str | None:
    """An http(s) URL or nothing: the sandbox POSTs events there."""
    url = optional_str(value)
    if url is not None and not url.startswith(("http://", "https://")):
        raise ValueError("callback_url must be an http:// or https:// URL")
    return url


def bool_value(value: object) -> bool:
    return value in (True, 1, "1", "true", "True", "yes")


WECHAT_FIELDS = {
    "name": str,
    "verified": bool_value,
    "original_id": str,
    "callback_url": callback_url,
    "callback_token": str,
    "token_ttl": float,
    "token_grace": float,
    "publish_delay": float,
    "material_settle": float,
}


def wechat_account_json(account: WeChatAccount) -> dict:
    return {"appid": account.appid, **{name: getattr(account, name) for name in WECHAT_FIELDS}}


def upsert_wechat_account(sb: Sandbox, spec: dict) -> WeChatAccount:
    """Create or change a fake Official Account (appid and secret required)."""
    appid, secret = str(spec["appid"]), str(spec["secret"])
    with sb.state.lock:
        account = sb.state.wechat_accounts.get(appid) or WeChatAccount(appid, secret, name=appid)
        account.secret = secret
        for name, cast in WECHAT_FIELDS.items():
            if name in spec:
                setattr(account, name, cast(spec[name]))
        if not account.original_id:
            account.original_id = "gh_" + hashlib.sha256(appid.encode()).hexdigest()[:12]
        sb.state.wechat_accounts[appid] = account
        return account


WEIBO_FIELDS = {
    "screen_name": str,
    "hourly_limit": int,
    "comment_hourly_limit": int,
    "duplicate_window": float,
}


def _domains(value: object) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)  # type: ignore[arg-type]
    domains = tuple(str(d).strip().lower() for d in items if str(d).strip())
    if not domains:
        raise ValueError("safe_domain must name at least one domain")
    return domains


def weibo_account_json(sb: Sandbox, account: WeiboAccount) -> dict:
    now = sb.state.now()
    tokens = [
        {"access_token": t.value, "expires_in": int(t.expires_at - now)}
        for t in sb.state.weibo_tokens.values()
        if t.uid == account.uid
    ]
    return {
        "uid": account.uid,
        "safe_domain": list(account.safe_domains),
        "expires_in": account.token_expires_in,
        **{name: getattr(account, name) for name in WEIBO_FIELDS},
        "access_token": tokens[-1]["access_token"] if tokens else None,
        "tokens": tokens,
    }


def upsert_weibo_account(sb: Sandbox, spec: dict) -> WeiboAccount:
    """Create or change a fake Weibo user; `access_token` (optional) is issued with `expires_in`.

    Re-posting an existing token with ``expires_in: 0`` expires it at once (21327 on next use).
    """
    uid = int(spec["uid"])
    state = sb.state
    with state.lock:
        account = state.weibo_accounts.get(uid) or WeiboAccount(uid, screen_name=f"用户{uid}")
        for name, cast in WEIBO_FIELDS.items():
            if name in spec:
                setattr(account, name, cast(spec[name]))
        if "safe_domain" in spec or "safe_domains" in spec:
            account.safe_domains = _domains(spec.get("safe_domain", spec.get("safe_domains")))
        if "expires_in" in spec:
            account.token_expires_in = int(spec["expires_in"])
        state.weibo_accounts[uid] = account
        value = optional_str(spec.get("access_token"))
        token = state.weibo_tokens.get(value or "")
        if token is not None:
            if token.uid != uid:
                raise ValueError("access_token belongs to another uid")
            if "expires_in" in spec:
                token.expires_at = state.now() + account.token_expires_in
        elif value or not any(t.uid == uid for t in state.weibo_tokens.values()):
            weibo.issue_token(sb, account, value=value)
        return account
