"""Where the current action comes from (client IP and User-Agent), carried in a contextvar.

The middleware sets it for every request and `source()` sets it for code outside requests
(management commands, Celery tasks acting for a known client), so services can call
`audit.ledger.record` without threading the request through every layer.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True, slots=True)
class Source:
    """The client an action is attributed to; both fields are None when unknown (system work)."""

    ip: str | None = None
    user_agent: str | None = None


_UNKNOWN = Source()
_current: ContextVar[Source] = ContextVar("audit_source", default=_UNKNOWN)


def current_source() -> Source:
    """The source set by the innermost active `source()` block or request; empty outside both."""
    return _current.get()


@contextmanager
def source(*, ip: str | None = None, user_agent: str | None = None) -> Iterator[Source]:
    """Attribute everything recorded inside the block to `ip` / `user_agent`.

    Blocks nest; leaving one restores the previous source even if the block raised.
    """
    value = Source(ip=ip, user_agent=user_agent)
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)


def request_source(request) -> Source:
    """The client address and User-Agent of a Django request.

    X-Forwarded-For is honoured only when `GOVCMS_TRUSTED_PROXY_COUNT` (default 0) says how many
    reverse proxies we run: each proxy appends the address it received the request from, so the
    client is the N-th entry from the right, and anything left of it may be forged by the client.
    Without trusted proxies the header is ignored entirely, as the client controls it.
    """
    meta = request.META
    ip = meta.get("REMOTE_ADDR") or None
    trusted = getattr(settings, "GOVCMS_TRUSTED_PROXY_COUNT", 0)
    if trusted > 0:
        hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if hops:
            # Fewer hops than proxies means the outermost proxy saw the client directly.
            ip = hops[-min(trusted, len(hops))]
    return Source(ip=ip, user_agent=meta.get("HTTP_USER_AGENT") or None)
