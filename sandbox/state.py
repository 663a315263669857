"""All sandbox state, in memory, behind one lock.

Handlers take `state.lock` around every read-modify-write and keep the work inside it small (dict
look-ups, appends), so hundreds of concurrent requests serialise only briefly. Ids come from
counters that survive `reset()`, so an id a client still holds from before a reset can never name
a new object.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from .protocol import IMAGE_TYPES

CST = timezone(timedelta(hours=8), "CST")  # both platforms live in Asia/Shanghai (UTC+8, no DST)


def local_time(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, CST)


# --- WeChat -------------------------------------------------------------------------------------


@dataclass
class WeChatAccount:
    """A fake Official Account; `verified=False` reproduces the July 2025 rule (no freepublish: 48001)."""

    appid: str
    secret: str
    name: str = ""
    verified: bool = True
    original_id: str = ""  # gh_... the ToUserName of events
    callback_url: str | None = None
    callback_token: str = "sandbox-token"
    token_ttl: float = 7200.0
    token_grace: float = 300.0  # an old token keeps working this long after a refresh ("old one lives ≤5 min")
    publish_delay: float = 0.5  # seconds a freepublish job stays at publish_status 1
    material_settle: float = 0.0  # a new permanent material is briefly unusable as a cover (40007)
    counts: Counter = field(default_factory=Counter)


@dataclass
class WeChatToken:
    value: str
    appid: str
    kind: str  # "stable" or "classic": the two endpoints' tokens are independent of each other
    issued_at: float
    expires_at: float
    grace: float
    superseded_at: float | None = None


@dataclass
class Image:
    """Bytes served back by the sandbox (WeChat body images and materials, Weibo pictures)."""

    image_id: str
    owner: str  # appid or uid
    kind: str  # uploadimg | image | thumb | weibo
    content_type: str
    data: bytes
    created_at: float
    media_id: str | None = None
    url: str = ""


@dataclass
class Draft:
    media_id: str
    appid: str
    articles: list[dict]
    created_at: float
    updated_at: float


@dataclass
class PublishJob:
    publish_id: int
    msg_data_id: int
    appid: str
    draft_media_id: str
    articles: list[dict]  # snapshot at submit time: later draft edits do not change what is published
    submitted_at: float
    final_status: int = 0  # what the job ends in; fault "publish_status" changes it
    callbacks: int = 1  # deliveries of PUBLISHJOBFINISH: 0 lost, 2 duplicated
    status: int = 1  # 1 publishing until the job finishes
    finished_at: float | None = None
    article_id: str | None = None
    fail_idx: list[int] = field(default_factory=list)


@dataclass
class Article:
    """A published freepublish job: items are 1-based (`idx`) as in article_detail."""

    article_id: str
    appid: str
    publish_id: int
    msg_data_id: int
    items: list[dict]
    published_at: float


@dataclass
class WeChatComment:
    user_comment_id: int
    msg_data_id: int
    index: int  # 0-based, as comment/list takes it
    openid: str
    content: str
    create_time: float
    comment_type: int = 0
    reply: dict | None = None
    elected: bool = False  # 精选: shown publicly (comment/markelect); unmarkelect hides it again
    deleted_at: float | None = None


@dataclass
class WeChatMessage:
    """A message between a follower and the account: `inbound` from the follower (seeded), else the
    account's customer-service message (`message/custom/send`)."""

    appid: str
    openid: str
    content: str
    at: float
    inbound: bool
    msg_type: str = "text"


# --- Weibo --------------------------------------------------------------------------------------


@dataclass
class WeiboAccount:
    """A fake Weibo user authorised for the app; posts must link to one of `safe_domains` (10017)."""

    uid: int
    screen_name: str
    safe_domains: tuple[str, ...] = ("localhost", "127.0.0.1")
    token_expires_in: int = 30 * 86400
    hourly_limit: int = 30  # historic per-user limits: 30 posts ...
    comment_hourly_limit: int = 60  # ... and 60 comments an hour
    duplicate_window: float = 86400.0  # identical text within this window answers 20019
    counts: Counter = field(default_factory=Counter)
    share_times: deque = field(default_factory=deque)
    comment_times: deque = field(default_factory=deque)
    recent_texts: dict[str, int] = field(default_factory=dict)  # text -> status id of its latest post


@dataclass
class WeiboToken:
    value: str
    uid: int
    issued_at: float
    expires_at: float
    client_id: str = ""


@dataclass
class WeiboStatus:
    id: int
    uid: int
    text: str
    created_at: float
    pic_id: str | None = None
    deleted_at: float | None = None
    comment_ids: list[int] = field(default_factory=list)
    visible_at: float = 0.0  # user_timeline shows the status from then on (later than created_at after 20032)


@dataclass
class WeiboComment:
    id: int
    status_id: int
    text: str
    created_at: float
    user_id: int
    user_name: str
    reply_to: int | None = None
    deleted_at: float | None = None


@dataclass
class WeiboCode:
    code: str
    uid: int
    client_id: str | None
    redirect_uri: str | None
    used: bool = False


@dataclass
class WeiboApp:
    client_id: str
    client_secret: str
    redirect_uri: str | None = None


# --- the store ----------------------------------------------------------------------------------


class SandboxState:
    """Everything both platforms hold, plus a movable clock and a short request log."""

    REQUEST_LOG = 300

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._ids = {name: itertools.count(start) for name, start in _ID_STARTS.items()}
        self.clock_offset = 0.0
        self.reset()

    def now(self) -> float:
        """Sandbox time: wall clock plus the offset set by `POST /_sandbox/clock` (expiry, rate windows)."""
        return time.time() + self.clock_offset

    def next_id(self, name: str) -> int:
        with self.lock:
            return next(self._ids[name])

    def reset(self) -> None:
        with self.lock:
            self.clock_offset = 0.0
            self.wechat_accounts: dict[str, WeChatAccount] = {}
            self.wechat_tokens: dict[str, WeChatToken] = {}
            self.wechat_current: dict[tuple[str, str], WeChatToken] = {}
            self.images: dict[str, Image] = {}
            self.materials: dict[str, Image] = {}  # media_id -> permanent material
            self.drafts: dict[str, Draft] = {}
            self.jobs: dict[int, PublishJob] = {}
            self.articles: dict[str, Article] = {}
            self.wechat_comments: dict[int, WeChatComment] = {}
            self.wechat_messages: list[WeChatMessage] = []
            self.callbacks: deque[dict] = deque(maxlen=1000)
            self.weibo_accounts: dict[int, WeiboAccount] = {}
            self.weibo_tokens: dict[str, WeiboToken] = {}
            self.weibo_codes: dict[str, WeiboCode] = {}
            self.weibo_apps: dict[str, WeiboApp] = {}
            self.statuses: dict[int, WeiboStatus] = {}
            self.timelines: dict[int, list[int]] = {}  # uid -> status ids, oldest first
            self.weibo_comments: dict[int, WeiboComment] = {}
            self.requests: deque[dict] = deque(maxlen=self.REQUEST_LOG)

    def store_image(self, owner: str, kind: str, fmt: str, data: bytes, url_prefix: str) -> Image:
        """Keep uploaded bytes so the sandbox can serve them back (`/mmbiz/<id>`, `/sinaimg/<id>`)."""
        with self.lock:
            image_id = f"{self.next_id('image'):06d}{secrets.token_hex(5)}"
            image = Image(
                image_id, owner, kind, IMAGE_TYPES[fmt], data, self.now(), url=f"{url_prefix}{image_id}.{fmt}"
            )
            self.images[image_id] = image
            return image

    def log_request(self, entry: dict) -> None:
        with self.lock:
            self.requests.append(entry)

    def snapshot(self) -> dict:
        """Counts and published items per account: what tests assert "published exactly once" on."""
        with self.lock:
            wechat = {}
            for appid, account in self.wechat_accounts.items():
                articles = [a for a in self.articles.values() if a.appid == appid]
                wechat[appid] = {
                    "name": account.name,
                    "verified": account.verified,
                    "counts": dict(account.counts),
                    "published": len(articles),
                    "jobs": [
                        {"publish_id": str(j.publish_id), "status": j.status, "article_id": j.article_id}
                        for j in self.jobs.values()
                        if j.appid == appid
                    ],
                    "articles": [
                        {
                            "article_id": a.article_id,
                            "publish_id": str(a.publish_id),
                            "msg_data_id": a.msg_data_id,
                            "titles": [item["title"] for item in a.items],
                            "deleted": [item["idx"] for item in a.items if item.get("deleted_at")],
                            "published_at": a.published_at,
                        }
                        for a in articles
                    ],
                }
            weibo = {}
            for uid, account in self.weibo_accounts.items():
                statuses = [self.statuses[sid] for sid in self.timelines.get(uid, [])]
                weibo[str(uid)] = {
                    "screen_name": account.screen_name,
                    "counts": dict(account.counts),
                    "shares": len(statuses),
                    "live": sum(1 for s in statuses if s.deleted_at is None),
                    "statuses": [
                        {
                            "id": s.id,
                            "text": s.text,
                            "created_at": s.created_at,
                            "deleted": s.deleted_at is not None,
                            "visible": s.visible_at <= self.now(),
                        }
                        for s in statuses
                    ],
                }
            return {"clock_offset": self.clock_offset, "wechat": wechat, "weibo": weibo}


# Ids look like the platforms' own: WeChat publish ids around 2.2e9, Weibo status ids of 16 digits.
_ID_STARTS = {
    "publish": 2247500001,
    "msg_data": 2247600001,
    "image": 1,
    "wechat_comment": 1,
    "wechat_msg": 24500000000000001,  # MsgId of users' messages: 64-bit, as on the platform
    "status": 5100000000000001,
    "weibo_comment": 5200000000000001,
}
