"""The Django-cache token store: values, and a lock that excludes, times out, expires and is
released only by its owner — on LocMemCache and, when a server is reachable, on Redis."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import redis
from django.core.cache import caches

from publishing.backends.tokens import DjangoCacheTokenStore, LockTimeout

REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.2).ping())
    except redis.RedisError:
        return False


@pytest.fixture(
    params=[
        "locmem",
        pytest.param("redis", marks=pytest.mark.skipif(not _redis_available(), reason="no Redis on 127.0.0.1:6379")),
    ]
)
def store(request, settings):
    if request.param == "redis":
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    else:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    store = DjangoCacheTokenStore(prefix=f"test-{uuid.uuid4().hex}:")
    yield store
    for key in ("token", "lock:token"):
        caches["default"].delete(store.prefix + key)


def test_values_round_trip_and_expire(store):
    store.set("token", {"access_token": "t", "expires_at": 1.5}, timeout=1)
    assert store.get("token") == {"access_token": "t", "expires_at": 1.5}
    time.sleep(1.1)
    assert store.get("token") is None
    store.set("token", "v", timeout=60)
    store.delete("token")
    assert store.get("token") is None


def test_lock_excludes_other_holders(store):
    inside, most = [0], [0]
    guard = threading.Lock()

    def work() -> None:
        with store.lock("token", timeout=5):
            with guard:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.02)
            with guard:
                inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1


def test_lock_wait_times_out(store):
    with store.lock("token", timeout=5):
        started = time.monotonic()
        with pytest.raises(LockTimeout), store.lock("token", timeout=0.2):
            pass
        assert 0.2 <= time.monotonic() - started < 1
    assert isinstance(LockTimeout(), TimeoutError)  # what the WeChat backend turns into TransientError


def test_abandoned_lock_expires(store):
    caches["default"].add(store.prefix + "lock:token", "a dead worker", 1)
    with store.lock("token", timeout=3):
        pass  # taken once the dead worker's lock expired


def test_lock_is_released_only_by_its_owner(store):
    cache = caches["default"]
    with store.lock("token", timeout=5):
        cache.set(store.prefix + "lock:token", "a later holder", 5)  # ours expired and was taken meanwhile
    assert cache.get(store.prefix + "lock:token") == "a later holder"
    with pytest.raises(LockTimeout), store.lock("token", timeout=0.2):
        pass  # still held by the later holder
