"""WeChat Official Account API under `/cgi-bin/`, with the semantics recorded in docs/platforms.md.

Errors are HTTP 200 with ``{"errcode": N, "errmsg": "... rid: xxxxxxxx-xxxxxxxx-xxxxxxxx"}``;
successes carry no errcode where the real API omits it (``draft/add`` answers only
``{"media_id": ...}``). Every call but the two token endpoints needs ``?access_token=``: missing →
41001, unknown or superseded for longer than the account's grace period → 40001, expired → 42001.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
import secrets
import time
import urllib.request
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from .accounts import bool_value
from .protocol import ApiError, BadBody, Request, Response, Route, image_kind, json_response
from .state import Article, Draft, PublishJob, WeChatAccount, WeChatComment, WeChatMessage, WeChatToken

if TYPE_CHECKING:
    from .app import Sandbox

log = logging.getLogger(__name__)

BAD_BODY = 47001
MB = 1024 * 1024
MAX_ARTICLES = 8
MMBIZ = "http://mmbiz.qpic.cn/sandbox/"  # body image URLs look like the platform's CDN; pages map them back

ERRORS = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40004: "invalid media type",
    40005: "invalid file type",
    40007: "invalid media_id",
    40009: "invalid image size",
    40013: "invalid appid",
    40014: "invalid access_token",
    40097: "invalid args",
    40114: "invalid index value",
    40125: "invalid appsecret",
    40164: "invalid ip, not in whitelist",
    40243: "AppSecret已被冻结，请登录MP解冻后再次调用",
    41001: "access_token missing",
    41005: "media data missing",
    42001: "access_token expired",
    43002: "require POST method",
    44002: "empty post data",
    44003: "empty news data",
    44004: "empty content",
    45002: "content size out of limit",
    45003: "title size out of limit",
    45004: "description size out of limit",
    45008: "article size out of limit",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit  mustslower  retry next minute",
    45110: "author size out of limit",
    45166: "invalid content hint",
    47001: "data format error",
    47003: "argument invalid!",
    48001: "api unauthorized",
    53503: "该草稿未通过发布检查",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    53600: "Article ID 无效",
    88000: "without comment privilege",
    88008: "comment is not exist",
}

# message/custom/send: within 48 hours of the follower's last message, at most this many answers
# per message of theirs (45047 beyond; the platform's figure is 20 in those 48 hours).
CUSTOM_WINDOW = 48 * 3600.0
CUSTOM_REPLIES_PER_MESSAGE = 20
CUSTOM_TEXT_BYTES = 2048

PUBLISH_STATUS = {
    0: "发布成功",
    1: "发布中",
    2: "原创校验未通过",
    3: "常规失败",
    4: "平台审核不通过",
    5: "已被用户删除",
    6: "已被封禁",
}


def rid() -> str:
    return "-".join(secrets.token_hex(4) for _ in range(3))


def error_response(req: Request, code: int, *, status: int | None = None, message: str | None = None) -> Response:
    """WeChat's error shape: HTTP 200 (unless a fault asks otherwise) and a rid in errmsg."""
    text = message or ERRORS.get(code, "error")
    return json_response({"errcode": code, "errmsg": f"{text} rid: {rid()}"}, status=status or 200)


def _ok(**extra) -> Response:
    return json_response({"errcode": 0, "errmsg": "ok", **extra})


def account_of(sb: Sandbox, req: Request) -> str | None:
    """The appid a request acts for: from its credentials or its access_token (None if unknown)."""
    if req.path == "/cgi-bin/stable_token":
        try:
            return str(req.json().get("appid") or "") or None
        except BadBody:
            return None
    if req.path == "/cgi-bin/token":
        return req.query.get("appid")
    token = sb.state.wechat_tokens.get(req.query.get("access_token", ""))
    return token.appid if token else None


# --- tokens -------------------------------------------------------------------------------------


def _check_credentials(sb: Sandbox, grant_type: object, appid: object, secret: object) -> WeChatAccount:
    if grant_type != "client_credential":
        raise ApiError(40002)
    account = sb.state.wechat_accounts.get(str(appid or ""))
    if account is None:
        raise ApiError(40013)
    if secret != account.secret:
        raise ApiError(40125)
    return account


def _issue(sb: Sandbox, account: WeChatAccount, kind: str, now: float) -> WeChatToken:
    """A new token of `kind`; the previous one keeps working for the account's grace period."""
    state = sb.state
    previous = state.wechat_current.get((account.appid, kind))
    if previous is not None and previous.superseded_at is None:
        previous.superseded_at = now
    token = WeChatToken(
        value=secrets.token_urlsafe(60),
        appid=account.appid,
        kind=kind,
        issued_at=now,
        expires_at=now + account.token_ttl,
        grace=account.token_grace,
    )
    state.wechat_tokens[token.value] = token
    state.wechat_current[(account.appid, kind)] = token
    account.counts["token_issues"] += 1
    return token


def stable_token(sb: Sandbox, req: Request) -> Response:
    """The same token with its remaining lifetime until it expires; `force_refresh` rotates it."""
    body = req.json()
    force = body.get("force_refresh") in (True, 1, "true", "1")
    with sb.state.lock:
        account = _check_credentials(sb, body.get("grant_type"), body.get("appid"), body.get("secret"))
        now = sb.state.now()
        token = sb.state.wechat_current.get((account.appid, "stable"))
        if force or token is None or now >= token.expires_at:
            token = _issue(sb, account, "stable", now)
        return json_response({"access_token": token.value, "expires_in": max(int(token.expires_at - now), 0)})


def classic_token(sb: Sandbox, req: Request) -> Response:
    """Each call replaces the previous token — services sharing an AppID knock each other out (40001)."""
    with sb.state.lock:
        account = _check_credentials(sb, req.query.get("grant_type"), req.query.get("appid"), req.query.get("secret"))
        token = _issue(sb, account, "classic", sb.state.now())
        return json_response({"access_token": token.value, "expires_in": int(account.token_ttl)})


def _authorise(sb: Sandbox, req: Request) -> WeChatAccount:
    value = req.query.get("access_token")
    if not value:
        raise ApiError(41001)
    state = sb.state
    with state.lock:
        token = state.wechat_tokens.get(value)
        account = state.wechat_accounts.get(token.appid) if token else None
        if token is None or account is None:
            raise ApiError(40001)
        now = state.now()
        if token.superseded_at is not None and now >= token.superseded_at + token.grace:
            raise ApiError(40001)  # "not latest": replaced by a newer token more than grace ago
        if now >= token.expires_at:
            raise ApiError(42001)
        account.counts["api_calls"] += 1
        return account


# --- images and materials -----------------------------------------------------------------------


def _media(req: Request) -> tuple[bytes, str | None]:
    upload = req.form()[1].get("media")
    if upload is None or not upload.data:
        raise ApiError(41005)
    return upload.data, image_kind(upload.data)


def uploadimg(sb: Sandbox, req: Request) -> Response:
    """An image for use inside article HTML: jpg/png under 1 MB (40005 type, 40009 size)."""
    account = _authorise(sb, req)
    data, fmt = _media(req)
    if fmt not in ("jpg", "png"):
        raise ApiError(40005)
    if len(data) >= MB:
        raise ApiError(40009)
    image = sb.state.store_image(account.appid, "uploadimg", fmt, data, MMBIZ)
    with sb.state.lock:
        account.counts["uploads"] += 1
    return json_response({"url": image.url})


def add_material(sb: Sandbox, req: Request) -> Response:
    """A permanent image or thumb material: the only thing a cover (thumb_media_id) may be."""
    account = _authorise(sb, req)
    media_type = req.query.get("type")
    if media_type not in ("image", "thumb"):
        raise ApiError(40004)  # voice and video materials are not emulated
    data, fmt = _media(req)
    # The documented limits: image bmp/png/jpeg/jpg/gif up to 10 MB, thumb a JPG up to 64 KB.
    if (media_type == "image" and fmt is None) or (media_type == "thumb" and fmt != "jpg"):
        raise ApiError(40005)
    if len(data) > (10 * MB if media_type == "image" else 64 * 1024):
        raise ApiError(40009)
    image = sb.state.store_image(account.appid, media_type, fmt, data, MMBIZ)
    with sb.state.lock:
        image.media_id = secrets.token_urlsafe(32)
        sb.state.materials[image.media_id] = image
        account.counts["materials"] += 1
    return json_response({"media_id": image.media_id, "url": image.url})


# --- drafts -------------------------------------------------------------------------------------

_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script\s*>|<script\b[^>]*>", re.IGNORECASE | re.DOTALL)
_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_SRC = re.compile(r"""\bsrc\s*=\s*(["']?)([^"'\s>]+)\1""", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def _clean_content(content: str) -> str:
    """`<script>` is stripped and `<img>` not hosted on mmbiz.qpic.cn dropped, as the platform does."""

    def keep_hosted(match: re.Match) -> str:
        src = _SRC.search(match.group(0))
        host = urlsplit(src.group(2)).hostname if src else None
        return match.group(0) if host and (host == "qpic.cn" or host.endswith(".qpic.cn")) else ""

    return _IMG.sub(keep_hosted, _SCRIPT.sub("", content))


def _default_digest(content: str) -> str:
    """The first 54 characters of the body's text, the platform's default digest."""
    return " ".join(html.unescape(_TAG.sub("", content)).split())[:54]


def _as_int(value: object, default: int = 0) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError) as exc:
        raise ApiError(47001) from exc


def _article(sb: Sandbox, account: WeChatAccount, raw: object) -> dict:
    """Validate one article against the content rules of platforms.md and normalise it."""
    if not isinstance(raw, dict):
        raise ApiError(47001)
    title = str(raw.get("title") or "")
    if not title:
        raise ApiError(47003, "argument invalid! data.title invalid")
    if len(title) > 32:  # newer limit; older docs said 64
        raise ApiError(45003)
    author = str(raw.get("author") or "")
    if len(author) > 16:
        raise ApiError(45110)
    content = str(raw.get("content") or "")
    if not content.strip():
        raise ApiError(44004)
    if len(content) >= 20000 or len(content.encode("utf-8")) >= MB:
        raise ApiError(45002)
    digest = str(raw.get("digest") or "")
    if len(digest) > 128:
        raise ApiError(45004)
    thumb_media_id = str(raw.get("thumb_media_id") or "")
    material = sb.state.materials.get(thumb_media_id)
    # The cover must be a permanent material of the same account, and is briefly unusable after upload.
    if (
        material is None
        or material.owner != account.appid
        or sb.state.now() - material.created_at < account.material_settle
    ):
        raise ApiError(40007)
    cleaned = _clean_content(content)
    return {
        "title": title,
        "author": author,
        "digest": digest or _default_digest(cleaned),
        "content": cleaned,
        "content_source_url": str(raw.get("content_source_url") or ""),
        "thumb_media_id": thumb_media_id,
        "thumb_url": material.url,
        "need_open_comment": _as_int(raw.get("need_open_comment")),
        "only_fans_can_comment": _as_int(raw.get("only_fans_can_comment")),
    }


def _draft(sb: Sandbox, account: WeChatAccount, media_id: object) -> Draft:
    draft = sb.state.drafts.get(str(media_id or ""))
    if draft is None or draft.appid != account.appid:
        raise ApiError(40007)
    return draft


def _news_item(article: dict, *, content: bool = True) -> dict:
    return {key: value for key, value in article.items() if content or key != "content"}


def draft_add(sb: Sandbox, req: Request) -> Response:
    """Up to 8 articles; answers only ``{media_id}``."""
    account = _authorise(sb, req)
    articles = req.json().get("articles")
    if not isinstance(articles, list) or not articles:
        raise ApiError(44003)
    if len(articles) > MAX_ARTICLES:
        raise ApiError(45008)
    state = sb.state
    with state.lock:
        cleaned = [_article(sb, account, raw) for raw in articles]
        now = state.now()
        draft = Draft(secrets.token_urlsafe(32), account.appid, cleaned, now, now)
        state.drafts[draft.media_id] = draft
        account.counts["drafts"] += 1
    return json_response({"media_id": draft.media_id})


def draft_get(sb: Sandbox, req: Request) -> Response:
    account = _authorise(sb, req)
    with sb.state.lock:
        draft = _draft(sb, account, req.json().get("media_id"))
        return json_response(
            {
                "news_item": [_news_item(a) for a in draft.articles],
                "create_time": int(draft.created_at),
                "update_time": int(draft.updated_at),
            }
        )


def draft_update(sb: Sandbox, req: Request) -> Response:
    """Replace the article at 0-based `index`; `articles` is one object here, not a list."""
    account = _authorise(sb, req)
    body = req.json()
    with sb.state.lock:
        draft = _draft(sb, account, body.get("media_id"))
        index = _as_int(body.get("index"), -1)
        if not 0 <= index < len(draft.articles):
            raise ApiError(40114)
        draft.articles[index] = _article(sb, account, body.get("articles"))
        draft.updated_at = sb.state.now()
    return _ok()


def draft_delete(sb: Sandbox, req: Request) -> Response:
    account = _authorise(sb, req)
    with sb.state.lock:
        draft = _draft(sb, account, req.json().get("media_id"))
        del sb.state.drafts[draft.media_id]
    return _ok()


def _page(body: dict) -> tuple[int, int]:
    offset, count = _as_int(body.get("offset")), _as_int(body.get("count"), 20)
    if offset < 0 or not 1 <= count <= 20:
        raise ApiError(40097)
    return offset, count


def draft_batchget(sb: Sandbox, req: Request) -> Response:
    """Newest first, `count` 1..20."""
    account = _authorise(sb, req)
    body = req.json()
    offset, count = _page(body)
    no_content = bool(_as_int(body.get("no_content")))
    with sb.state.lock:
        drafts = sorted((d for d in sb.state.drafts.values() if d.appid == account.appid), key=lambda d: -d.updated_at)
        page = drafts[offset : offset + count]
        items = [
            {
                "media_id": d.media_id,
                "content": {
                    "news_item": [_news_item(a, content=not no_content) for a in d.articles],
                    "create_time": int(d.created_at),
                    "update_time": int(d.updated_at),
                },
                "update_time": int(d.updated_at),
            }
            for d in page
        ]
    return json_response({"total_count": len(drafts), "item_count": len(items), "item": items})


def draft_count(sb: Sandbox, req: Request) -> Response:
    account = _authorise(sb, req)
    with sb.state.lock:
        total = sum(1 for d in sb.state.drafts.values() if d.appid == account.appid)
    return json_response({"total_count": total})


# --- free publish -------------------------------------------------------------------------------


def article_url(sb: Sandbox, article_id: str, idx: int) -> str:
    return f"{sb.public_url}/s/{article_id}" + (f"?idx={idx}" if idx > 1 else "")


def freepublish_submit(sb: Sandbox, req: Request) -> Response:
    """Accepted, not published: the job moves 1 → final status after `publish_delay`, then calls back."""
    account = _authorise(sb, req)
    if not account.verified:
        raise ApiError(48001)  # since July 2025 unverified accounts cannot publish
    state = sb.state
    with state.lock:
        draft = _draft(sb, account, req.json().get("media_id"))
        job = PublishJob(
            publish_id=state.next_id("publish"),
            msg_data_id=state.next_id("msg_data"),
            appid=account.appid,
            draft_media_id=draft.media_id,
            articles=[dict(a) for a in draft.articles],
            submitted_at=state.now(),
        )
        for fault in sb.faults.take_job_faults(account.appid):
            if fault.kind == "publish_status":
                job.final_status = fault.publish_status or 3
            else:
                job.callbacks = 0 if fault.kind == "drop_callback" else 2
        state.jobs[job.publish_id] = job
        account.counts["submits"] += 1
        delay = account.publish_delay
    sb.jobs.call_later(delay, finish_job, sb, job)
    return _ok(publish_id=str(job.publish_id), msg_data_id=job.msg_data_id)


def finish_job(sb: Sandbox, job: PublishJob) -> None:
    """End a publish job: status 0 (or 5/6) creates the article; then deliver PUBLISHJOBFINISH."""
    state = sb.state
    with state.lock:
        account = state.wechat_accounts.get(job.appid)
        if state.jobs.get(job.publish_id) is not job or account is None or job.final_status == 1:
            return  # reset meanwhile, or a fault keeps this job "publishing" for ever
        now = state.now()
        job.status, job.finished_at = job.final_status, now
        if job.status in (0, 5, 6):
            job.article_id = secrets.token_urlsafe(24)
            items = [
                {
                    **a,
                    "idx": i,
                    "url": article_url(sb, job.article_id, i),
                    "deleted_at": now if job.status == 5 else None,
                }
                for i, a in enumerate(job.articles, start=1)
            ]
            state.articles[job.article_id] = Article(
                job.article_id, job.appid, job.publish_id, job.msg_data_id, items, now
            )
            account.counts["published"] += 1
        else:
            job.fail_idx = list(range(1, len(job.articles) + 1))
            account.counts["failed"] += 1
        callback = (account.callback_url, account.callback_token, _event_xml(sb, account, job, now))
    if callback[0] and job.callbacks:
        sb.jobs.submit(deliver_callback, sb, job.appid, job.publish_id, job.callbacks, *callback)


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _event_xml(sb: Sandbox, account: WeChatAccount, job: PublishJob, now: float) -> str:
    """The PUBLISHJOBFINISH event in the plain-text (unencrypted) mode."""
    info = [f"<publish_id>{job.publish_id}</publish_id>", f"<publish_status>{job.status}</publish_status>"]
    if job.article_id:
        items = "".join(
            f"<item><idx>{i}</idx><article_url>{_cdata(article_url(sb, job.article_id, i))}</article_url></item>"
            for i in range(1, len(job.articles) + 1)
        )
        info.append(f"<article_id>{_cdata(job.article_id)}</article_id>")
        info.append(f"<article_detail><count>{len(job.articles)}</count>{items}</article_detail>")
    info.extend(f"<fail_idx>{i}</fail_idx>" for i in job.fail_idx)
    return (
        f"<xml><ToUserName>{_cdata(account.original_id)}</ToUserName>"
        f"<FromUserName>{_cdata('oSandboxSystemMessage00000000')}</FromUserName>"
        f"<CreateTime>{int(now)}</CreateTime><MsgType>{_cdata('event')}</MsgType>"
        f"<Event>{_cdata('PUBLISHJOBFINISH')}</Event>"
        f"<PublishEventInfo>{''.join(info)}</PublishEventInfo></xml>"
    )


def sign(token: str, timestamp: str, nonce: str) -> str:
    """WeChat's server signature: sha1 of the sorted token, timestamp and nonce, concatenated."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode("utf-8")).hexdigest()  # noqa: S324


_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # callbacks go to local receivers


def deliver_callback(sb: Sandbox, appid: str, publish_id: int, times: int, url: str, token: str, body: str) -> None:
    """POST the event `times` times (2 = the duplicate delivery platforms.md warns of), recording each."""
    deliver_push(sb, appid, {"publish_id": str(publish_id)}, times, url, token, body)


def deliver_push(sb: Sandbox, appid: str, about: dict, times: int, url: str, token: str, body: str) -> None:
    """POST a signed XML push to the account's server URL `times` times, recording each delivery
    (with `about`: the publish_id, or the MsgId of a user's message) in `GET /_sandbox/callbacks`."""
    for attempt in range(1, times + 1):
        # The receiver checks freshness against its own clock, so the real time is signed, not sandbox time.
        timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**9) + 10**9)
        query = urlencode({"signature": sign(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce})
        request = urllib.request.Request(  # noqa: S310 - accounts only accept http(s) callback URLs
            f"{url}{'&' if '?' in url else '?'}{query}",
            data=body.encode("utf-8"),
            headers={"Content-Type": "text/xml"},
            method="POST",
        )
        record = {"appid": appid, **about, "attempt": attempt, "url": url, "at": time.time()}
        try:
            with _NO_PROXY.open(request, timeout=5) as answer:
                record["http_status"] = answer.status
                record["answer"] = answer.read(200).decode("utf-8", "replace")
        except Exception as exc:  # an unreachable receiver is a result to record, not a sandbox failure
            record["error"] = repr(exc)
        with sb.state.lock:
            sb.state.callbacks.append(record)
            account = sb.state.wechat_accounts.get(appid)
            if account is not None:
                account.counts["callbacks_sent" if "http_status" in record else "callbacks_failed"] += 1


# --- users' messages to the account -------------------------------------------------------------

USER_MESSAGE_TYPES = ("text", "image", "voice", "subscribe")


def seed_message(sb: Sandbox, spec: dict) -> dict:
    """Control API: a follower sends the account a message (text, image, voice) or subscribes;
    the sandbox pushes it, signed, to the account's `callback_url` as WeChat does (platforms.md:
    `MsgId`, or `FromUserName` + `CreateTime` for events) — `times: 2` pushes the same message
    twice, as WeChat does when it got no answer in time. Delivered before this call answers, so
    the answer carries each delivery's HTTP status."""
    msg_type = str(spec.get("msg_type") or "text")
    if msg_type not in USER_MESSAGE_TYPES:
        raise ValueError(f"msg_type must be one of {', '.join(USER_MESSAGE_TYPES)}")
    with sb.state.lock:
        account = sb.state.wechat_accounts.get(str(spec.get("appid") or ""))
        if account is None:
            raise KeyError(spec.get("appid"))
        url, token = account.callback_url, account.callback_token
        openid = str(spec.get("openid") or f"oSandboxReader{secrets.token_hex(7)}")
        create_time = int(sb.state.now())
        msg_id = sb.state.next_id("wechat_msg") if msg_type != "subscribe" else None
        account.counts["user_messages"] += 1
        content = str(spec.get("content") or "你好") if msg_type == "text" else f"[{msg_type}]"
        sb.state.wechat_messages.append(WeChatMessage(account.appid, openid, content, create_time, True, msg_type))
    if not bool_value(spec.get("push", True)):
        # Recorded only (the follower wrote, e.g. before a test's clock move): no push is made.
        return {"msg_id": str(msg_id or ""), "openid": openid, "create_time": create_time, "deliveries": []}
    if not url:
        raise ValueError("the account has no callback_url")
    head = (
        f"<xml><ToUserName>{_cdata(account.original_id)}</ToUserName><FromUserName>{_cdata(openid)}</FromUserName>"
        f"<CreateTime>{create_time}</CreateTime>"
    )
    body = {
        "text": f"<MsgType>{_cdata('text')}</MsgType><Content>{_cdata(str(spec.get('content') or '你好'))}</Content>",
        "image": f"<MsgType>{_cdata('image')}</MsgType><PicUrl>{_cdata('http://mmbiz.qpic.cn/sandbox/user.jpg')}"
        f"</PicUrl><MediaId>{_cdata('sandbox-media')}</MediaId>",
        "voice": f"<MsgType>{_cdata('voice')}</MsgType><MediaId>{_cdata('sandbox-voice')}</MediaId>"
        f"<Format>{_cdata('amr')}</Format>",
        "subscribe": f"<MsgType>{_cdata('event')}</MsgType><Event>{_cdata('subscribe')}</Event>",
    }[msg_type]
    tail = f"<MsgId>{msg_id}</MsgId></xml>" if msg_id else "</xml>"
    about = {"msg_id": str(msg_id or ""), "msg_type": msg_type}
    before = len(sb.state.callbacks)
    deliver_push(sb, account.appid, about, max(1, int(spec.get("times", 1))), url, token, head + body + tail)
    with sb.state.lock:
        deliveries = [c for c in list(sb.state.callbacks)[before:] if c.get("msg_id") == about["msg_id"]]
    return {"msg_id": about["msg_id"], "openid": openid, "create_time": create_time, "deliveries": deliveries}


def job_status(sb: Sandbox, job: PublishJob) -> int:
    """A published job whose articles were all deleted reads as 5 "deleted by user"."""
    article = sb.state.articles.get(job.article_id or "")
    if job.status == 0 and article and all(item["deleted_at"] for item in article.items):
        return 5
    return job.status


def freepublish_get(sb: Sandbox, req: Request) -> Response:
    account = _authorise(sb, req)
    publish_id = _as_int(req.json().get("publish_id"), -1)
    with sb.state.lock:
        job = sb.state.jobs.get(publish_id)
        if job is None or job.appid != account.appid:
            raise ApiError(40007, "invalid publish_id")  # the real code for an unknown id is undocumented
        answer: dict = {"publish_id": str(job.publish_id), "publish_status": job_status(sb, job)}
        if job.article_id:
            answer["article_id"] = job.article_id
            answer["article_detail"] = {
                "count": len(job.articles),
                "item": [
                    {"idx": i, "article_url": article_url(sb, job.article_id, i)}
                    for i in range(1, len(job.articles) + 1)
                ],
            }
        answer["fail_idx"] = list(job.fail_idx)
    return json_response(answer)


def _article_of(sb: Sandbox, account: WeChatAccount, article_id: object) -> Article:
    article = sb.state.articles.get(str(article_id or ""))
    if article is None or article.appid != account.appid:
        raise ApiError(53600)
    return article


def freepublish_delete(sb: Sandbox, req: Request) -> Response:
    """Delete item `index` (1-based) or, with 0 / no index, the whole article."""
    account = _authorise(sb, req)
    body = req.json()
    with sb.state.lock:
        article = _article_of(sb, account, body.get("article_id"))
        index = _as_int(body.get("index"))
        if not 0 <= index <= len(article.items):
            raise ApiError(40114)
        now = sb.state.now()
        for item in article.items:
            if index in (0, item["idx"]) and not item["deleted_at"]:
                item["deleted_at"] = now
                account.counts["deleted"] += 1
    return _ok()


def _published_item(item: dict, *, content: bool = True) -> dict:
    keys = ("title", "author", "digest", "content", "content_source_url", "thumb_media_id", "thumb_url")
    news = {k: item[k] for k in keys if content or k != "content"}
    news.update(url=item["url"], is_deleted=bool(item["deleted_at"]))
    return news


def freepublish_getarticle(sb: Sandbox, req: Request) -> Response:
    account = _authorise(sb, req)
    with sb.state.lock:
        article = _article_of(sb, account, req.json().get("article_id"))
        return json_response({"news_item": [_published_item(i) for i in article.items]})


def freepublish_batchget(sb: Sandbox, req: Request) -> Response:
    """Published articles, newest first: what a backend reconciles against after a lost answer."""
    account = _authorise(sb, req)
    body = req.json()
    offset, count = _page(body)
    no_content = bool(_as_int(body.get("no_content")))
    with sb.state.lock:
        articles = sorted(
            (a for a in sb.state.articles.values() if a.appid == account.appid), key=lambda a: -a.published_at
        )
        items = [
            {
                "article_id": a.article_id,
                "content": {
                    "news_item": [_published_item(i, content=not no_content) for i in a.items],
                    "create_time": int(a.published_at),
                    "update_time": int(a.published_at),
                },
                "update_time": int(a.published_at),
            }
            for a in articles[offset : offset + count]
        ]
    return json_response({"total_count": len(articles), "item_count": len(items), "item": items})


# --- comments -----------------------------------------------------------------------------------


def find_item(sb: Sandbox, appid: str | None, msg_data_id: int, index: int) -> tuple[Article, dict]:
    """The published item a comment call names by msg_data_id and 0-based index."""
    for article in sb.state.articles.values():
        if article.msg_data_id == msg_data_id and (appid is None or article.appid == appid):
            if 0 <= index < len(article.items):
                return article, article.items[index]
            break
    raise ApiError(40097)  # the real code for an unknown msg_data_id is undocumented


def _comment_target(sb: Sandbox, req: Request) -> tuple[WeChatAccount, dict, dict]:
    account = _authorise(sb, req)
    body = req.json()
    _, item = find_item(sb, account.appid, _as_int(body.get("msg_data_id"), -1), _as_int(body.get("index")))
    return account, item, body


def comment_list(sb: Sandbox, req: Request) -> Response:
    """`count` must stay under 50; 88000 when comments are closed on the item."""
    with sb.state.lock:
        _, item, body = _comment_target(sb, req)
        if not item.get("need_open_comment"):
            raise ApiError(88000)
        begin, count, kind = _as_int(body.get("begin")), _as_int(body.get("count"), 20), _as_int(body.get("type"))
        if begin < 0 or not 1 <= count < 50:
            raise ApiError(47001)
        comments = [
            c
            for c in sb.state.wechat_comments.values()
            if (c.msg_data_id, c.index) == (_as_int(body.get("msg_data_id")), _as_int(body.get("index")))
            and c.deleted_at is None
            and (kind == 0 or (kind == 1) == (c.comment_type == 0))
        ]
        page = [
            {
                "user_comment_id": c.user_comment_id,
                "openid": c.openid,
                "create_time": int(c.create_time),
                "content": c.content,
                "comment_type": c.comment_type,
                **({"reply": c.reply} if c.reply else {}),
            }
            for c in comments[begin : begin + count]
        ]
    return _ok(total=len(comments), comment=page)


def comment_reply(sb: Sandbox, req: Request) -> Response:
    with sb.state.lock:
        account, item, body = _comment_target(sb, req)
        if not item.get("need_open_comment"):
            raise ApiError(88000)
        comment = sb.state.wechat_comments.get(_as_int(body.get("user_comment_id"), -1))
        content = str(body.get("content") or "")
        if comment is None or (comment.msg_data_id, comment.index) != (
            _as_int(body.get("msg_data_id")),
            _as_int(body.get("index")),
        ):
            raise ApiError(40097)
        if not content:
            raise ApiError(44004)
        comment.reply = {"content": content, "create_time": int(sb.state.now())}
        account.counts["replies"] += 1
    return _ok()


def _named_comment(sb: Sandbox, req: Request) -> tuple[WeChatAccount, WeChatComment]:
    """The live comment a moderation call names (88008 when there is none)."""
    account, _, body = _comment_target(sb, req)
    comment = sb.state.wechat_comments.get(_as_int(body.get("user_comment_id"), -1))
    if (
        comment is None
        or comment.deleted_at is not None
        or (comment.msg_data_id, comment.index) != (_as_int(body.get("msg_data_id")), _as_int(body.get("index")))
    ):
        raise ApiError(88008)
    return account, comment


def _comment_elect(elected: bool):
    """comment/markelect shows a comment publicly (精选); comment/unmarkelect hides it again."""

    def handler(sb: Sandbox, req: Request) -> Response:
        with sb.state.lock:
            account, comment = _named_comment(sb, req)
            comment.elected = elected
            account.counts["elected" if elected else "unelected"] += 1
        return _ok()

    handler.__name__ = "comment_markelect" if elected else "comment_unmarkelect"
    return handler


def comment_delete(sb: Sandbox, req: Request) -> Response:
    """Delete a reader's comment (with its reply); 88008 once it is gone."""
    with sb.state.lock:
        account, comment = _named_comment(sb, req)
        comment.deleted_at = sb.state.now()
        account.counts["comments_deleted"] += 1
    return _ok()


def comment_reply_delete(sb: Sandbox, req: Request) -> Response:
    with sb.state.lock:
        _, comment = _named_comment(sb, req)
        comment.reply = None
    return _ok()


def custom_send(sb: Sandbox, req: Request) -> Response:
    """A customer-service text message to a follower: only within 48 hours of the follower's last
    message to the account (45015), at most CUSTOM_REPLIES_PER_MESSAGE since it (45047)."""
    account = _authorise(sb, req)
    body = req.json()
    openid, msgtype = str(body.get("touser") or ""), body.get("msgtype")
    text = body.get("text") if isinstance(body.get("text"), dict) else {}
    content = str(text.get("content") or "")
    if not openid or msgtype != "text":
        raise ApiError(40097)
    if not content:
        raise ApiError(44004)
    if len(content.encode("utf-8")) > CUSTOM_TEXT_BYTES:
        raise ApiError(45002)
    with sb.state.lock:
        now = sb.state.now()
        talk = [m for m in sb.state.wechat_messages if m.appid == account.appid and m.openid == openid]
        last_in = max((m.at for m in talk if m.inbound), default=None)
        if last_in is None or now - last_in > CUSTOM_WINDOW:
            raise ApiError(45015)
        if sum(1 for m in talk if not m.inbound and m.at >= last_in) >= CUSTOM_REPLIES_PER_MESSAGE:
            raise ApiError(45047)
        sb.state.wechat_messages.append(WeChatMessage(account.appid, openid, content, now, False))
        account.counts["custom_messages"] += 1
    return _ok()


def _comment_switch(open_: int):
    def handler(sb: Sandbox, req: Request) -> Response:
        with sb.state.lock:
            _, item, _ = _comment_target(sb, req)
            item["need_open_comment"] = open_
        return _ok()

    handler.__name__ = "comment_open" if open_ else "comment_close"
    return handler


def seed_comment(sb: Sandbox, spec: dict) -> WeChatComment:
    """Control API: a reader comment on a published item (comments cannot arise any other way here)."""
    with sb.state.lock:
        find_item(sb, spec.get("appid"), int(spec["msg_data_id"]), int(spec.get("index", 0)))
        comment = WeChatComment(
            user_comment_id=sb.state.next_id("wechat_comment"),
            msg_data_id=int(spec["msg_data_id"]),
            index=int(spec.get("index", 0)),
            openid=str(spec.get("openid") or f"oSandboxReader{secrets.token_hex(7)}"),
            content=str(spec.get("content") or "写得好"),
            create_time=sb.state.now(),
            comment_type=int(spec.get("comment_type", 0)),
        )
        sb.state.wechat_comments[comment.user_comment_id] = comment
        return comment


def _post(path: str, handler) -> Route:
    return Route(("POST",), path, handler, "wechat")


ROUTES = [
    _post("/cgi-bin/stable_token", stable_token),
    Route(("GET",), "/cgi-bin/token", classic_token, "wechat"),
    _post("/cgi-bin/media/uploadimg", uploadimg),
    _post("/cgi-bin/material/add_material", add_material),
    _post("/cgi-bin/draft/add", draft_add),
    _post("/cgi-bin/draft/get", draft_get),
    _post("/cgi-bin/draft/update", draft_update),
    _post("/cgi-bin/draft/delete", draft_delete),
    _post("/cgi-bin/draft/batchget", draft_batchget),
    Route(("GET", "POST"), "/cgi-bin/draft/count", draft_count, "wechat"),
    _post("/cgi-bin/freepublish/submit", freepublish_submit),
    _post("/cgi-bin/freepublish/get", freepublish_get),
    _post("/cgi-bin/freepublish/delete", freepublish_delete),
    _post("/cgi-bin/freepublish/getarticle", freepublish_getarticle),
    _post("/cgi-bin/freepublish/batchget", freepublish_batchget),
    _post("/cgi-bin/comment/list", comment_list),
    _post("/cgi-bin/comment/reply/add", comment_reply),
    _post("/cgi-bin/comment/open", _comment_switch(1)),
    _post("/cgi-bin/comment/close", _comment_switch(0)),
    _post("/cgi-bin/comment/markelect", _comment_elect(True)),
    _post("/cgi-bin/comment/unmarkelect", _comment_elect(False)),
    _post("/cgi-bin/comment/delete", comment_delete),
    _post("/cgi-bin/comment/reply/delete", comment_reply_delete),
    _post("/cgi-bin/message/custom/send", custom_send),
]

METHOD_ERROR = 43002
