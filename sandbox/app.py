"""The sandbox application: routes a parsed request to a handler, applying any pending fault.

Transport-free (see `server.py` for HTTP) so the dispatch rules read in one place:

1. find the route by path, then by method (wrong method: WeChat 43002, Weibo 10021, else 405);
2. for platform routes, resolve the account (appid / uid) and take a matching response fault;
3. run the handler, rendering `ApiError` in the route's platform shape;
4. log platform requests for the index page and `GET /_sandbox/requests`.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from types import ModuleType

from . import control, pages, wechat, weibo
from .faults import RESPONSE_KINDS, Fault, FaultBook, platform_of
from .jobs import Scheduler
from .protocol import JSON, ApiError, BadBody, Request, Response, Route, json_response
from .state import SandboxState

log = logging.getLogger(__name__)

PLATFORMS: dict[str, ModuleType] = {"wechat": wechat, "weibo": weibo}

# What the platforms' front ends answer when the service behind them fails.
GATEWAY = {
    500: "<html><head><title>500 Internal Server Error</title></head><body><center><h1>500 Internal Server "
    "Error</h1></center><hr><center>nginx</center></body></html>",
    502: "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr>"
    "<center>nginx</center></body></html>",
}

# posted_but_error without a code: Weibo's own "posted, server slow"; WeChat's "system error".
POSTED_CODE = {"wechat": -1, "weibo": weibo.POSTED_SLOW}


def gateway_error(status: int) -> Response:
    return Response(status=status, body=GATEWAY[status].encode(), content_type="text/html")


def truncated(response: Response) -> Response:
    """The answer cut in half, with a Content-Length that matches the cut body."""
    body = response.body
    response.body = body[: len(body) // 2] if len(body) > 1 else b"{"
    return response


class Router:
    """Exact paths by dict look-up; `<name>` patterns by regex."""

    def __init__(self, routes: list[Route]) -> None:
        self._exact: dict[str, list[Route]] = {}
        self._patterns: list[tuple[re.Pattern, list[Route]]] = []
        for route in routes:
            if "<" in route.pattern:
                regex = re.compile("^" + re.sub(r"<(\w+)>", r"(?P<\1>[^/]+)", route.pattern) + "$")
                for existing, group in self._patterns:
                    if existing.pattern == regex.pattern:
                        group.append(route)
                        break
                else:
                    self._patterns.append((regex, [route]))
            else:
                self._exact.setdefault(route.pattern, []).append(route)

    def match(self, path: str) -> tuple[list[Route], dict[str, str]]:
        if path in self._exact:
            return self._exact[path], {}
        for regex, group in self._patterns:
            found = regex.match(path)
            if found:
                return group, found.groupdict()
        return [], {}


class Sandbox:
    """State, faults, the job scheduler and the router: everything but the socket."""

    def __init__(self, public_url: str = "") -> None:
        self.state = SandboxState()
        self.faults = FaultBook()
        self.jobs = Scheduler()
        self.public_url = public_url.rstrip("/")  # article URLs and Weibo picture URLs start with it
        self.stop_event = threading.Event()  # ends fault-injected waits at shutdown
        self.router = Router([*wechat.ROUTES, *weibo.ROUTES, *control.ROUTES, *pages.ROUTES])

    def reset(self) -> None:
        self.state.reset()
        self.faults.clear()

    def dispatch(self, req: Request) -> Response:
        routes, params = self.router.match(req.path)
        req.path_params = params
        route = next((r for r in routes if req.method in r.methods), None)
        if route is None:
            response = self._unrouted(req, routes)
        elif route.platform in PLATFORMS:
            started = time.time()
            req.account = PLATFORMS[route.platform].account_of(self, req)
            fault = self.faults.take(route.platform, req.path, req.account, RESPONSE_KINDS)
            response = self._faulty(fault, route, req) if fault else self._call(route, req)
            self.state.log_request(
                {
                    "at": started,
                    "method": req.method,
                    "path": req.path,
                    "account": req.account,
                    "status": "—" if response.drop else response.status,
                    "fault": fault.kind if fault else None,
                    "ms": round((time.time() - started) * 1000, 1),
                }
            )
        else:
            response = self._call(route, req)
        return response

    def _unrouted(self, req: Request, routes: list[Route]) -> Response:
        platform = routes[0].platform if routes else platform_of(req.path)
        module = PLATFORMS.get(platform or "")
        if module is None:
            if routes:
                return json_response({"error": "method not allowed"}, status=405, content_type=JSON)
            return pages.not_found(self, req)
        if routes:
            return module.error_response(req, module.METHOD_ERROR)
        if module is weibo:
            return weibo.error_response(req, 10020, status=404, message="Request api not found!")
        return wechat.error_response(req, -1, status=404, message="api not emulated by the sandbox")

    def _call(self, route: Route, req: Request) -> Response:
        module = PLATFORMS.get(route.platform or "")
        try:
            return route.handler(self, req)
        except ApiError as exc:
            if module is None:
                return self._bad(f"error {exc.code}: {exc.message or ''}")
            return module.error_response(req, exc.code, status=exc.status, message=exc.message)
        except BadBody as exc:
            if module is None:
                return self._bad(f"bad body: {exc}")
            return module.error_response(req, module.BAD_BODY)
        except (KeyError, ValueError, TypeError) as exc:
            if route.platform == "control":  # a control-API caller's mistake, not a sandbox bug
                return self._bad(f"{type(exc).__name__}: {exc}")
            log.exception("sandbox handler %s failed", req.path)
            return self._crash(module, req)
        except Exception:
            log.exception("sandbox handler %s failed", req.path)
            return self._crash(module, req)

    def _faulty(self, fault: Fault, route: Route, req: Request) -> Response:
        module = PLATFORMS[route.platform or ""]
        kind = fault.kind
        if kind in ("http_500", "http_502"):
            return gateway_error(int(kind[-3:]))
        if kind == "timeout":
            if self.stop_event.wait(fault.seconds) or fault.then != "answer":
                return Response(drop=True)
            return self._call(route, req)
        if kind == "truncated_json":
            return truncated(self._call(route, req))
        if kind == "error_code":
            return module.error_response(req, fault.code or 0, status=fault.status, message=fault.message)
        answer = self._call(route, req)  # posted_but_error: the action happens; its answer is then lost
        then = fault.then or "error_code"
        code = fault.code if fault.code is not None else POSTED_CODE[route.platform or ""]
        if req.path == weibo.SHARE_PATH and answer.status == 200:
            slow = then == "error_code" and code == weibo.POSTED_SLOW
            delay = fault.visible_after if fault.visible_after is not None else weibo.SLOW_VISIBLE_AFTER * slow
            if delay:
                weibo.delay_visibility(self, answer, delay)
        if then in ("http_500", "http_502"):
            return gateway_error(int(then[-3:]))
        if then == "timeout":
            self.stop_event.wait(fault.seconds)
            return Response(drop=True)
        if then == "truncated_json":
            return truncated(answer)
        return module.error_response(req, code, status=fault.status, message=fault.message)

    @staticmethod
    def _bad(message: str) -> Response:
        return json_response({"error": message}, status=400, content_type=JSON)

    @staticmethod
    def _crash(module: ModuleType | None, req: Request) -> Response:
        if module is weibo:
            return weibo.error_response(req, 10001, status=500)
        if module is wechat:
            return wechat.error_response(req, -1, status=500)
        return json_response({"error": "sandbox error"}, status=500, content_type=JSON)
