"""Backends by platform name, built from Django settings.

`get_backend("wechat")` / `get_backend("weibo")` return a backend pointed at
`GOVCMS_WECHAT_API_BASE` / `GOVCMS_WEIBO_API_BASE` with `GOVCMS_PLATFORM_TIMEOUT` seconds (default
10) on every call; WeChat tokens live in the Django cache (`tokens.DjangoCacheTokenStore`).

Backends are reused — each holds an httpx connection pool — and keyed on what they are built
from (base URL, timeout) and the process id: changed settings (tests override them) get a new
backend, and a forked worker never shares its parent's connections.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from django.conf import settings

from .base import Backend
from .tokens import DjangoCacheTokenStore
from .wechat import WechatBackend
from .weibo import WeiboBackend

_BUILDERS: dict[str, tuple[str, Callable[[str, float], Backend]]] = {
    "wechat": (
        "GOVCMS_WECHAT_API_BASE",
        lambda base, timeout: WechatBackend(base, DjangoCacheTokenStore(), timeout=timeout),
    ),
    "weibo": ("GOVCMS_WEIBO_API_BASE", lambda base, timeout: WeiboBackend(base, timeout=timeout)),
}
PLATFORMS = tuple(_BUILDERS)

_backends: dict[tuple, Backend] = {}
_lock = threading.Lock()


def get_backend(platform: str) -> Backend:
    """The backend of `platform` ("wechat" or "weibo"); ValueError for any other name."""
    try:
        setting, build = _BUILDERS[platform]
    except KeyError:
        raise ValueError(f"unknown platform {platform!r}; expected one of {', '.join(PLATFORMS)}") from None
    base_url = str(getattr(settings, setting))
    timeout = float(getattr(settings, "GOVCMS_PLATFORM_TIMEOUT", 10))
    key = (platform, base_url, timeout, os.getpid())
    with _lock:
        backend = _backends.get(key)
        if backend is None:
            backend = _backends[key] = build(base_url, timeout)
        return backend
