"""The Weibo backend: `statuses/share` is the only general write endpoint (platforms.md).

Facts cited as "platforms.md" are from docs/platforms.md. The access token travels in the
``Authorization: OAuth2 <token>`` header, never in a URL, so it cannot end up in an access log,
a request summary or an exception.

Error mapping (Weibo errors are a non-200 status with ``{"request", "error_code", "error"}``):

=================================================  =======================================================
21327 expired, 21332 invalid, 21301 auth failed,   AuthError — there is no refresh token: the account's
21314–21317 / 21319 token used/expired/revoked     admin must authorise again (platforms.md)
20017 / 20019 repeated text / content              DuplicateContent (a ContentError; after an unknown
                                                   outcome it means our earlier share landed)
10017 no safe-domain link, 20012 too long,         ContentError (back to the editor)
20016 out of limit,
20005 / 20006 picture type/size, 20018 / 20020 /
20021 illegal site/advert/content, 20101 / 20201
post/comment gone (outside destroy)
10014 insufficient app permissions                 ConfigurationError
10022 / 10023 / 10024 rate limits                  TransientError, retry_after = the limit's reset from
                                                   `account/rate_limit_status` (3600 s if that fails)
20032 "posted, server slow"                        OutcomeUnknown, look_after = SLOW_POST_LOOKS (the
                                                   status shows in the timeline 1–2 minutes later)
timeout / 5xx / unreadable JSON on share or reply  OutcomeUnknown — no idempotency key exists
the same on reads and destroy                      TransientError (destroy is idempotent, see below)
connection refused / connect timeout               TransientError (nothing was sent)
any other code                                     PlatformError (unclassified: a person looks)
=================================================  =======================================================

Codes beyond platforms.md (21301, 21314–21319, 20005/20006, 20018/20020/20021, 10014, 20201)
are from Weibo's published error-code table and the sandbox.

After OutcomeUnknown the pipeline calls `find()` before any retry — never a blind second share.
After 20032 Weibo says to wait 1–2 minutes, so the pipeline looks after `SLOW_POST_LOOKS`, or
`find()` would not see the post yet. A share repeated after `find()` showed it absent is safe
(`refuses_duplicates`): should the first one land after all, the repeat is refused with 20019.
"""

from __future__ import annotations

import html
import json
import logging
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from .base import (
    AuthError,
    ConfigurationError,
    ContentError,
    Credentials,
    DuplicateContent,
    HttpBackend,
    OutcomeUnknown,
    PlatformError,
    PublishResult,
    TransientError,
    WechatArticle,
    WeiboStatus,
    body_excerpt,
    steps_on_failure,
)

logger = logging.getLogger(__name__)

SHARE_PATH = "/2/statuses/share.json"
DESTROY_PATH = "/2/statuses/destroy.json"
TIMELINE_PATH = "/2/statuses/user_timeline.json"
COMMENTS_PATH = "/2/comments/show.json"
REPLY_PATH = "/2/comments/reply.json"
RATE_LIMIT_PATH = "/2/account/rate_limit_status.json"

AUTH_ERRORS = frozenset({21301, 21314, 21315, 21316, 21317, 21319, 21327, 21332})
DUPLICATE_ERRORS = frozenset({20017, 20019})
CONTENT_ERRORS = frozenset({10017, 20012, 20016, 20005, 20006, 20018, 20020, 20021, 20101, 20201})
CONFIG_ERRORS = frozenset({10014})
RATE_LIMITS = frozenset({10022, 10023, 10024})
POSTED_SLOW = 20032
NOT_EXIST = 20101  # destroy of a post that is already gone
COMMENT_NOT_EXIST = 20201  # comments/destroy of a comment that is already gone
COMMENT_DESTROY_PATH = "/2/comments/destroy.json"

# Seconds after a 20032 answer at which to look for the status: "please wait 1-2 minutes", then
# once more with margin before anything else is decided.
SLOW_POST_LOOKS = (120.0, 300.0)
# platforms.md: historic limits are per hour ("30 posts and 60 comments an hour").
DEFAULT_RETRY_AFTER = 3600.0
# platforms.md: user_timeline "returns at most 5 newest".
TIMELINE_LIMIT = 5
COMMENT_PAGE = 200
WEB_URL = "https://weibo.com"
# Hosts of the platform's own link shortener, which may replace links in the text it shows.
SHORT_LINK_HOSTS = frozenset({"t.cn", "sinaurl.cn"})

_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, start=1)}


class WeiboBackend(HttpBackend):
    """One instance serves every Weibo account: the token (`Credentials.access_token`) and uid
    come with each call. `client` may be an httpx.Client to reuse (its base URL is not used)."""

    platform = "weibo"
    display_name = "Weibo"
    lost_hint = "it may have been posted; reconcile with find() before retrying"
    refuses_duplicates = True  # 20017 / 20019 within the duplicate window

    # --- Backend interface ------------------------------------------------------------------

    def publish(self, *, credentials: Credentials, item: WeiboStatus | WechatArticle) -> PublishResult:
        """One `statuses/share` (form; multipart when there is a picture) with `rip`: final at once.

        `item.text` must already carry the safe-domain link (10017 otherwise). The url is
        ``https://weibo.com/<uid>/<mid or idstr>``.
        """
        if not isinstance(item, WeiboStatus):
            raise TypeError("WeiboBackend publishes WeiboStatus items")
        data = {"status": item.text, "rip": item.real_ip}
        files = None
        if item.image is not None:
            files = {"pic": (item.image.filename, item.image.content, item.image.content_type)}
        steps: list[dict] = []
        with steps_on_failure(steps):
            answer = self._send("POST", SHARE_PATH, credentials, steps, data=data, files=files, effect=True)
            if not isinstance(answer, dict) or not (answer.get("idstr") or answer.get("id")):
                raise OutcomeUnknown("share answered without a status id", platform_code="bad_answer", raw=answer)
            return _published(answer, credentials, steps)

    def poll(self, *, credentials: Credentials, job_id: str) -> PublishResult:
        """Weibo shares are final when answered; there is never a job to poll."""
        raise NotImplementedError("Weibo publishes synchronously: there is no job to poll")

    def find(self, *, credentials: Credentials, item: WeiboStatus | WechatArticle) -> PublishResult | None:
        """Reconcile an unknown share against `user_timeline`: the newest live post whose text is
        the item's, else None.

        Only the 5 newest posts are visible (platforms.md), so None means "not among the 5 newest"
        — reconcile promptly, before the account posts more. Should a post have been pushed out
        anyway, a re-share of the same text is refused with 20019 within the duplicate window.
        The shown text may have links replaced by short links (t.cn); see `same_text`.
        """
        if not isinstance(item, WeiboStatus):
            raise TypeError("WeiboBackend finds WeiboStatus items")
        steps: list[dict] = []
        with steps_on_failure(steps):
            answer = self._send("GET", TIMELINE_PATH, credentials, steps, params={"count": TIMELINE_LIMIT})
            for status in (answer or {}).get("statuses") or []:
                if same_text(str(status.get("text") or ""), item.text):
                    return _published(status, credentials, steps)
        return None

    def withdraw(self, *, credentials: Credentials, platform_post_id: str) -> dict:
        """`statuses/destroy`; 20101 "does not exist" means already withdrawn — success."""
        steps: list[dict] = []
        with steps_on_failure(steps):
            try:
                answer = self._send("POST", DESTROY_PATH, credentials, steps, data={"id": platform_post_id})
            except ContentError as exc:
                if exc.platform_code != NOT_EXIST:
                    raise
                return {"withdrawn": True, "already_gone": True, "raw": exc.raw, "steps": steps}
        return {"withdrawn": True, "already_gone": False, "raw": answer, "steps": steps}

    def fetch_interactions(self, *, credentials: Credentials, platform_post_id: str, since_id: str = "") -> list[dict]:
        """`comments/show` pages (200 each) of comments newer than `since_id`, oldest first:
        {id, author (screen name), author_id, text, created_at (aware datetime or None),
        reply_to (the comment answered, if any), raw}."""
        comments: list[dict] = []
        steps: list[dict] = []
        with steps_on_failure(steps):
            page = 1
            while True:
                params = {"id": platform_post_id, "count": COMMENT_PAGE, "page": page}
                if since_id:
                    params["since_id"] = since_id
                answer = self._send("GET", COMMENTS_PATH, credentials, steps, params=params) or {}
                batch = answer.get("comments") or []
                comments.extend(batch)
                if len(batch) < COMMENT_PAGE or len(comments) >= int(answer.get("total_number") or 0):
                    break
                page += 1
        found = [_interaction(c) for c in comments]
        return sorted(found, key=lambda c: int(c["id"]))

    def reply(
        self, *, credentials: Credentials, platform_post_id: str, comment_id: str, text: str, real_ip: str = ""
    ) -> dict:
        """`comments/reply` (≤ 140 weighted characters). Each call adds a public comment, so a lost
        answer is OutcomeUnknown: check `fetch_interactions` before replying again. `real_ip` is
        sent as `rip` when given."""
        data = {"cid": comment_id, "id": platform_post_id, "comment": text}
        if real_ip:
            data["rip"] = real_ip
        steps: list[dict] = []
        with steps_on_failure(steps):
            answer = self._send("POST", REPLY_PATH, credentials, steps, data=data, effect=True) or {}
        return {
            "id": str(answer.get("idstr") or answer.get("id") or ""),
            "reply_to": str(comment_id),
            "text": answer.get("text", text),
            "raw": answer,
            "steps": steps,
        }

    # Weibo has no way to hide one comment through the open API; only the post's owner deletes.
    moderation_actions = frozenset({"delete"})

    def find_reply(self, *, credentials: Credentials, platform_post_id: str, comment_id: str, text: str) -> dict | None:
        """The account's comment answering `comment_id` with `text` (`comments/show` since the
        comment: a reply is newer), or None when the platform shows none."""
        for comment in self.fetch_interactions(
            credentials=credentials, platform_post_id=platform_post_id, since_id=str(comment_id)
        ):
            if (
                comment["reply_to"] == str(comment_id)
                and comment["author_id"] == str(credentials.uid)
                and same_text(comment["text"], text)
            ):
                return {"id": comment["id"], "reply_to": str(comment_id), "text": comment["text"], "raw": comment}
        return None

    def moderate(self, *, credentials: Credentials, platform_post_id: str, comment_id: str, action: str) -> dict:
        """`comments/destroy` (cid): idempotent, 20201 "does not exist" counts as deleted."""
        if action not in self.moderation_actions:
            return super().moderate(
                credentials=credentials, platform_post_id=platform_post_id, comment_id=comment_id, action=action
            )
        steps: list[dict] = []
        with steps_on_failure(steps):
            try:
                answer = self._send("POST", COMMENT_DESTROY_PATH, credentials, steps, data={"cid": comment_id})
            except ContentError as exc:
                if exc.platform_code != COMMENT_NOT_EXIST:
                    raise
                return {"action": action, "already_gone": True, "raw": exc.raw, "steps": steps}
        return {"action": action, "already_gone": False, "raw": answer, "steps": steps}

    # --- HTTP -------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        credentials: Credentials,
        steps: list[dict],
        *,
        params: dict | None = None,
        data: dict | None = None,
        files: dict | None = None,
        effect: bool = False,
    ) -> Any:
        """One request; its JSON answer, or the mapped error. `effect`: the call creates something
        public, so a lost answer is OutcomeUnknown rather than transient."""
        response, step = self._request(
            method,
            path,
            steps,
            effect=effect,
            params=params,
            data=data,
            files=files,
            headers={"Authorization": f"OAuth2 {credentials.access_token}"},
        )
        try:
            answer = json.loads(response.content)
        except ValueError:
            answer = None
        error_code = _error_code(answer)
        if error_code is not None:
            step["error_code"] = error_code
        if response.status_code >= 500:
            # 10001 "system error" and gateway pages alike: the service may have acted.
            raw = answer if answer is not None else body_excerpt(response)
            raise self._lost(
                f"Weibo answered HTTP {response.status_code}", error_code or response.status_code, raw, effect
            )
        if error_code is not None:
            raise self._error(error_code, answer, path, credentials, steps)
        if response.status_code != 200:
            raise PlatformError(f"Weibo answered HTTP {response.status_code}", platform_code=response.status_code)
        if answer is None:
            step["error"] = "bad_json"
            raise self._lost("Weibo's answer is not JSON", "bad_json", body_excerpt(response), effect)
        return answer

    def _error(self, code: int, answer: dict, path: str, credentials: Credentials, steps: list[dict]) -> PlatformError:
        message = str(answer.get("error") or "")
        if code in AUTH_ERRORS:
            return AuthError(
                f"{message}: the account's admin must authorise govcms again", platform_code=code, raw=answer
            )
        if code in DUPLICATE_ERRORS:
            return DuplicateContent(message, platform_code=code, raw=answer)
        if code in CONTENT_ERRORS:
            return ContentError(message, platform_code=code, raw=answer)
        if code in CONFIG_ERRORS:
            return ConfigurationError(message, platform_code=code, raw=answer)
        if code in RATE_LIMITS:
            retry_after = DEFAULT_RETRY_AFTER if path == RATE_LIMIT_PATH else self._reset_in(credentials, steps)
            logger.info("Weibo rate limit %s for uid %s (%s): wait %.0f s", code, credentials.uid, path, retry_after)
            return TransientError(message, platform_code=code, raw=answer, retry_after=retry_after)
        if code == POSTED_SLOW:
            return OutcomeUnknown(
                f"{message} (posted, server slow: reconcile after 1–2 minutes)",
                platform_code=code,
                raw=answer,
                look_after=SLOW_POST_LOOKS,
            )
        return PlatformError(message, platform_code=code, raw=answer)

    def _reset_in(self, credentials: Credentials, steps: list[dict]) -> float:
        """Seconds until the account's rate-limit window resets, from `account/rate_limit_status`
        (one cheap GET); the hour window when that call fails or says nothing usable."""
        try:
            answer = self._send("GET", RATE_LIMIT_PATH, credentials, steps)
            seconds = float(answer["reset_time_in_seconds"])
        except (PlatformError, KeyError, TypeError, ValueError):
            return DEFAULT_RETRY_AFTER
        return seconds if seconds > 0 else DEFAULT_RETRY_AFTER


# --- helpers ----------------------------------------------------------------------------------


def same_text(shown: str, sent: str) -> bool:
    """Whether a timeline text is the text that was shared.

    Compared after unescaping HTML entities and collapsing whitespace; the links must sit in the
    same places, and each shown link must equal the sent one or be a platform short link (the
    platform may shorten links in the text it shows). Text differing only in a shortened link is
    therefore taken as the same post.
    """
    shown = html.unescape(shown)
    shown_parts, sent_parts = _URL.split(shown), _URL.split(sent)
    if [" ".join(p.split()) for p in shown_parts] != [" ".join(p.split()) for p in sent_parts]:
        return False
    return all(
        a == b or (urlsplit(a).hostname or "").lower() in SHORT_LINK_HOSTS
        for a, b in zip(_URL.findall(shown), _URL.findall(sent), strict=True)
    )


def parse_created_at(value: str) -> datetime | None:
    """Weibo's "Sat Nov 28 20:15:03 +0800 2026" as an aware datetime, independent of the locale
    (strptime's %a/%b follow LC_TIME); None when it is not in that shape."""
    try:
        _, month, day, clock, offset, year = value.split()
        return datetime.strptime(f"{year}-{_MONTHS[month]:02d}-{day} {clock} {offset}", "%Y-%m-%d %H:%M:%S %z")
    except (AttributeError, KeyError, ValueError):
        return None


def _published(status: dict, credentials: Credentials, steps: list[dict]) -> PublishResult:
    idstr = str(status.get("idstr") or status.get("id"))
    uid = str((status.get("user") or {}).get("idstr") or credentials.uid)
    mid = str(status.get("mid") or idstr)
    return PublishResult(
        state="published", platform_post_id=idstr, url=f"{WEB_URL}/{uid}/{mid}", raw=status, steps=steps
    )


def _interaction(comment: dict) -> dict:
    user = comment.get("user") or {}
    replied = comment.get("reply_comment") or {}
    return {
        "id": str(comment.get("idstr") or comment.get("id")),
        "author": user.get("screen_name", ""),
        "author_id": str(user.get("idstr") or user.get("id") or ""),
        "text": comment.get("text", ""),
        "created_at": parse_created_at(str(comment.get("created_at") or "")),
        "reply_to": str(replied.get("idstr") or replied.get("id") or "") or None,
        "raw": comment,
    }


def _error_code(answer: Any) -> int | None:
    if not isinstance(answer, dict) or answer.get("error_code") in (None, ""):
        return None
    try:
        return int(answer["error_code"])
    except (TypeError, ValueError):
        return None
