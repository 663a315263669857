"""The platform backend interface: what the publishing pipeline asks of WeChat and Weibo.

Backends talk HTTP (httpx, a timeout on every call) and never touch the database; what they
need from outside — credentials, a shared token store, image bytes — is passed in. Every
failure is one of the error classes below, so the pipeline decides retry / stop / reconcile
from the class alone and shows the person the platform's own code and message.
"""

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

logger = logging.getLogger(__name__)


class PlatformError(Exception):
    """Base of every backend failure. `platform_code` is the platform's errcode/error_code (or an
    HTTP status / "timeout" / "bad_json"), `raw` the response body as far as it was readable."""

    retryable = False

    def __init__(self, message: str, *, platform_code: str | int | None = None, raw: Any = None):
        super().__init__(message)
        self.message = message
        self.platform_code = platform_code
        self.raw = raw
        self.steps: list[dict] = []  # summaries of the HTTP calls made before the failure

    def __str__(self) -> str:
        return f"[{self.platform_code}] {self.message}" if self.platform_code is not None else self.message


class TransientError(PlatformError):
    """Nothing was done and trying again later may work (network error before sending, 45009-style
    quota, rate limit). `retry_after` (seconds) when the platform says how long to wait."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class AuthError(PlatformError):
    """The token is not accepted and could not be renewed here (Weibo 21327: an admin must
    re-authorise). WeChat token expiry is handled inside the backend (refresh once, retry once)."""


class ConfigurationError(PlatformError):
    """The account cannot publish as configured (48001 unverified, 40164 IP not whitelisted, 40013
    bad AppID, 40125 bad secret): never retried; the account's admin is told."""


class ContentError(PlatformError):
    """The platform refused this content (45166, 53503, publish_status 2/3/4, 20019 duplicate,
    10017 no safe-domain link, 20012 too long): back to the editor with the platform's message."""


class DuplicateContent(ContentError):
    """The platform refused the item as a repeat of one it already holds (Weibo 20017 / 20019).
    After an earlier call of ours whose outcome was unknown, it means that call landed."""


class OutcomeUnknown(PlatformError):
    """The request may or may not have taken effect (timeout, 5xx, truncated response, Weibo
    20032): never blindly retried; reconciled first, or handed to a person.

    `look_after`: seconds after the call at which `find()` may first see the item, when the
    platform says it appears only later (Weibo 20032); empty: look at once."""

    def __init__(self, message: str, *, look_after: tuple[float, ...] = (), **kwargs):
        super().__init__(message, **kwargs)
        self.look_after = look_after


@dataclass(frozen=True)
class Credentials:
    """What the account's credential record holds (decrypted), per platform."""

    appid: str = ""
    secret: str = ""
    access_token: str = ""
    uid: str = ""


@dataclass(frozen=True)
class Image:
    filename: str
    content: bytes
    content_type: str = "image/jpeg"


@dataclass(frozen=True)
class WeiboStatus:
    """One share: `text` already contains the safe-domain link."""

    text: str
    image: Image | None = None
    real_ip: str = "127.0.0.1"


@dataclass(frozen=True)
class WechatArticle:
    """One article. `content_html` is the sanitised body whose <img src> are to be re-hosted;
    `images` maps each such src to its bytes (already-hosted mmbiz/qpic images need none)."""

    title: str
    author: str
    digest: str
    content_html: str
    cover: Image
    content_source_url: str = ""
    need_open_comment: bool = True
    images: dict[str, Image] = field(default_factory=dict)


@dataclass
class PublishResult:
    """`state` is "published" (final, with id and url), "publishing" (accepted; poll `job_id`) or
    "withdrawn" (published, then deleted on the platform). A bare PlatformError (an unmapped
    code) means: stop and show it to a person."""

    state: str
    platform_post_id: str = ""
    url: str = ""
    job_id: str = ""
    raw: Any = None
    steps: list[dict] = field(default_factory=list)  # request summaries of each HTTP call made


class TokenStore(Protocol):
    """A cache shared by all workers (one token per AppID) with a lock around refreshes."""

    def get(self, key: str) -> Any: ...
    def set(self, key: str, value: Any, timeout: float) -> None: ...
    def delete(self, key: str) -> None: ...
    def lock(self, key: str, timeout: float): ...  # a context manager


class Backend(ABC):
    """One platform. Implementations are stateless apart from their HTTP client and token store.

    `refuses_duplicates`: publishing the same item again within the platform's window is refused
    with DuplicateContent instead of publishing it twice, so after `find()` showed an item absent
    it is safe to publish it again (a late landing of the first call turns the second into a
    refusal, never a second post)."""

    platform: str = ""
    refuses_duplicates: bool = False

    @abstractmethod
    def publish(self, *, credentials: Credentials, item: WeiboStatus | WechatArticle) -> PublishResult:
        """Publish one item. WeChat answers "publishing" with a job id; Weibo "published"."""

    @abstractmethod
    def poll(self, *, credentials: Credentials, job_id: str) -> PublishResult:
        """The state of an accepted publish job ("publishing" while the platform still works)."""

    @abstractmethod
    def find(self, *, credentials: Credentials, item: WeiboStatus | WechatArticle) -> PublishResult | None:
        """Reconcile after an unknown outcome: the published item if the platform shows it, None if
        it can be shown absent; raise OutcomeUnknown when the platform cannot tell."""

    @abstractmethod
    def withdraw(self, *, credentials: Credentials, platform_post_id: str) -> dict:
        """Remove a published item (撤回). Idempotent: an already-removed item is success."""

    @abstractmethod
    def fetch_interactions(self, *, credentials: Credentials, platform_post_id: str, since_id: str = "") -> list[dict]:
        """Public comments on a published item, oldest first: [{id, author, text, created_at}]."""

    @abstractmethod
    def reply(self, *, credentials: Credentials, platform_post_id: str, comment_id: str, text: str) -> dict:
        """Answer one comment publicly; returns the platform's reply object."""

    # Moderation actions the platform offers on a comment ("hide", "delete"); none by default.
    moderation_actions: frozenset[str] = frozenset()
    # Whether `reply` may be repeated without a second public reply (WeChat replaces a comment's
    # reply); otherwise a lost answer is an unknown outcome, settled by `find_reply`.
    reply_replaces = False

    def find_reply(self, *, credentials: Credentials, platform_post_id: str, comment_id: str, text: str) -> dict | None:
        """Reconcile a reply whose answer was lost: the account's reply to `comment_id` if the
        platform shows it, None if it can be shown absent; OutcomeUnknown when it cannot tell."""
        raise OutcomeUnknown(f"{self.platform} cannot look a reply up", platform_code="no_lookup")

    def moderate(self, *, credentials: Credentials, platform_post_id: str, comment_id: str, action: str) -> dict:
        """Hide or delete one comment (`moderation_actions`). Idempotent: a comment already gone
        counts as deleted."""
        raise ConfigurationError(f"{self.platform} offers no {action} of comments", platform_code="unsupported")

    def send_message(self, *, credentials: Credentials, recipient: str, text: str) -> dict:
        """A private text message to a follower (WeChat's customer-service message)."""
        raise ConfigurationError(f"{self.platform} offers no private messages", platform_code="unsupported")


# --- the HTTP transport both platforms share ------------------------------------------------------


class HttpBackend(Backend):
    """A backend over HTTP: the client, the request summaries (`steps`) and the mapping of transport
    failures, the same for every platform. Subclasses read the answer (errcode bodies, error JSON)
    in their own `_send`, which calls `_request`.

    `display_name` names the platform in messages; `lost_hint` says what to do after a call with a
    public effect whose answer was lost. `client` may be an httpx.Client to reuse (its own base URL
    is not used)."""

    display_name: str = ""
    lost_hint: str = "the platform may have acted; reconcile before retrying"

    def __init__(self, base_url: str, *, timeout: float = 10.0, client: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._owns_client = client is None
        self.client = client or httpx.Client(timeout=timeout)

    def close(self) -> None:
        if self._owns_client:
            self.client.close()

    def _request(self, method: str, path: str, steps: list[dict], *, effect: bool, **kwargs) -> tuple[Any, dict]:
        """Send one request (`kwargs` go to httpx: params, content, data, files, headers) and return
        the response with its summary, already appended to `steps` (call, HTTP status, ms).

        A connection that never opened is TransientError (nothing was sent); any other transport
        failure is `_lost` (OutcomeUnknown when `effect`). The httpx exception is never chained:
        the request it holds carries the token (WeChat's query string, Weibo's header)."""
        step: dict[str, Any] = {"call": f"{method} {path}"}
        steps.append(step)
        started = time.monotonic()
        try:
            response = self.client.request(method, self.base_url + path, timeout=self.timeout, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            step.update(error=type(exc).__name__, ms=elapsed_ms(started))
            # The path only: WeChat's query string carries the access token.
            logger.info("%s %s %s: not sent (%s)", self.display_name, method, path, type(exc).__name__)
            raise TransientError(
                f"could not reach {self.display_name} ({type(exc).__name__})", platform_code="connect"
            ) from None
        except httpx.HTTPError as exc:
            step.update(error=type(exc).__name__, ms=elapsed_ms(started))
            code = "timeout" if isinstance(exc, httpx.TimeoutException) else "transport"
            logger.info(
                "%s %s %s: no answer (%s)%s",
                self.display_name,
                method,
                path,
                type(exc).__name__,
                ", outcome unknown" if effect else "",
            )
            raise self._lost(f"no answer from {self.display_name} ({type(exc).__name__})", code, None, effect) from None
        step.update(http_status=response.status_code, ms=elapsed_ms(started))
        return response, step

    def _lost(self, message: str, code: Any, raw: Any, effect: bool) -> PlatformError:
        """A call whose answer is missing or unreadable: unknown outcome if it had a public effect."""
        if effect:
            return OutcomeUnknown(f"{message}: {self.lost_hint}", platform_code=code, raw=raw)
        return TransientError(message, platform_code=code, raw=raw)


@contextmanager
def steps_on_failure(steps: list[dict]) -> Iterator[None]:
    """Attach the call summaries made so far to a failure, for the pipeline's attempt record."""
    try:
        yield
    except PlatformError as exc:
        exc.steps = steps
        raise


def body_excerpt(response: httpx.Response) -> str:
    """The start of an unreadable answer, kept as the error's `raw`."""
    return response.text[:2000]


def elapsed_ms(started: float) -> float:
    """Milliseconds since `started` (a time.monotonic() reading), as the request summaries show them."""
    return round((time.monotonic() - started) * 1000, 1)
