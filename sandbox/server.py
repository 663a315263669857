"""The HTTP front of the sandbox: a threading server, one thread per connection, HTTP/1.1 keep-alive.

Usage: ``server = SandboxServer(port=0).start()`` (port 0 picks a free port), point
GOVCMS_WECHAT_API_BASE and GOVCMS_WEIBO_API_BASE at ``server.base_url``, and ``server.stop()`` at
the end (or use it as a context manager).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from .app import Sandbox
from .protocol import Request
from .state import SandboxState

log = logging.getLogger(__name__)

MAX_BODY = 32 * 1024 * 1024  # above WeChat's 10 MB material limit, so limit errors come from the emulator


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a Celery worker's client reuses its connections
    server_version = "govcms-sandbox/1.0"
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without TCP_NODELAY, Nagle plus the client's delayed
        # ACK add ~40 ms to every keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def _read_body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return None if length > MAX_BODY else self.rfile.read(length)

    def _handle(self) -> None:
        body = self._read_body()
        if body is None:
            self.send_error(413)
            return
        parts = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )
        response = self.server.sandbox.dispatch(request)
        if response.drop:
            self.close_connection = True  # hang up: the client sees a timeout or a dropped connection
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    def handle(self) -> None:
        # The client may go away first (it timed out, or a fault dropped the line): nothing to answer then.
        with contextlib.suppress(ConnectionError, TimeoutError):
            super().handle()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's signature
        if self.server.verbose:
            super().log_message(format, *args)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # idle keep-alive connections must not hold up shutdown
    request_queue_size = 1024  # the default backlog of 5 refuses connections under 50 parallel clients
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sandbox: Sandbox, verbose: bool) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.sandbox = sandbox
        self.verbose = verbose
        super().__init__(address, _Handler)


class SandboxServer:
    """The sandbox on a socket; `start()` serves from a background thread, `stop()` shuts it down.

    `public_url` is the base put into article and picture URLs (default: `base_url`, with
    127.0.0.1 standing in for a 0.0.0.0 / :: bind address).
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, public_url: str | None = None, verbose: bool = False
    ) -> None:
        self.host, self.port = host, port
        self.sandbox = Sandbox()
        self._public_url = public_url
        self._verbose = verbose
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host  # noqa: S104 - a name, not a bind
        return f"http://{host}:{self.port}"

    @property
    def state(self) -> SandboxState:
        """The in-memory store, for in-process assertions (prefer `GET /_sandbox/state` over HTTP)."""
        return self.sandbox.state

    def start(self) -> SandboxServer:
        """Bind (port 0 picks a free port) and serve in a daemon thread; one start per instance."""
        self._httpd = _HTTPServer((self.host, self.port), self.sandbox, self._verbose)
        self.port = self._httpd.server_address[1]
        self.sandbox.public_url = (self._public_url or self.base_url).rstrip("/")
        self.sandbox.stop_event.clear()
        self.sandbox.jobs.start()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="sandbox-http", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, end fault-injected waits, drop pending jobs; idempotent."""
        if self._httpd is None:
            return
        self.sandbox.stop_event.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self.sandbox.jobs.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
