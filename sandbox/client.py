"""A thin client of the control API, for tests and scripts (uses httpx, like the backends).

control = SandboxControl(server.base_url)
control.reset()
control.wechat_account("wx1", "secret", verified=False)
control.fault("http_500", path="/2/statuses/share.json")
assert control.state()["weibo"]["5000000001"]["shares"] == 1
"""

from __future__ import annotations

import httpx


class SandboxControl:
    """Each method is one control-API call; errors raise `httpx.HTTPStatusError`."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, trust_env=False)

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, payload: dict | None = None):
        response = self._http.request(method, f"/_sandbox/{path}", json=payload)
        response.raise_for_status()
        return response.json()

    def reset(self, *, demo: bool = False) -> None:
        self._call("POST", "reset", {"demo": demo})

    def state(self) -> dict:
        return self._call("GET", "state")

    def wechat_account(self, appid: str, secret: str, **fields) -> dict:
        """Fields: name, verified, callback_url, callback_token, token_ttl, token_grace, publish_delay,
        material_settle, original_id."""
        return self._call("POST", "wechat/accounts", {"appid": appid, "secret": secret, **fields})

    def weibo_account(self, uid: int | str, **fields) -> dict:
        """Fields: access_token, safe_domain, expires_in, hourly_limit, comment_hourly_limit,
        duplicate_window, screen_name."""
        return self._call("POST", "weibo/accounts", {"uid": uid, **fields})

    def weibo_app(self, client_id: str, client_secret: str, redirect_uri: str | None = None) -> dict:
        return self._call(
            "POST", "weibo/apps", {"client_id": client_id, "client_secret": client_secret, "redirect_uri": redirect_uri}
        )

    def weibo_code(self, uid: int | str, client_id: str | None = None, redirect_uri: str | None = None) -> str:
        spec = {"uid": uid, "client_id": client_id, "redirect_uri": redirect_uri}
        return self._call("POST", "weibo/codes", spec)["code"]

    def wechat_comment(self, msg_data_id: int, index: int = 0, **fields) -> dict:
        return self._call("POST", "wechat/comments", {"msg_data_id": msg_data_id, "index": index, **fields})

    def wechat_message(self, appid: str, msg_type: str = "text", **fields) -> dict:
        """A follower's message pushed to the account's callback: fields content, openid, times."""
        return self._call("POST", "wechat/messages", {"appid": appid, "msg_type": msg_type, **fields})

    def weibo_comment(self, status_id: int, **fields) -> dict:
        return self._call("POST", "weibo/comments", {"status_id": status_id, **fields})

    def fault(self, kind: str, **spec) -> dict:
        """Queue a fault; see `sandbox.faults` for kinds and fields."""
        return self._call("POST", "faults", {"kind": kind, **spec})

    def faults(self) -> list[dict]:
        return self._call("GET", "faults")

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def advance_clock(self, seconds: float) -> None:
        self._call("POST", "clock", {"advance": seconds})

    def callbacks(self) -> list[dict]:
        return self._call("GET", "callbacks")

    def requests(self) -> list[dict]:
        return self._call("GET", "requests")
