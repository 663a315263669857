"""The shared token store of the platform backends, on Django's cache.

platforms.md: WeChat tokens are cached centrally — one per AppID, shared by all workers, behind a
lock. This module is the only place the backends meet Django: `wechat.py` depends on the
`TokenStore` protocol of `base.py` alone, and the registry hands it a `DjangoCacheTokenStore`.

The lock is built on `cache.add` (atomic "set if absent" on every shared Django cache: Redis
`SET NX`, Memcached `add`, the database cache's insert) plus polling, and released only by its
owner. Django 5.2's built-in `RedisCache` exposes no lock of its own (only its private client
does), so one portable implementation serves LocMemCache in tests and development (per process)
and Redis in CI and production (shared by every worker).
"""

from __future__ import annotations

import secrets
import time
from contextlib import contextmanager
from typing import Any

from django.core.cache import caches

POLL_INTERVAL = 0.05  # seconds between attempts to take a held lock


class LockTimeout(TimeoutError):
    """The lock stayed held by someone else for the whole wait."""


class DjangoCacheTokenStore:
    """A `TokenStore` on the Django cache `alias`; every key is namespaced under `prefix`.

    The cache is looked up on each use (not kept), so tests that override CACHES see their own.
    """

    def __init__(self, alias: str = "default", prefix: str = "govcms:platform-token:") -> None:
        self.alias = alias
        self.prefix = prefix

    @property
    def cache(self):
        return caches[self.alias]

    def get(self, key: str) -> Any:
        return self.cache.get(self.prefix + key)

    def set(self, key: str, value: Any, timeout: float) -> None:
        # Django's cache takes whole seconds; never 0, which some backends read as "do not store".
        self.cache.set(self.prefix + key, value, max(int(timeout), 1))

    def delete(self, key: str) -> None:
        self.cache.delete(self.prefix + key)

    @contextmanager
    def lock(self, key: str, timeout: float):
        """Hold the lock `key` for the block: wait up to `timeout` seconds to take it (else raise
        `LockTimeout`); it also expires after `timeout` seconds, so a worker that dies holding it
        cannot block the others for longer than that."""
        cache = self.cache
        name = f"{self.prefix}lock:{key}"
        owner = secrets.token_hex(16)
        ttl = max(int(timeout + 0.999), 1)
        deadline = time.monotonic() + timeout
        while not cache.add(name, owner, ttl):
            if time.monotonic() >= deadline:
                raise LockTimeout(f"lock {key!r} still held after {timeout:g} s")
            time.sleep(POLL_INTERVAL)
        try:
            yield
        finally:
            # Release only our own lock: if it expired and another worker took it meanwhile, that
            # worker's lock stays. (Get-then-delete is not atomic; the gap only matters after the
            # holder overran the expiry, when mutual exclusion was already lost.)
            if cache.get(name) == owner:
                cache.delete(name)
