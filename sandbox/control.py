"""The control API under `/_sandbox/` (JSON): accounts, faults, clock, state — for tests and demos.

Errors answer 400 ``{"error": "..."}``. Account POSTs are upserts: posting an existing appid or uid
changes only the fields given and keeps its tokens, drafts and posts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import demo, wechat, weibo
from .accounts import (
    bool_value,
    optional_str,
    upsert_wechat_account,
    upsert_weibo_account,
    wechat_account_json,
    weibo_account_json,
)
from .protocol import JSON, BadBody, Request, Response, Route, json_response
from .state import WeiboApp

if TYPE_CHECKING:
    from .app import Sandbox


def _json(payload: object, status: int = 200) -> Response:
    return json_response(payload, status=status, content_type=JSON)


def _body(req: Request) -> dict:
    try:
        return req.json()
    except BadBody:
        if req.body.strip():
            raise
        return {}


def reset(sb: Sandbox, req: Request) -> Response:
    """Forget everything (accounts, posts, faults, clock); ``{"demo": true}`` seeds the demo accounts again."""
    body = _body(req)
    sb.reset()
    if bool_value(body.get("demo")):
        demo.seed(sb)
    return _json({"ok": True})


def get_state(sb: Sandbox, req: Request) -> Response:
    snapshot = sb.state.snapshot()
    snapshot["faults"] = sb.faults.pending()
    return _json(snapshot)


def post_wechat_account(sb: Sandbox, req: Request) -> Response:
    return _json(wechat_account_json(upsert_wechat_account(sb, req.json())), 201)


def list_wechat_accounts(sb: Sandbox, req: Request) -> Response:
    with sb.state.lock:
        return _json([wechat_account_json(a) for a in sb.state.wechat_accounts.values()])


def post_weibo_account(sb: Sandbox, req: Request) -> Response:
    account = upsert_weibo_account(sb, req.json())
    with sb.state.lock:
        return _json(weibo_account_json(sb, account), 201)


def list_weibo_accounts(sb: Sandbox, req: Request) -> Response:
    with sb.state.lock:
        return _json([weibo_account_json(sb, a) for a in sb.state.weibo_accounts.values()])


def post_weibo_app(sb: Sandbox, req: Request) -> Response:
    """Register an app so /oauth2/access_token checks its secret (21324) and redirect_uri (21322)."""
    spec = req.json()
    app = WeiboApp(str(spec["client_id"]), str(spec["client_secret"]), optional_str(spec.get("redirect_uri")))
    with sb.state.lock:
        sb.state.weibo_apps[app.client_id] = app
    return _json({"client_id": app.client_id, "redirect_uri": app.redirect_uri}, 201)


def post_weibo_code(sb: Sandbox, req: Request) -> Response:
    """An authorization code for a uid, as if its user had approved the app on the authorize page."""
    spec = req.json()
    code = weibo.issue_code(
        sb, int(spec["uid"]), optional_str(spec.get("client_id")), optional_str(spec.get("redirect_uri"))
    )
    return _json({"code": code}, 201)


def post_wechat_comment(sb: Sandbox, req: Request) -> Response:
    comment = wechat.seed_comment(sb, req.json())
    return _json({"user_comment_id": comment.user_comment_id, "openid": comment.openid}, 201)


def post_wechat_message(sb: Sandbox, req: Request) -> Response:
    return _json(wechat.seed_message(sb, req.json()), 201)


def post_weibo_comment(sb: Sandbox, req: Request) -> Response:
    comment = weibo.seed_comment(sb, req.json())
    return _json({"id": comment.id, "idstr": str(comment.id)}, 201)


def post_fault(sb: Sandbox, req: Request) -> Response:
    return _json(sb.faults.add(req.json()).as_dict(), 201)


def list_faults(sb: Sandbox, req: Request) -> Response:
    return _json(sb.faults.pending())


def clear_faults(sb: Sandbox, req: Request) -> Response:
    sb.faults.clear()
    return _json({"ok": True})


def post_clock(sb: Sandbox, req: Request) -> Response:
    """Move sandbox time (token expiry, rate-limit and duplicate windows): ``{"advance": s}`` or ``{"offset": s}``."""
    spec = req.json()
    with sb.state.lock:
        if "offset" in spec:
            sb.state.clock_offset = float(spec["offset"])
        else:
            sb.state.clock_offset += float(spec["advance"])
        return _json({"offset": sb.state.clock_offset, "now": sb.state.now()})


def list_callbacks(sb: Sandbox, req: Request) -> Response:
    """PUBLISHJOBFINISH deliveries, oldest first, with the receiver's HTTP status or the error."""
    with sb.state.lock:
        return _json(list(sb.state.callbacks))


def list_requests(sb: Sandbox, req: Request) -> Response:
    """The last few hundred platform requests: method, path, account, status, fault applied."""
    with sb.state.lock:
        return _json(list(sb.state.requests))


def _control(methods: tuple[str, ...], path: str, handler) -> Route:
    return Route(methods, path, handler, "control")


ROUTES = [
    _control(("POST",), "/_sandbox/reset", reset),
    _control(("GET",), "/_sandbox/state", get_state),
    _control(("POST",), "/_sandbox/wechat/accounts", post_wechat_account),
    _control(("GET",), "/_sandbox/wechat/accounts", list_wechat_accounts),
    _control(("POST",), "/_sandbox/wechat/comments", post_wechat_comment),
    _control(("POST",), "/_sandbox/wechat/messages", post_wechat_message),
    _control(("POST",), "/_sandbox/weibo/accounts", post_weibo_account),
    _control(("GET",), "/_sandbox/weibo/accounts", list_weibo_accounts),
    _control(("POST",), "/_sandbox/weibo/apps", post_weibo_app),
    _control(("POST",), "/_sandbox/weibo/codes", post_weibo_code),
    _control(("POST",), "/_sandbox/weibo/comments", post_weibo_comment),
    _control(("POST",), "/_sandbox/faults", post_fault),
    _control(("GET",), "/_sandbox/faults", list_faults),
    _control(("DELETE",), "/_sandbox/faults", clear_faults),
    _control(("POST",), "/_sandbox/clock", post_clock),
    _control(("GET",), "/_sandbox/callbacks", list_callbacks),
    _control(("GET",), "/_sandbox/requests", list_requests),
]
