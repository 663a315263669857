"""Backends against the platform sandbox over real HTTP: one sandbox per module, reset per test.

The backends need no database; the WeChat token store is the Django cache (settings only), under
a prefix of its own per test so no token outlives the sandbox reset that invalidates it.
"""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from publishing.backends.base import Credentials
from publishing.backends.tokens import DjangoCacheTokenStore
from publishing.backends.wechat import WechatBackend
from publishing.backends.weibo import WeiboBackend
from sandbox.client import SandboxControl
from sandbox.server import SandboxServer
from tests.sandbox.conftest import receiver  # noqa: F401 -- the same callback receiver fixture

APPID, SECRET = "wx00000000000000a1", "secret-a1"
WEIBO_UID, WEIBO_TOKEN = 5000000101, "2.00sandbox-backend-token"
SAFE_DOMAIN = "gov.example.cn"
LINK = "https://www.gov.example.cn/p/1"
TIMEOUT = 1.0  # the backends' HTTP timeout in these tests; timeout faults wait longer

JPG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(256)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(256)


def wait_for(predicate, timeout: float = 5.0, interval: float = 0.02):
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def platform_calls(control: SandboxControl, path: str) -> int:
    """How many requests the sandbox received on `path` (its log keeps the last 300)."""
    return sum(1 for r in control.requests() if r["path"] == path)


@pytest.fixture(scope="module")
def sandbox():
    server = SandboxServer().start()
    yield server
    server.stop()


@pytest.fixture
def control(sandbox):
    control = SandboxControl(sandbox.base_url)
    control.reset()
    yield control
    control.close()


@pytest.fixture
def http():
    with httpx.Client(trust_env=False) as client:
        yield client


@pytest.fixture
def token_store():
    return DjangoCacheTokenStore(prefix=f"test-{uuid.uuid4().hex}:")


@pytest.fixture
def wechat_creds(control) -> Credentials:
    """A verified account whose publish jobs finish quickly."""
    control.wechat_account(APPID, SECRET, name="测试公众号", publish_delay=0.05)
    return Credentials(appid=APPID, secret=SECRET)


@pytest.fixture
def wechat(sandbox, token_store, http):
    return WechatBackend(sandbox.base_url, token_store, timeout=TIMEOUT, client=http)


@pytest.fixture
def weibo_creds(control) -> Credentials:
    control.weibo_account(WEIBO_UID, access_token=WEIBO_TOKEN, safe_domain=SAFE_DOMAIN, screen_name="测试发布")
    return Credentials(access_token=WEIBO_TOKEN, uid=str(WEIBO_UID))


@pytest.fixture
def weibo(sandbox, http):
    return WeiboBackend(sandbox.base_url, timeout=TIMEOUT, client=http)
