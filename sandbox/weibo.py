"""Weibo Open API under `/2/` and `/oauth2/`, with the semantics recorded in docs/platforms.md.

Errors are a non-200 status with ``{"request": "/2/...", "error_code": N, "error": "..."}``. The
token is taken from ``access_token`` (query or form) or an ``Authorization: OAuth2 <token>``
header: missing → 21301, unknown → 21332, expired → 21327 (there is no refresh token: the
account's admin must authorise again).
"""

from __future__ import annotations

import json
import math
import re
import secrets
from collections import deque
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .protocol import JSON_WEIBO, ApiError, BadBody, Request, Response, Route, image_kind, json_response
from .state import WeiboAccount, WeiboCode, WeiboComment, WeiboStatus, WeiboToken, local_time

if TYPE_CHECKING:
    from .app import Sandbox

BAD_BODY = 10008
METHOD_ERROR = 10021
MB = 1024 * 1024
HOUR = 3600.0
# 20032 says "Update success, while server slow now, please wait 1-2 minutes": by default the status
# posted behind that answer shows in user_timeline only this many seconds later.
POSTED_SLOW = 20032
SLOW_VISIBLE_AFTER = 90.0
SHARE_PATH = "/2/statuses/share.json"

# code -> (HTTP status, message); the statuses are the sandbox's choice where the wiki is silent.
ERRORS = {
    10001: (500, "System error!"),
    10008: (400, "Param error, see doc for more info."),
    10014: (403, "Insufficient app permissions!"),
    10016: (400, "Miss required parameter, see doc for more info."),
    10017: (400, "Parameter (status)'s value invalid: the text must contain a URL on the app's safe domain."),
    10020: (404, "Request api not found!"),
    10021: (405, "HTTP method is not suported for this request!"),
    10022: (403, "IP requests out of rate limit!"),
    10023: (403, "User requests out of rate limit!"),
    10024: (403, "User requests for (comments/reply) out of rate limit!"),
    20005: (400, "Unsupported image type, only suport JPG, GIF, PNG!"),
    20006: (400, "Image size too large!"),
    20012: (400, "Text too long, please input text less than 140 characters!"),
    20016: (400, "Out of limit!"),
    20017: (400, "Repeated weibo text!"),
    20019: (400, "Repeated content!"),
    20032: (400, "Update success, while server slow now, please wait 1-2 minutes!"),
    20101: (400, "Target weibo does not exist!"),
    20102: (403, "Not your own weibo!"),
    20201: (400, "Target weibo comment does not exist!"),
    20203: (403, "Not your own comment!"),
    21301: (401, "auth faild!"),
    21322: (400, "redirect_uri_mismatch"),
    21323: (400, "invalid_request"),
    21324: (401, "invalid_client"),
    21325: (400, "invalid_grant"),
    21327: (401, "expired_token"),
    21328: (400, "unsupported_grant_type"),
    21332: (401, "invalid_access_token"),
}

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_URL = re.compile(r"https?://[^\s<>\"'\u3000-\u303f\uff00-\uffef]+")


def error_response(req: Request, code: int, *, status: int | None = None, message: str | None = None) -> Response:
    default_status, text = ERRORS.get(code, (400, "error"))
    body = {"request": req.path, "error_code": code, "error": message or text}
    return json_response(body, status=status or default_status, content_type=JSON_WEIBO)


def _json(payload: object) -> Response:
    return json_response(payload, content_type=JSON_WEIBO)


def weibo_time(epoch: float) -> str:
    """Weibo's created_at, e.g. "Sat Nov 28 20:15:03 +0800 2026", independent of the process locale."""
    dt: datetime = local_time(epoch)
    return f"{DAYS[dt.weekday()]} {MONTHS[dt.month - 1]} {dt.day:02d} {dt:%H:%M:%S} +0800 {dt.year}"


def weighted_length(text: str) -> int:
    """A CJK (any non-ASCII) character counts 1, an ASCII one ½, rounded up."""
    return math.ceil(sum(1 if ord(ch) < 128 else 2 for ch in text) / 2)


def has_safe_link(text: str, safe_domains: tuple[str, ...]) -> bool:
    """share.json rejects a text without a URL on the app's registered safe domain (10017)."""
    for match in _URL.finditer(text):
        host = (urlsplit(match.group(0)).hostname or "").lower()
        if any(host == d or host.endswith("." + d) for d in safe_domains):
            return True
    return False


def _token_value(req: Request) -> str | None:
    value = req.value("access_token")
    if value:
        return value
    scheme, _, credentials = req.headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() in ("oauth2", "bearer") and credentials else None


def account_of(sb: Sandbox, req: Request) -> str | None:
    """The uid a request acts for: from its access token, or from the code being exchanged."""
    try:
        if req.path == "/oauth2/access_token":
            code = sb.state.weibo_codes.get(req.value("code") or "")
            return str(code.uid) if code else None
        token = sb.state.weibo_tokens.get(_token_value(req) or "")
    except BadBody:
        return None
    return str(token.uid) if token else None


def issue_token(
    sb: Sandbox, account: WeiboAccount, *, value: str | None = None, expires_in: float | None = None, client_id=""
) -> WeiboToken:
    state = sb.state
    with state.lock:
        now = state.now()
        ttl = account.token_expires_in if expires_in is None else expires_in
        token = WeiboToken(value or f"2.00{secrets.token_hex(16)}", account.uid, now, now + ttl, client_id)
        state.weibo_tokens[token.value] = token
        account.counts["token_issues"] += 1
        return token


def issue_code(sb: Sandbox, uid: int, client_id: str | None = None, redirect_uri: str | None = None) -> str:
    """An authorization code for `uid` (what the authorize page hands back to the redirect_uri)."""
    with sb.state.lock:
        if uid not in sb.state.weibo_accounts:
            raise KeyError(uid)
        code = secrets.token_hex(16)
        sb.state.weibo_codes[code] = WeiboCode(code, uid, client_id or None, redirect_uri or None)
        return code


def _authorise(sb: Sandbox, req: Request) -> WeiboAccount:
    value = _token_value(req)
    if not value:
        raise ApiError(21301)
    state = sb.state
    with state.lock:
        token = state.weibo_tokens.get(value)
        account = state.weibo_accounts.get(token.uid) if token else None
        if token is None or account is None:
            raise ApiError(21332)
        if state.now() >= token.expires_at:
            raise ApiError(21327)
        return account


def _int_param(req: Request, name: str, default: int | None = None) -> int:
    raw = req.value(name)
    if raw in (None, ""):
        if default is None:
            raise ApiError(10016, f"Miss required parameter ({name}), see doc for more info.")
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ApiError(10008, f"Param ({name}) invalid, see doc for more info.") from exc


def _within_hour(times: deque, now: float) -> int:
    while times and times[0] <= now - HOUR:
        times.popleft()
    return len(times)


# --- JSON objects -------------------------------------------------------------------------------


def user_json(account: WeiboAccount) -> dict:
    return {
        "id": account.uid,
        "idstr": str(account.uid),
        "screen_name": account.screen_name,
        "name": account.screen_name,
        "verified": True,
    }


def status_json(sb: Sandbox, status: WeiboStatus) -> dict:
    account = sb.state.weibo_accounts.get(status.uid)
    answer = {
        "created_at": weibo_time(status.created_at),
        "id": status.id,
        "idstr": str(status.id),
        "mid": str(status.id),
        "text": status.text,
        "source": '<a href="https://github.com" rel="nofollow">govcms</a>',
        "favorited": False,
        "truncated": False,
        "pic_urls": [],
        "reposts_count": 0,
        "comments_count": len(status.comment_ids),
        "attitudes_count": 0,
        "visible": {"type": 0, "list_id": 0},
        "user": user_json(account) if account else {"id": status.uid, "idstr": str(status.uid)},
    }
    image = sb.state.images.get(status.pic_id or "")
    if image:
        answer.update(thumbnail_pic=image.url, bmiddle_pic=image.url, original_pic=image.url)
        answer["pic_urls"] = [{"thumbnail_pic": image.url}]
    return answer


def comment_json(sb: Sandbox, comment: WeiboComment) -> dict:
    answer = {
        "created_at": weibo_time(comment.created_at),
        "id": comment.id,
        "idstr": str(comment.id),
        "mid": str(comment.id),
        "text": comment.text,
        "user": {"id": comment.user_id, "idstr": str(comment.user_id), "screen_name": comment.user_name},
        "status": status_json(sb, sb.state.statuses[comment.status_id]),
    }
    replied = sb.state.weibo_comments.get(comment.reply_to or -1)
    if replied:
        answer["reply_comment"] = {
            "id": replied.id,
            "idstr": str(replied.id),
            "text": replied.text,
            "user": {"id": replied.user_id, "screen_name": replied.user_name},
        }
    return answer


# --- OAuth --------------------------------------------------------------------------------------


def access_token(sb: Sandbox, req: Request) -> Response:
    """Exchange an authorization code; `expires_in` comes back as a string, as the real API may send it."""
    if req.value("grant_type") != "authorization_code":
        raise ApiError(21328)
    client_id, redirect_uri = req.value("client_id") or "", req.value("redirect_uri") or ""
    state = sb.state
    with state.lock:
        code = state.weibo_codes.get(req.value("code") or "")
        if code is None or code.used or (code.client_id and code.client_id != client_id):
            raise ApiError(21325)
        app = state.weibo_apps.get(client_id)
        # Unregistered client_ids are accepted: the sandbox cannot know the project's real app keys.
        if app is not None and app.client_secret != req.value("client_secret"):
            raise ApiError(21324)
        expected = code.redirect_uri or (app.redirect_uri if app else None)
        if expected and redirect_uri != expected:
            raise ApiError(21322)
        account = state.weibo_accounts.get(code.uid)
        if account is None:
            raise ApiError(21325)
        code.used = True
        token = issue_token(sb, account, client_id=client_id)
        ttl = str(int(token.expires_at - token.issued_at))
    return _json(
        {
            "access_token": token.value,
            "remind_in": ttl,
            "expires_in": ttl,
            "uid": str(account.uid),
            "isRealName": "true",
        }
    )


def get_token_info(sb: Sandbox, req: Request) -> Response:
    account = _authorise(sb, req)
    with sb.state.lock:
        token = sb.state.weibo_tokens[_token_value(req) or ""]
        remaining = int(token.expires_at - sb.state.now())
    return _json(
        {
            "uid": account.uid,
            "appkey": token.client_id,
            "scope": "",
            "create_at": int(token.issued_at),
            "expire_in": remaining,
        }
    )


# --- statuses -----------------------------------------------------------------------------------


def share(sb: Sandbox, req: Request) -> Response:
    """The only general write endpoint: length, safe-domain link, rate limit and duplicate rules."""
    account = _authorise(sb, req)
    fields, files = req.form()
    text = fields.get("status") or req.query.get("status") or ""
    if not text:
        raise ApiError(10016, "Miss required parameter (status), see doc for more info.")
    if weighted_length(text) > 140:
        raise ApiError(20012)
    if not has_safe_link(text, account.safe_domains):
        raise ApiError(10017)
    pic = files.get("pic")
    if pic is not None:
        fmt = image_kind(pic.data)
        if fmt not in ("jpg", "png", "gif"):
            raise ApiError(20005)
        if len(pic.data) >= 5 * MB:
            raise ApiError(20006)
    state = sb.state
    with state.lock:
        now = state.now()
        if _within_hour(account.share_times, now) >= account.hourly_limit:
            raise ApiError(10023)
        previous = state.statuses.get(account.recent_texts.get(text, -1))
        if previous and previous.deleted_at is None and now - previous.created_at < account.duplicate_window:
            raise ApiError(20019)
        pic_id = None
        if pic is not None:
            pic_id = state.store_image(str(account.uid), "weibo", fmt, pic.data, f"{sb.public_url}/sinaimg/").image_id
        status = WeiboStatus(state.next_id("status"), account.uid, text, now, pic_id, visible_at=now)
        state.statuses[status.id] = status
        state.timelines.setdefault(account.uid, []).append(status.id)
        account.share_times.append(now)
        account.recent_texts[text] = status.id
        account.counts["shares"] += 1
        return _json(status_json(sb, status))


def delay_visibility(sb: Sandbox, answer: Response, seconds: float) -> None:
    """The status a share just created (its answer `answer`) shows in user_timeline only `seconds`
    later: what the platform does behind a 20032 answer. It exists meanwhile, so the duplicate
    rule (20019) already applies to it."""
    try:
        status_id = int(json.loads(answer.body)["id"])
    except (KeyError, TypeError, ValueError):
        return
    with sb.state.lock:
        status = sb.state.statuses.get(status_id)
        if status is not None:
            status.visible_at = status.created_at + seconds


def update(sb: Sandbox, req: Request) -> Response:
    """statuses/update has answered 10014 for third-party apps since 2017."""
    raise ApiError(10014)


def destroy(sb: Sandbox, req: Request) -> Response:
    """Withdraw one's own post (there is no edit: correcting means destroy and share again)."""
    account = _authorise(sb, req)
    status_id = _int_param(req, "id")
    with sb.state.lock:
        status = sb.state.statuses.get(status_id)
        if status is None or status.deleted_at is not None:
            raise ApiError(20101)
        if status.uid != account.uid:
            raise ApiError(20102)
        status.deleted_at = sb.state.now()
        account.counts["deleted"] += 1
        return _json(status_json(sb, status))


def user_timeline(sb: Sandbox, req: Request) -> Response:
    """Only the authorised user's posts, and at most the 5 newest — a faithful and awkward limit."""
    account = _authorise(sb, req)
    count = min(max(_int_param(req, "count", 20), 1), 5)
    page = _int_param(req, "page", 1)
    since_id, max_id = _int_param(req, "since_id", 0), _int_param(req, "max_id", 0)
    with sb.state.lock:
        live = [sb.state.statuses[i] for i in reversed(sb.state.timelines.get(account.uid, []))]
        now = sb.state.now()
        live = [s for s in live if s.deleted_at is None and s.visible_at <= now]
        newest = [s for s in live[:5] if s.id > since_id and (not max_id or s.id <= max_id)]
        statuses = [status_json(sb, s) for s in newest[:count]] if page == 1 else []
        return _json(
            {
                "statuses": statuses,
                "hasvisible": False,
                "previous_cursor": 0,
                "next_cursor": 0,
                "total_number": len(live),
            }
        )


# --- comments -----------------------------------------------------------------------------------


def comments_show(sb: Sandbox, req: Request) -> Response:
    _authorise(sb, req)
    status_id = _int_param(req, "id")
    count = min(max(_int_param(req, "count", 50), 1), 200)
    page = max(_int_param(req, "page", 1), 1)
    since_id = _int_param(req, "since_id", 0)
    with sb.state.lock:
        status = sb.state.statuses.get(status_id)
        if status is None or status.deleted_at is not None:
            raise ApiError(20101)
        comments = [
            comment
            for comment in (sb.state.weibo_comments[c] for c in reversed(status.comment_ids) if c > since_id)
            if comment.deleted_at is None
        ]
        page_items = comments[(page - 1) * count : page * count]
        return _json(
            {
                "comments": [comment_json(sb, c) for c in page_items],
                "hasvisible": False,
                "previous_cursor": 0,
                "next_cursor": 0,
                "total_number": len(comments),
            }
        )


def comments_reply(sb: Sandbox, req: Request) -> Response:
    """Reply to comment `cid` on status `id`; at most 60 comments an hour per user."""
    account = _authorise(sb, req)
    cid, status_id = _int_param(req, "cid"), _int_param(req, "id")
    text = req.value("comment") or ""
    if not text:
        raise ApiError(10016, "Miss required parameter (comment), see doc for more info.")
    if weighted_length(text) > 140:
        raise ApiError(20012)
    state = sb.state
    with state.lock:
        status = state.statuses.get(status_id)
        if status is None or status.deleted_at is not None:
            raise ApiError(20101)
        replied = state.weibo_comments.get(cid)
        if replied is None or replied.status_id != status_id or replied.deleted_at is not None:
            raise ApiError(20201)
        now = state.now()
        if _within_hour(account.comment_times, now) >= account.comment_hourly_limit:
            raise ApiError(10024)
        comment = WeiboComment(
            state.next_id("weibo_comment"), status_id, text, now, account.uid, account.screen_name, cid
        )
        state.weibo_comments[comment.id] = comment
        status.comment_ids.append(comment.id)
        account.comment_times.append(now)
        account.counts["replies"] += 1
        return _json(comment_json(sb, comment))


def comments_destroy(sb: Sandbox, req: Request) -> Response:
    """Delete comment `cid`: one's own, or any comment on one's own status (20203 otherwise);
    20201 when it does not exist (any more). Answers the deleted comment."""
    account = _authorise(sb, req)
    cid = _int_param(req, "cid")
    state = sb.state
    with state.lock:
        comment = state.weibo_comments.get(cid)
        if comment is None or comment.deleted_at is not None:
            raise ApiError(20201)
        status = state.statuses.get(comment.status_id)
        if comment.user_id != account.uid and (status is None or status.uid != account.uid):
            raise ApiError(20203)
        answer = comment_json(sb, comment)
        comment.deleted_at = state.now()
        account.counts["comments_deleted"] += 1
        return _json(answer)


def seed_comment(sb: Sandbox, spec: dict) -> WeiboComment:
    """Control API: a reader's comment on a status."""
    state = sb.state
    with state.lock:
        status = state.statuses.get(int(spec["status_id"]))
        if status is None:
            raise KeyError(spec["status_id"])
        comment = WeiboComment(
            id=state.next_id("weibo_comment"),
            status_id=status.id,
            text=str(spec.get("text") or "支持！"),
            created_at=state.now(),
            user_id=int(spec.get("user_id", 7000000001)),
            user_name=str(spec.get("user_name") or "热心网友"),
        )
        state.weibo_comments[comment.id] = comment
        status.comment_ids.append(comment.id)
        return comment


def rate_limit_status(sb: Sandbox, req: Request) -> Response:
    """Remaining hits in the sliding hour for shares and comments."""
    account = _authorise(sb, req)
    with sb.state.lock:
        now = sb.state.now()
        used = _within_hour(account.share_times, now)
        used_comments = _within_hour(account.comment_times, now)
        reset = account.share_times[0] + HOUR if account.share_times else now + HOUR
    remaining = max(account.hourly_limit - used, 0)
    return _json(
        {
            "api_rate_limits": [
                {
                    "api": "statuses/share",
                    "limit": account.hourly_limit,
                    "limit_time_unit": "HOURS",
                    "remaining_hits": remaining,
                },
                {
                    "api": "comments/reply",
                    "limit": account.comment_hourly_limit,
                    "limit_time_unit": "HOURS",
                    "remaining_hits": max(account.comment_hourly_limit - used_comments, 0),
                },
            ],
            "ip_limit": 10000,
            "limit_time_unit": "HOURS",
            "remaining_ip_hits": 10000,
            "remaining_user_hits": remaining,
            "reset_time": f"{local_time(reset):%Y-%m-%d %H:%M:%S}",
            "reset_time_in_seconds": max(int(reset - now), 0),
            "user_limit": account.hourly_limit,
        }
    )


ROUTES = [
    Route(("POST",), "/oauth2/access_token", access_token, "weibo"),
    Route(("POST",), "/oauth2/get_token_info", get_token_info, "weibo"),
    Route(("POST",), SHARE_PATH, share, "weibo"),
    Route(("POST",), "/2/statuses/update.json", update, "weibo"),
    Route(("POST",), "/2/statuses/destroy.json", destroy, "weibo"),
    Route(("GET",), "/2/statuses/user_timeline.json", user_timeline, "weibo"),
    Route(("GET",), "/2/comments/show.json", comments_show, "weibo"),
    Route(("POST",), "/2/comments/reply.json", comments_reply, "weibo"),
    Route(("POST",), "/2/comments/destroy.json", comments_destroy, "weibo"),
    Route(("GET",), "/2/account/rate_limit_status.json", rate_limit_status, "weibo"),
]
