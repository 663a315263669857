"""A sandbox per test module, reset before every test; plus a local PUBLISHJOBFINISH receiver.

Nothing here touches the database: the sandbox is standalone and driven over real HTTP.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from sandbox.client import SandboxControl
from sandbox.server import SandboxServer
from tests.local_http import serving

from .helpers import WeChat, Weibo

WEIBO_UID = 5000000001
WEIBO_TOKEN = "sandbox-token-test"


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
def http(sandbox):
    with httpx.Client(base_url=sandbox.base_url, timeout=5, trust_env=False) as client:
        yield client


@pytest.fixture
def wechat(control, http):
    """A verified account whose jobs finish quickly."""
    control.wechat_account("wx0000000000000001", "secret-1", name="测试公众号", publish_delay=0.05)
    return WeChat(http, "wx0000000000000001", "secret-1")


@pytest.fixture
def weibo(control, http):
    control.weibo_account(WEIBO_UID, access_token=WEIBO_TOKEN, safe_domain="gov.example.cn", screen_name="测试发布")
    return Weibo(http, WEIBO_TOKEN)


class _Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        self.received: list[dict] = []
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/wechat/callback"


class _ReceiverHandler(BaseHTTPRequestHandler):
    server: _Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = urlsplit(self.path)
        self.server.received.append({"path": parts.path, "query": dict(parse_qsl(parts.query)), "body": body})
        self.send_response(200)
        self.send_header("Content-Length", "7")
        self.end_headers()
        self.wfile.write(b"success")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def receiver():
    """A tiny HTTP server recording what the sandbox POSTs to it."""
    with serving(_Receiver()) as server:
        yield server
