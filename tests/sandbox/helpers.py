"""Small clients of the two emulated APIs, written the way a backend would call them."""

from __future__ import annotations

import hashlib
import time

import httpx

JPG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(256)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(256)
GIF = b"GIF89a" + bytes(256)


def wait_for(predicate, timeout: float = 5.0, interval: float = 0.02):
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def wechat_signature(token: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


class WeChat:
    """One Official Account's calls: tokens, uploads, drafts, publishing."""

    def __init__(self, http: httpx.Client, appid: str, secret: str) -> None:
        self.http, self.appid, self.secret = http, appid, secret
        self._token: str | None = None

    def stable_token(self, *, force: bool = False, secret: str | None = None) -> dict:
        body = {"grant_type": "client_credential", "appid": self.appid, "secret": secret or self.secret}
        if force:
            body["force_refresh"] = True
        return self.http.post("/cgi-bin/stable_token", json=body).json()

    @property
    def token(self) -> str:
        if self._token is None:
            self._token = self.stable_token()["access_token"]
        return self._token

    def post(self, path: str, payload: dict | None = None, *, token: str | None = None) -> dict:
        response = self.http.post(path, params={"access_token": token or self.token}, json=payload or {})
        assert response.status_code == 200, response.text
        return response.json()

    def upload(self, path: str, data: bytes, filename: str = "a.jpg", **params) -> dict:
        response = self.http.post(
            path, params={"access_token": self.token, **params}, files={"media": (filename, data, "image/jpeg")}
        )
        return response.json()

    def cover(self) -> str:
        return self.upload("/cgi-bin/material/add_material", JPG, type="image")["media_id"]

    def draft(self, count: int = 1, **fields) -> str:
        cover = fields.pop("thumb_media_id", None) or self.cover()
        articles = [
            {"title": f"标题{i}", "content": f"<p>正文{i}</p>", "thumb_media_id": cover, **fields} for i in range(count)
        ]
        answer = self.post("/cgi-bin/draft/add", {"articles": articles})
        assert "media_id" in answer, answer
        return answer["media_id"]

    def submit(self, media_id: str) -> dict:
        return self.post("/cgi-bin/freepublish/submit", {"media_id": media_id})

    def get(self, publish_id: str) -> dict:
        return self.post("/cgi-bin/freepublish/get", {"publish_id": publish_id})

    def wait_published(self, publish_id: str, timeout: float = 5.0) -> dict:
        return wait_for(lambda: (a := self.get(publish_id))["publish_status"] != 1 and a, timeout)


class Weibo:
    """One authorised Weibo user's calls."""

    def __init__(self, http: httpx.Client, token: str) -> None:
        self.http, self.token = http, token

    def share(self, text: str, **files) -> httpx.Response:
        return self.http.post(
            "/2/statuses/share.json", data={"access_token": self.token, "status": text}, files=files or None
        )

    def timeline(self, **params) -> dict:
        response = self.http.get("/2/statuses/user_timeline.json", params={"access_token": self.token, **params})
        assert response.status_code == 200, response.text
        return response.json()

    def destroy(self, status_id: int) -> httpx.Response:
        return self.http.post("/2/statuses/destroy.json", data={"access_token": self.token, "id": status_id})
