"""The WeChat Official Account backend (公众号): free publishing of one article per item.

Facts cited as "platforms.md" are from docs/platforms.md; the backend talks HTTP only (httpx)
and keeps nothing but its HTTP client and the shared `TokenStore` it is given.

Publishing an article (platforms.md, "WeChat Official Account"):

1. every body `<img>` not already on mmbiz.qpic.cn is uploaded through `media/uploadimg` and its
   `src` rewritten — the platform drops external images;
2. the cover becomes a permanent material (`material/add_material?type=image`) — a cover must be
   one, of the same account;
3. `draft/add`, then `freepublish/submit`, which only *accepts* the job: the result is
   "publishing" with a job id; `poll()` (`freepublish/get`) or the PUBLISHJOBFINISH callback
   (`verify_callback_signature`, `parse_publish_event`, `publish_result_from_event`) finish it.

Identifiers are opaque strings owned by this module:

- ``job_id`` = ``"<publish_id>:<msg_data_id>"`` — `freepublish/submit` is the only call that
  returns `msg_data_id`, which the comment calls need, so it travels with the job.
  `publish_id_of(job_id)` gives the publish_id a callback names.
- ``platform_post_id`` = ``"<article_id>:<msg_data_id>"`` — `article_id` for `freepublish/delete`,
  `msg_data_id` for `comment/list` and `comment/reply/add`. A bare article_id is accepted too
  (withdraw works; comments need the msg_data_id). Items are single-article drafts, so the
  comment index is always 0 and a withdrawal deletes index 0 ("all").

Error mapping (errcode of an HTTP 200 answer, else the transport failure):

================================================  ==========================================
40001 / 40014 / 42001 (token not accepted)        refresh the token once, retry the call once;
                                                  still refused → AuthError
48001, 40164, 40013, 40125, 40243                 ConfigurationError (never retried)
45166, 53503, 44003, 44004, 47001, 47003,         ContentError (back to the editor)
45002–45004, 45008, 45110, 40005, 40009, 88000
publish_status 2 / 3 / 4 / 6                      ContentError (code "publish_status:N")
publish_status 5 (deleted by user)                state "withdrawn" — published, then removed
45009, 45011, -1                                  TransientError (45011: retry_after 60)
-1 on freepublish/submit                          OutcomeUnknown (the job may have started)
40007 on draft/add (cover not usable yet)         retried in place (COVER_SETTLE_DELAYS), then
                                                  TransientError
timeout / 5xx / bad JSON on freepublish/submit    OutcomeUnknown
the same on any other call                        TransientError
connection refused / connect timeout              TransientError (nothing was sent)
any other errcode / HTTP status                   PlatformError (unclassified: a person looks)
================================================  ==========================================

Only `freepublish/submit` has a public effect; a lost answer on `draft/add` or an upload at
worst leaves an unused draft or material behind, so those are retried like reads.

Every HTTP call is summarised in `PublishResult.steps` (and, on failure, in the exception's
`steps` attribute): method and path, HTTP status, errcode, milliseconds — never the query string,
which carries the access_token, nor any request body, which for `stable_token` carries the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import logging
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import ParseError

import httpx
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from .base import (
    AuthError,
    ConfigurationError,
    ContentError,
    Credentials,
    HttpBackend,
    Image,
    OutcomeUnknown,
    PlatformError,
    PublishResult,
    TokenStore,
    TransientError,
    WechatArticle,
    WeiboStatus,
    body_excerpt,
    steps_on_failure,
)

logger = logging.getLogger(__name__)

TOKEN_PATH = "/cgi-bin/stable_token"
SUBMIT_PATH = "/cgi-bin/freepublish/submit"
DRAFT_ADD_PATH = "/cgi-bin/draft/add"

# platforms.md: "refresh ~5 minutes before expiry".
REFRESH_MARGIN = 300.0

# platforms.md: "on 40001 / 40014 / 42001 refresh once and retry once".
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
# platforms.md: "never retry 48001, 40164, 40013, 40125 (mark the account as misconfigured and
# tell its admin)"; 40243 (secret frozen) likewise needs the admin at the MP console.
CONFIG_ERRORS = frozenset({48001, 40164, 40013, 40125, 40243})
# platforms.md: 45166 invalid content, 53503 failed publish check, 44003/47001 bad body; the
# sandbox's content-rule codes (title/author/digest/content size, empty content, too many
# articles, image type/size) are the editor's to fix as well. 88000: comments are not open.
CONTENT_ERRORS = frozenset(
    {45166, 53503, 44003, 44004, 47001, 47003, 45002, 45003, 45004, 45008, 45110, 40005, 40009, 88000}
    | {88008, 45015, 45047}
)
# platforms.md: comment calls answer 88008 for a comment that does not exist (a delete of a deleted
# comment is done); `message/custom/send` 45015 past 48 hours since the user's last message,
# 45047 too many replies to one message. Both are refusals of this message: ContentError.
COMMENT_GONE = 88008
REPLY_WINDOW_CLOSED = 45015
# WeChat's comment moderation: a comment is shown publicly once "elected" (精选); un-electing it
# hides it again, which is what govcms calls "hide". `comment/delete` removes it.
MODERATION_PATHS = {"hide": "/cgi-bin/comment/unmarkelect", "delete": "/cgi-bin/comment/delete"}
# 45009 daily / 45011 per-minute quota, -1 "system busy": nothing was done.
TRANSIENT_ERRORS = frozenset({45009, 45011, -1})
SYSTEM_ERROR = -1
# What the two image uploads take (Pillow format names; bytes, strictly below for uploadimg).
BODY_IMAGE_FORMATS = frozenset({"JPEG", "PNG"})  # media/uploadimg: jpg/png "under 1 MB"
BODY_IMAGE_MAX_BYTES = 1024 * 1024
COVER_FORMATS = frozenset({"JPEG", "PNG", "GIF"})  # material/add_material type=image (bmp too)
COVER_MAX_BYTES = 10 * 1024 * 1024
MEDIA_NOT_READY = 40007  # platforms.md: the cover is unusable "briefly after upload"
ARTICLE_GONE = 53600  # freepublish/delete of an article_id the platform no longer knows

PUBLISH_STATUS = {
    0: "published",
    1: "publishing",
    2: "originality check failed",
    3: "general failure",
    4: "platform review rejected",
    5: "deleted by user",
    6: "banned",
}
FAILED_STATUSES = frozenset({2, 3, 4, 6})

_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_SRC = re.compile(r"""(\bsrc\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE)

COMMENT_PAGE = 49  # platforms.md: comment/list count < 50
CST = timezone(timedelta(hours=8), "CST")  # the platform's time zone (Asia/Shanghai, no DST)


def is_hosted(src: str) -> bool:
    """Whether an image URL is already on WeChat's CDN (mmbiz.qpic.cn and other *.qpic.cn hosts),
    i.e. kept by the platform as it is; anything else would be dropped."""
    host = (urlsplit(src).hostname or "").lower()
    return host == "qpic.cn" or host.endswith(".qpic.cn")


def job_id_for(publish_id: str, msg_data_id: Any = None) -> str:
    return f"{publish_id}:{msg_data_id}" if msg_data_id not in (None, "") else str(publish_id)


def publish_id_of(job_id: str) -> str:
    """The publish_id inside a job id (what a PUBLISHJOBFINISH event names)."""
    return job_id.partition(":")[0]


def _msg_data_id_of(job_id: str) -> str:
    return job_id.partition(":")[2]


def post_id_for(article_id: str, msg_data_id: Any = None) -> str:
    return f"{article_id}:{msg_data_id}" if msg_data_id not in (None, "") else article_id


def split_post_id(platform_post_id: str) -> tuple[str, int | None]:
    """(article_id, msg_data_id or None) from a platform_post_id of this backend."""
    head, sep, tail = platform_post_id.rpartition(":")
    if sep and tail.isdigit():
        return head, int(tail)
    return platform_post_id, None


class WechatBackend(HttpBackend):
    """One instance serves every Official Account: credentials come with each call.

    `token_store` is shared by all workers (see `tokens.DjangoCacheTokenStore`); `client` may be
    an httpx.Client to reuse (its own base URL is not used); `clock` is the wall clock used for
    token expiry (shared between processes, so not monotonic). `COVER_SETTLE_DELAYS` may be
    shortened per instance (tests).
    """

    platform = "wechat"
    display_name = "WeChat"
    # Waits before retrying draft/add when the new cover material is not usable yet (40007).
    COVER_SETTLE_DELAYS: tuple[float, ...] = (1.0, 2.0, 4.0)

    def __init__(
        self,
        base_url: str,
        token_store: TokenStore,
        *,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(base_url, timeout=timeout, client=client)
        self.tokens = token_store
        self.clock = clock
        # Token keys carry the API base: a token from the sandbox must never be sent to the platform.
        self._key_prefix = "wechat:" + hashlib.sha256(self.base_url.encode()).hexdigest()[:12] + ":"

    # --- Backend interface ------------------------------------------------------------------

    def publish(self, *, credentials: Credentials, item: WeiboStatus | WechatArticle) -> PublishResult:
        """Re-host body images, upload the cover, add a draft, submit it: "publishing" with a job id.

        Raises ValueError (before any HTTP call) when a body image that needs re-hosting has no
        bytes in `item.images` — the caller's contract, not a platform failure.
        """
        if not isinstance(item, WechatArticle):
            raise TypeError("WechatBackend publishes WechatArticle items")
        uploads = self._images_to_rehost(item)
        steps: list[dict] = []
        with steps_on_failure(steps):
            hosted = {
                src: self._upload(credentials, steps, "/cgi-bin/media/uploadimg", image)["url"]
                for src, image in uploads.items()
            }
            content = self._rewrite_images(item.content_html, hosted)
            cover = self._upload(credentials, steps, "/cgi-bin/material/add_material", item.cover, type="image")
            article = {
                "title": item.title,
                "author": item.author,
                "digest": item.digest,
                "content": content,
                "content_source_url": item.content_source_url,
                "thumb_media_id": self._field(cover, "media_id", "/cgi-bin/material/add_material"),
                "need_open_comment": int(item.need_open_comment),
                "only_fans_can_comment": 0,
            }
            draft = self._add_draft(credentials, steps, article)
            submitted = self._call(credentials, steps, SUBMIT_PATH, json_body={"media_id": draft}, effect=True)
            publish_id = str(self._field(submitted, "publish_id", SUBMIT_PATH, effect=True))
            return PublishResult(
                state="publishing",
                job_id=job_id_for(publish_id, submitted.get("msg_data_id")),
                raw=submitted,
                steps=steps,
            )

    def poll(self, *, credentials: Credentials, job_id: str) -> PublishResult:
        """`freepublish/get`: "publishing" (status 1), "published" (0, with the first item's
        article_url), "withdrawn" (5: published, then deleted outside govcms — not the editor's
        fault, so not a ContentError); 2/3/4/6 raise ContentError."""
        steps: list[dict] = []
        with steps_on_failure(steps):
            answer = self._call(
                credentials, steps, "/cgi-bin/freepublish/get", json_body={"publish_id": publish_id_of(job_id)}
            )
            items = (answer.get("article_detail") or {}).get("item") or []
            return _result_from_status(
                job_id=job_id,
                status=self._field(answer, "publish_status", "/cgi-bin/freepublish/get"),
                article_id=str(answer.get("article_id") or ""),
                article_url=str(items[0].get("article_url") or "") if items else "",
                fail_idx=answer.get("fail_idx") or [],
                raw=answer,
                steps=steps,
            )

    def find(self, *, credentials: Credentials, item: WeiboStatus | WechatArticle) -> PublishResult | None:
        """Always OutcomeUnknown: WeChat cannot be searched for an article by its content.

        With a job id the pipeline polls instead. Without one (the submit answer was lost) the
        job may still be running or may have failed, and only successful jobs appear in the
        published list, whose content the platform has rewritten (images re-hosted, scripts
        stripped) — absence proves nothing and a title match could be an older article. A person
        checks the MP console.
        """
        raise OutcomeUnknown(
            "WeChat has no lookup of a published article by content: check the account's 发表记录 in the MP console",
            platform_code="no_lookup",
        )

    def withdraw(self, *, credentials: Credentials, platform_post_id: str) -> dict:
        """`freepublish/delete` with index 0 (every item of the article).

        Idempotent: deleting a deleted article answers ok; 53600 (article_id unknown, e.g. deleted
        in the MP console and purged) counts as already gone — the id always comes from `poll()`.
        """
        article_id, _ = split_post_id(platform_post_id)
        steps: list[dict] = []
        with steps_on_failure(steps):
            try:
                answer = self._call(
                    credentials,
                    steps,
                    "/cgi-bin/freepublish/delete",
                    json_body={"article_id": article_id, "index": 0},
                )
            except PlatformError as exc:
                if exc.platform_code != ARTICLE_GONE:
                    raise
                return {"withdrawn": True, "already_gone": True, "raw": exc.raw, "steps": steps}
            return {"withdrawn": True, "already_gone": False, "raw": answer, "steps": steps}

    def fetch_interactions(self, *, credentials: Credentials, platform_post_id: str, since_id: str = "") -> list[dict]:
        """All comments (`comment/list`, type 0, pages of 49) with a user_comment_id above
        `since_id`, oldest first: {id, author (openid), author_id, text, created_at (aware
        datetime, UTC+8, or None), reply (the account's answer or None), raw}."""
        msg_data_id = self._msg_data_id(platform_post_id)
        after = int(since_id) if since_id else 0
        comments: list[dict] = []
        steps: list[dict] = []
        with steps_on_failure(steps):
            begin = 0
            while True:
                answer = self._call(
                    credentials,
                    steps,
                    "/cgi-bin/comment/list",
                    json_body={
                        "msg_data_id": msg_data_id,
                        "index": 0,
                        "begin": begin,
                        "count": COMMENT_PAGE,
                        "type": 0,
                    },
                )
                page = answer.get("comment") or []
                comments.extend(page)
                begin += len(page)
                if not page or begin >= int(answer.get("total") or 0):
                    break
        found = [
            {
                "id": str(c["user_comment_id"]),
                "author": c.get("openid", ""),
                "author_id": c.get("openid", ""),
                "text": c.get("content", ""),
                "created_at": _from_epoch(c.get("create_time")),
                "reply": c.get("reply"),
                "raw": c,
            }
            for c in comments
            if int(c["user_comment_id"]) > after
        ]
        return sorted(found, key=lambda c: (c["raw"].get("create_time") or 0, int(c["id"])))

    def reply(self, *, credentials: Credentials, platform_post_id: str, comment_id: str, text: str) -> dict:
        """`comment/reply/add`: the account's public answer to one comment. A comment holds one
        reply, which a second call replaces (as the sandbox emulates; the documentation is silent),
        so a lost answer is retried like a read. WeChat gives the reply no id of its own."""
        msg_data_id = self._msg_data_id(platform_post_id)
        steps: list[dict] = []
        with steps_on_failure(steps):
            answer = self._call(
                credentials,
                steps,
                "/cgi-bin/comment/reply/add",
                json_body={"msg_data_id": msg_data_id, "index": 0, "user_comment_id": int(comment_id), "content": text},
            )
        return {"id": "", "reply_to": str(comment_id), "text": text, "raw": answer, "steps": steps}

    moderation_actions = frozenset(MODERATION_PATHS)
    reply_replaces = True  # a second comment/reply/add replaces the first

    def moderate(self, *, credentials: Credentials, platform_post_id: str, comment_id: str, action: str) -> dict:
        """`comment/unmarkelect` (hide: no longer shown as 精选) or `comment/delete`. Both are
        repeatable, so a lost answer is retried like a read; 88008 on delete means already gone."""
        msg_data_id = self._msg_data_id(platform_post_id)
        path = MODERATION_PATHS[action]
        steps: list[dict] = []
        body = {"msg_data_id": msg_data_id, "index": 0, "user_comment_id": int(comment_id)}
        with steps_on_failure(steps):
            try:
                answer = self._call(credentials, steps, path, json_body=body)
            except ContentError as exc:
                if not (action == "delete" and exc.platform_code == COMMENT_GONE):
                    raise
                return {"action": action, "already_gone": True, "raw": exc.raw, "steps": steps}
        return {"action": action, "already_gone": False, "raw": answer, "steps": steps}

    def send_message(self, *, credentials: Credentials, recipient: str, text: str) -> dict:
        """`message/custom/send` (msgtype text) to the follower `recipient` (openid). It reaches the
        user, so a lost answer is OutcomeUnknown (there is no way to look it up); 45015 past the
        48-hour window is a ContentError with that code."""
        steps: list[dict] = []
        body = {"touser": recipient, "msgtype": "text", "text": {"content": text}}
        with steps_on_failure(steps):
            answer = self._call(credentials, steps, "/cgi-bin/message/custom/send", json_body=body, effect=True)
        return {"id": "", "raw": answer, "steps": steps}

    # --- publishing steps -------------------------------------------------------------------

    @staticmethod
    def _images_to_rehost(item: WechatArticle) -> dict[str, Image]:
        """src (as written in the HTML) → bytes, for each distinct body image not on mmbiz."""
        wanted: dict[str, Image] = {}
        for tag in _IMG.finditer(item.content_html):
            match = _SRC.search(tag.group(0))
            if not match:
                continue
            raw_src = next(g for g in match.groups()[1:] if g is not None)
            src = html.unescape(raw_src)
            if is_hosted(src) or raw_src in wanted:
                continue
            image = item.images.get(src) or item.images.get(raw_src)
            if image is None:
                raise ValueError(f"body image {src!r} is not on mmbiz and has no bytes in WechatArticle.images")
            wanted[raw_src] = image
        return wanted

    @staticmethod
    def _rewrite_images(content: str, hosted: dict[str, str]) -> str:
        def rewrite_tag(tag: re.Match) -> str:
            def rewrite_src(match: re.Match) -> str:
                raw_src = next(g for g in match.groups()[1:] if g is not None)
                if raw_src not in hosted:
                    return match.group(0)
                return f'{match.group(1)}"{html.escape(hosted[raw_src], quote=True)}"'

            return _SRC.sub(rewrite_src, tag.group(0), count=1)

        return _IMG.sub(rewrite_tag, content)

    def _upload(self, credentials: Credentials, steps: list[dict], path: str, image: Image, **params) -> dict:
        files = {"media": (image.filename, image.content, image.content_type)}
        return self._call(credentials, steps, path, params=params, files=files)

    def _add_draft(self, credentials: Credentials, steps: list[dict], article: dict) -> str:
        """draft/add; a 40007 right after the cover upload means "not usable yet": wait and retry."""
        delays = iter(self.COVER_SETTLE_DELAYS)
        while True:
            try:
                answer = self._call(credentials, steps, DRAFT_ADD_PATH, json_body={"articles": [article]})
                return str(self._field(answer, "media_id", DRAFT_ADD_PATH))
            except PlatformError as exc:
                if exc.platform_code != MEDIA_NOT_READY:
                    raise
                delay = next(delays, None)
                if delay is None:
                    raise TransientError(
                        "the new cover material is still not usable (40007)", platform_code=MEDIA_NOT_READY, raw=exc.raw
                    ) from None
                time.sleep(delay)

    def _msg_data_id(self, platform_post_id: str) -> int:
        _, msg_data_id = split_post_id(platform_post_id)
        if msg_data_id is None:
            raise ValueError("comments need a platform_post_id of the form '<article_id>:<msg_data_id>'")
        return msg_data_id

    # --- tokens -----------------------------------------------------------------------------

    def _access_token(self, credentials: Credentials, steps: list[dict], *, stale: str | None = None) -> str:
        """The AppID's token from the shared store, fetched under its lock when missing, due for
        refresh, or equal to `stale` (a token the platform just refused)."""
        key = self._key_prefix + credentials.appid
        entry = self.tokens.get(key)
        if self._usable(entry, stale):
            return entry["access_token"]
        try:
            with self.tokens.lock(key + ":lock", timeout=2 * self.timeout + 5):
                # Double-checked: another worker may have refreshed it while this one waited.
                entry = self.tokens.get(key)
                if self._usable(entry, stale):
                    return entry["access_token"]
                entry = self._fetch_token(credentials, steps, force=stale is not None)
                self.tokens.set(key, entry, entry["refresh_at"] - self.clock())
                return entry["access_token"]
        except TimeoutError:
            raise TransientError("another worker holds the token lock", platform_code="token_lock") from None

    def _usable(self, entry: Any, stale: str | None) -> bool:
        return (
            isinstance(entry, dict)
            and entry.get("access_token") != stale
            and float(entry.get("refresh_at", 0)) > self.clock()
        )

    def _fetch_token(self, credentials: Credentials, steps: list[dict], *, force: bool) -> dict:
        """POST stable_token. platforms.md: "repeated calls return the same token with the remaining
        lifetime" — so a token within REFRESH_MARGIN of expiry comes back unchanged, and only
        force_refresh (which rotates it; the old one lives ≤ 5 min) yields a fresh one. Forcing is
        itself rate-limited (45009/45011), hence only then."""
        body: dict[str, Any] = {
            "grant_type": "client_credential",
            "appid": credentials.appid,
            "secret": credentials.secret,
        }
        if force:
            body["force_refresh"] = True
        # The AppID is an identifier, not a secret; the secret and the token are never logged.
        logger.info("fetching a WeChat access token for AppID %s (forced: %s)", credentials.appid, force)
        answer = self._send("POST", TOKEN_PATH, steps, json_body=body)
        self._raise_for_errcode(answer, TOKEN_PATH)
        token = self._field(answer, "access_token", TOKEN_PATH)
        try:
            expires_in = float(answer.get("expires_in"))
        except (TypeError, ValueError):
            raise PlatformError("stable_token answered without expires_in", platform_code="bad_answer") from None
        if not force and expires_in <= REFRESH_MARGIN:
            return self._fetch_token(credentials, steps, force=True)
        now = self.clock()
        # A short-lived token (a test account) is refreshed half-way instead of never being cached.
        margin = min(REFRESH_MARGIN, expires_in / 2)
        return {"access_token": token, "expires_at": now + expires_in, "refresh_at": now + expires_in - margin}

    # --- HTTP -------------------------------------------------------------------------------

    def _call(
        self,
        credentials: Credentials,
        steps: list[dict],
        path: str,
        *,
        params: dict | None = None,
        json_body: dict | None = None,
        files: dict | None = None,
        effect: bool = False,
    ) -> dict:
        """One authenticated call; a refused token is refreshed and the call retried once.

        `effect`: the call has a public effect, so a lost answer is OutcomeUnknown, not transient.
        An errcode answer means the call did nothing, so the retry after a token error is safe.
        """
        token = self._access_token(credentials, steps)
        answer = self._send(
            "POST", path, steps, token=token, params=params, json_body=json_body, files=files, effect=effect
        )
        if _errcode(answer) in TOKEN_ERRORS:
            token = self._access_token(credentials, steps, stale=token)
            answer = self._send(
                "POST", path, steps, token=token, params=params, json_body=json_body, files=files, effect=effect
            )
            if _errcode(answer) in TOKEN_ERRORS:
                raise AuthError(
                    "the access_token was refused again right after a refresh: another service may be rotating "
                    "this AppID's token (classic /cgi-bin/token)",
                    platform_code=_errcode(answer),
                    raw=answer,
                )
        self._raise_for_errcode(answer, path, effect=effect)
        return answer

    def _send(
        self,
        method: str,
        path: str,
        steps: list[dict],
        *,
        token: str | None = None,
        params: dict | None = None,
        json_body: dict | None = None,
        files: dict | None = None,
        effect: bool = False,
    ) -> dict:
        """Send one request and return its JSON object, errcode or not; transport failures raise."""
        query = dict(params or {})
        if token is not None:
            query["access_token"] = token
        content, headers = None, {}
        if json_body is not None:
            # Raw UTF-8, not \\u escapes: WeChat stores escaped text literally in drafts.
            content = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
        response, step = self._request(
            method, path, steps, effect=effect, params=query, content=content, files=files, headers=headers
        )
        if response.status_code >= 500:
            raise self._lost(
                f"WeChat answered HTTP {response.status_code}", response.status_code, body_excerpt(response), effect
            )
        try:
            answer = json.loads(response.content)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            step["error"] = "bad_json"
            if response.status_code == 200:
                raise self._lost("WeChat's answer is not a JSON object", "bad_json", body_excerpt(response), effect)
            if response.status_code == 429:
                raise TransientError("WeChat answered HTTP 429", platform_code=429, raw=body_excerpt(response))
            raise PlatformError(f"WeChat answered HTTP {response.status_code}", platform_code=response.status_code)
        step["errcode"] = _errcode(answer)
        return answer

    def _raise_for_errcode(self, answer: dict, path: str, *, effect: bool = False) -> None:
        code = _errcode(answer)
        if code == 0:
            return
        message = str(answer.get("errmsg") or "")  # keeps the "rid: ..." WeChat support asks for
        if code in CONFIG_ERRORS:
            raise ConfigurationError(message, platform_code=code, raw=answer)
        if code in CONTENT_ERRORS:
            raise ContentError(message, platform_code=code, raw=answer)
        if code == SYSTEM_ERROR and effect:
            raise OutcomeUnknown(f"{message} (on {path}: the platform may have acted)", platform_code=code, raw=answer)
        if code in TRANSIENT_ERRORS:
            retry_after = 60.0 if code == 45011 else None  # 45011's own message: "retry next minute"
            raise TransientError(message, platform_code=code, raw=answer, retry_after=retry_after)
        raise PlatformError(message, platform_code=code, raw=answer)

    def _field(self, answer: dict, name: str, path: str, *, effect: bool = False) -> Any:
        if answer.get(name) in (None, ""):
            raise self._lost(f"{path} answered without {name}", "bad_answer", answer, effect)
        return answer[name]


# --- results and the PUBLISHJOBFINISH callback ------------------------------------------------


def _result_from_status(
    *,
    job_id: str,
    status: Any,
    article_id: str,
    article_url: str,
    fail_idx: list,
    raw: Any,
    steps: list[dict] | None = None,
) -> PublishResult:
    try:
        status = int(status)
    except (TypeError, ValueError):
        raise PlatformError(f"unexpected publish_status {status!r}", platform_code="bad_answer", raw=raw) from None
    steps = steps if steps is not None else []
    label = PUBLISH_STATUS.get(status, "unknown")
    if status == 1:
        return PublishResult(state="publishing", job_id=job_id, raw=raw, steps=steps)
    if status in (0, 5):
        post_id = post_id_for(article_id, _msg_data_id_of(job_id))
        state = "published" if status == 0 else "withdrawn"
        return PublishResult(
            state=state, platform_post_id=post_id, url=article_url, job_id=job_id, raw=raw, steps=steps
        )
    if status in FAILED_STATUSES:
        failed = ", ".join(str(i) for i in fail_idx) or "-"
        raise ContentError(
            f"publish job failed: publish_status {status} ({label}); fail_idx {failed}",
            platform_code=f"publish_status:{status}",
            raw=raw,
        )
    raise PlatformError(f"unexpected publish_status {status}", platform_code=f"publish_status:{status}", raw=raw)


def publish_result_from_event(event: dict, job_id: str) -> PublishResult:
    """The result a verified PUBLISHJOBFINISH event (see `parse_publish_event`) reports for
    `job_id` — the same mapping as `poll()`. Events may arrive twice or never (platforms.md), so
    the pipeline applies this idempotently and keeps polling jobs that hear nothing."""
    if event["publish_id"] != publish_id_of(job_id):
        raise ValueError("the event is about another publish job")
    return _result_from_status(
        job_id=job_id,
        status=event["publish_status"],
        article_id=event["article_id"],
        article_url=event["article_url"],
        fail_idx=event["fail_idx"],
        raw=event,
    )


def verify_callback_signature(token: str, timestamp: str, nonce: str, signature: str) -> bool:
    """platforms.md: signature = sha1 of the sorted token, timestamp and nonce, concatenated.

    Constant-time comparison. Freshness of `timestamp` is not checked: a replayed event changes
    nothing, because events are applied idempotently and confirmed by polling.
    """
    # SHA-1 is WeChat's choice for this signature, not ours.
    expected = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode("utf-8")).hexdigest()  # noqa: S324
    return hmac.compare_digest(expected.encode("ascii"), (signature or "").strip().lower().encode("utf-8"))


def _event_root(xml_bytes: bytes):
    """The root of a plain-text callback body; ValueError for malformed XML, DTD entities
    (defusedxml) or an AES-encrypted body (`<Encrypt>`: configure the plain-text mode)."""
    try:
        root = SafeET.fromstring(xml_bytes)
    except (ParseError, DefusedXmlException) as exc:
        raise ValueError(f"not a well-formed, entity-free XML event: {exc}") from exc
    if root.find("Encrypt") is not None:
        raise ValueError("encrypted (AES) events are not supported: use the plain-text callback mode")
    return root


def callback_kind(xml_bytes: bytes) -> str:
    """What a callback body is: "publish" (PUBLISHJOBFINISH), "message" (a user's text, image or
    voice message, or the subscribe event), or "other" (events the product does not use, e.g.
    unsubscribe or menu clicks: answered `success` and dropped). ValueError as `_event_root`."""
    root = _event_root(xml_bytes)
    msg_type = (root.findtext("MsgType") or "").strip()
    event = (root.findtext("Event") or "").strip()
    if msg_type == "event" and event == "PUBLISHJOBFINISH":
        return "publish"
    if msg_type in USER_MESSAGE_TYPES or (msg_type == "event" and event == "subscribe"):
        return "message"
    return "other"


# User message types the inbox takes (platforms.md); voice is kept as a placeholder text.
USER_MESSAGE_TYPES = ("text", "image", "voice")


def parse_user_message(xml_bytes: bytes) -> dict:
    """A user's message or subscribe event → {msg_type ("text"/"image"/"voice"/"subscribe"),
    dedup_key ("m:<MsgId>", or "e:<openid>:<CreateTime>" for an event, as platforms.md says),
    openid, to_user, created_at (aware, UTC+8), content (text; "" for image/voice/subscribe),
    pic_url, media_id}. ValueError for a malformed body or one without sender or id."""
    root = _event_root(xml_bytes)
    msg_type = (root.findtext("MsgType") or "").strip()
    event = (root.findtext("Event") or "").strip()
    openid = (root.findtext("FromUserName") or "").strip()
    create_time = (root.findtext("CreateTime") or "").strip()
    created_at = _from_epoch(create_time)
    if not openid or created_at is None:
        raise ValueError("a user message needs FromUserName and a numeric CreateTime")
    if msg_type == "event":
        if event != "subscribe":
            raise ValueError(f"not a user message: event {event!r}")
        kind, dedup_key = "subscribe", f"e:{openid}:{create_time}"
    elif msg_type in USER_MESSAGE_TYPES:
        msg_id = (root.findtext("MsgId") or "").strip()
        if not msg_id.isdigit():
            raise ValueError("a user message needs a numeric MsgId")
        kind, dedup_key = msg_type, f"m:{msg_id}"
    else:
        raise ValueError(f"not a user message: MsgType {msg_type!r}")
    return {
        "msg_type": kind,
        "dedup_key": dedup_key,
        "openid": openid,
        "to_user": (root.findtext("ToUserName") or "").strip(),
        "created_at": created_at,
        "content": (root.findtext("Content") or "") if kind == "text" else "",
        "pic_url": (root.findtext("PicUrl") or "").strip(),
        "media_id": (root.findtext("MediaId") or "").strip(),
    }


def parse_publish_event(xml_bytes: bytes) -> dict:
    """A plain-text PUBLISHJOBFINISH event → {publish_id, publish_status, article_id, article_url
    (item 1), items [{idx, article_url}], fail_idx, to_user, create_time}.

    Raises ValueError for anything else: malformed XML, DTD entities (defusedxml), another event,
    or an AES-encrypted body (`<Encrypt>`; configure the account's callback in plain-text mode).
    """
    root = _event_root(xml_bytes)
    if (root.findtext("MsgType") or "").strip() != "event" or (
        root.findtext("Event") or ""
    ).strip() != "PUBLISHJOBFINISH":
        raise ValueError("not a PUBLISHJOBFINISH event")
    info = root.find("PublishEventInfo")
    publish_id = (info.findtext("publish_id") or "").strip() if info is not None else ""
    if not publish_id:
        raise ValueError("PUBLISHJOBFINISH without publish_id")
    try:
        status = int((info.findtext("publish_status") or "").strip())
        items = [
            {
                "idx": int((item.findtext("idx") or "").strip()),
                "article_url": (item.findtext("article_url") or "").strip(),
            }
            for item in info.iterfind("article_detail/item")
        ]
        fail_idx = [int((node.text or "").strip()) for node in info.iterfind("fail_idx")]
        create_time = int((root.findtext("CreateTime") or "0").strip())
    except ValueError as exc:
        raise ValueError(f"malformed PUBLISHJOBFINISH event: {exc}") from None
    first = next((item["article_url"] for item in sorted(items, key=lambda i: i["idx"])), "")
    return {
        "publish_id": publish_id,
        "publish_status": status,
        "article_id": (info.findtext("article_id") or "").strip(),
        "article_url": first,
        "items": items,
        "fail_idx": fail_idx,
        "to_user": (root.findtext("ToUserName") or "").strip(),
        "create_time": create_time,
    }


# --- helpers ----------------------------------------------------------------------------------


def _errcode(answer: dict) -> int:
    """Success bodies often have no errcode at all (platforms.md)."""
    try:
        return int(answer.get("errcode") or 0)
    except (TypeError, ValueError):
        return -1


def _from_epoch(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), CST)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
