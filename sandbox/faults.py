"""Fault injection: rules that make the next matching request(s) fail in a chosen way.

A fault matches on platform, exact path (or any path of the platform when omitted) and, if given,
the account (WeChat appid / Weibo uid, resolved from the request's token or credentials). Each
matching request consumes one of its `times` (-1: until cleared or reset).

Response kinds replace or spoil the answer of the request they match:

- ``http_500`` / ``http_502``: an HTML 5xx from the "gateway"; the action is not performed.
- ``timeout``: wait `seconds` (default 5), then hang up without answering; the action is not
  performed. With ``then: "answer"`` the action is performed *after* the wait and answered — a
  slow server whose post lands after the client gave up (and perhaps reconciled and found
  nothing). ``posted_but_error`` with ``then: "timeout"`` is the other order: posted at once,
  answer lost.
- ``truncated_json``: the action is performed and its JSON answer cut in half (Content-Length is
  that of the cut body, so the client reads all of it and fails to parse it).
- ``error_code``: the platform's error shape with `code` (and optional HTTP `status`, `message`);
  the action is not performed.
- ``posted_but_error``: the action *is* performed, then the answer is replaced by ``then``:
  ``error_code`` (default; `code` defaults to Weibo 20032 "posted, server slow", WeChat -1),
  ``http_500``, ``http_502``, ``timeout`` or ``truncated_json``. On Weibo `statuses/share` the
  status shows in `user_timeline` only `visible_after` seconds later (default: 90 after a 20032,
  as the platform's "please wait 1-2 minutes"; 0 otherwise); it exists meanwhile (20019 applies).

Job kinds change the asynchronous freepublish job started by the next successful
``/cgi-bin/freepublish/submit`` (they never change an HTTP answer):

- ``publish_status``: the job ends in `publish_status` (2..6 a failure; 1 never finishes).
- ``drop_callback``: the PUBLISHJOBFINISH event is never delivered.
- ``duplicate_callback``: it is delivered twice — platforms.md: "may arrive twice or never".
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import asdict, dataclass

RESPONSE_KINDS = frozenset({"http_500", "http_502", "timeout", "truncated_json", "error_code", "posted_but_error"})
JOB_KINDS = frozenset({"publish_status", "drop_callback", "duplicate_callback"})
THEN_KINDS = frozenset({"error_code", "http_500", "http_502", "timeout", "truncated_json", "answer"})
PLATFORMS = ("wechat", "weibo")


def platform_of(path: str) -> str | None:
    """The platform a real API path belongs to."""
    if path.startswith("/cgi-bin/"):
        return "wechat"
    if path.startswith(("/2/", "/oauth2/")):
        return "weibo"
    return None


@dataclass
class Fault:
    id: int
    platform: str
    kind: str
    path: str | None = None
    account: str | None = None
    times: int = 1
    code: int | None = None
    status: int | None = None
    message: str | None = None
    seconds: float = 5.0
    then: str | None = None
    publish_status: int | None = None
    visible_after: float | None = None
    hits: int = 0

    def matches(self, platform: str, path: str, account: str | None) -> bool:
        return (
            self.platform == platform
            and (self.path is None or self.path == path)
            and (self.account is None or self.account == account)
        )

    def as_dict(self) -> dict:
        return {key: value for key, value in asdict(self).items() if value is not None}


class FaultBook:
    """The pending faults, first added first matched; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(self, spec: dict) -> Fault:
        """Validate a control-API fault spec and queue it; raises ValueError naming the bad field."""
        kind = spec.get("kind")
        if kind not in RESPONSE_KINDS | JOB_KINDS:
            raise ValueError(f"kind must be one of {sorted(RESPONSE_KINDS | JOB_KINDS)}")
        path = spec.get("path") or None
        platform = spec.get("platform") or (platform_of(path) if path else None)
        if kind in JOB_KINDS:
            platform = platform or "wechat"
            path = path or "/cgi-bin/freepublish/submit"
        if platform not in PLATFORMS:
            raise ValueError("platform must be 'wechat' or 'weibo' (or give a /cgi-bin/, /2/ or /oauth2/ path)")
        if kind in JOB_KINDS and (platform != "wechat" or path != "/cgi-bin/freepublish/submit"):
            raise ValueError(f"{kind} applies to /cgi-bin/freepublish/submit only")
        then = spec.get("then")
        if then is not None and then not in THEN_KINDS:
            raise ValueError(f"then must be one of {sorted(THEN_KINDS)}")
        try:
            times = int(spec.get("times", 1))
            code = None if spec.get("code") is None else int(spec["code"])
            status = None if spec.get("status") is None else int(spec["status"])
            seconds = float(spec.get("seconds", 5.0))
            publish_status = None if spec.get("publish_status") is None else int(spec["publish_status"])
            visible_after = None if spec.get("visible_after") is None else float(spec["visible_after"])
        except (TypeError, ValueError) as exc:
            raise ValueError(f"bad number: {exc}") from exc
        if times == 0 or times < -1:
            raise ValueError("times must be positive, or -1 for 'until cleared'")
        if kind == "error_code" and code is None:
            raise ValueError("error_code needs a code")
        if kind == "publish_status" and publish_status not in range(1, 7):
            raise ValueError("publish_status must be 1..6")
        if visible_after is not None and (visible_after < 0 or kind != "posted_but_error" or platform != "weibo"):
            raise ValueError("visible_after is a non-negative number of seconds, for Weibo posted_but_error only")
        account = spec.get("account")
        with self._lock:
            fault = Fault(
                id=next(self._ids),
                platform=platform,
                kind=kind,
                path=path,
                account=None if account in (None, "") else str(account),
                times=times,
                code=code,
                status=status,
                message=spec.get("message"),
                seconds=seconds,
                then=then,
                publish_status=publish_status,
                visible_after=visible_after,
            )
            self._faults.append(fault)
        return fault

    def take(self, platform: str, path: str, account: str | None, kinds: frozenset[str]) -> Fault | None:
        """The first pending fault of `kinds` matching the request, consuming one of its times."""
        with self._lock:
            for fault in self._faults:
                if fault.kind in kinds and fault.matches(platform, path, account):
                    self._consume(fault)
                    return fault
        return None

    def take_job_faults(self, appid: str) -> list[Fault]:
        """One pending fault of each job kind for a freepublish job of `appid`."""
        taken: list[Fault] = []
        with self._lock:
            for kind in sorted(JOB_KINDS):
                for fault in self._faults:
                    if fault.kind == kind and fault.matches("wechat", "/cgi-bin/freepublish/submit", appid):
                        self._consume(fault)
                        taken.append(fault)
                        break
        return taken

    def _consume(self, fault: Fault) -> None:
        fault.hits += 1
        if fault.times > 0:
            fault.times -= 1
            if fault.times == 0:
                self._faults.remove(fault)

    def pending(self) -> list[dict]:
        with self._lock:
            return [fault.as_dict() for fault in self._faults]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
