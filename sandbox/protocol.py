"""HTTP plumbing shared by both emulators: the parsed request, the response, body parsers.

Kept free of any platform rule so `wechat.py` and `weibo.py` read as the API they emulate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import parse_qsl

JSON_WECHAT = "application/json; encoding=utf-8"  # the Content-Type api.weixin.qq.com answers with
JSON_WEIBO = "application/json;charset=UTF-8"
JSON = "application/json; charset=utf-8"  # the control API's own answers
HTML = "text/html; charset=utf-8"


class BadBody(ValueError):
    """The request body is not what the endpoint parses (malformed JSON, not an object ...)."""


@dataclass(frozen=True)
class Upload:
    """One file part of a multipart body."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class Request:
    """A request as the handlers see it: query and form values are first-value-wins strings."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""
    path_params: dict[str, str] = field(default_factory=dict)
    account: str | None = None  # appid / uid resolved by the platform, for faults and the request log
    _json: dict | None = field(default=None, repr=False)
    _form: tuple[dict[str, str], dict[str, Upload]] | None = field(default=None, repr=False)

    def json(self) -> dict:
        """The body as a JSON object (WeChat ignores Content-Type and always parses JSON)."""
        if self._json is None:
            if not self.body.strip():
                raise BadBody("empty body")
            try:
                value = json.loads(self.body.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise BadBody(str(exc)) from exc
            if not isinstance(value, dict):
                raise BadBody("body is not a JSON object")
            self._json = value
        return self._json

    def form(self) -> tuple[dict[str, str], dict[str, Upload]]:
        """Fields and files of an urlencoded or multipart body."""
        if self._form is None:
            content_type = self.headers.get("content-type", "")
            if content_type.lower().startswith("multipart/form-data"):
                self._form = parse_multipart(self.body, content_type)
            else:
                fields = dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))
                self._form = (fields, {})
        return self._form

    def value(self, name: str) -> str | None:
        """A parameter from the query string or, failing that, the form body (Weibo accepts both)."""
        if name in self.query:
            return self.query[name]
        return self.form()[0].get(name)


def parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, str], dict[str, Upload]]:
    """Split a multipart/form-data body into text fields and file parts.

    The stdlib `cgi` module is gone in 3.13; a multipart body is simple enough to split by hand.
    """
    header = Message()
    header["content-type"] = content_type
    boundary = header.get_param("boundary")
    if not boundary:
        raise BadBody("multipart body without boundary")
    fields: dict[str, str] = {}
    files: dict[str, Upload] = {}
    for part in body.split(b"--" + str(boundary).encode("latin-1"))[1:]:
        if part.startswith(b"--"):
            break
        head, sep, data = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            continue
        data = data.removesuffix(b"\r\n")
        part_headers = Message()
        for line in head.decode("utf-8", "replace").split("\r\n"):
            name, _, val = line.partition(":")
            if name:
                part_headers[name.strip()] = val.strip()
        field_name = part_headers.get_param("name", header="content-disposition")
        if not field_name:
            continue
        filename = part_headers.get_filename()
        if filename is None:
            fields[str(field_name)] = data.decode("utf-8", "replace")
        else:
            files[str(field_name)] = Upload(filename, part_headers.get_content_type(), data)
    return fields, files


@dataclass
class Response:
    """What to answer; `drop` makes the server hang up without answering (timeout faults)."""

    status: int = 200
    body: bytes = b""
    content_type: str = JSON_WECHAT
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering


def json_response(payload: object, *, status: int = 200, content_type: str = JSON_WECHAT) -> Response:
    """JSON with real UTF-8 characters, as both platforms send."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status=status, body=body, content_type=content_type)


def html_response(text: str, *, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(status=status, body=text.encode("utf-8"), content_type=HTML, headers=headers or {})


def redirect(location: str) -> Response:
    return Response(status=302, content_type="text/plain", headers={"Location": location})


def image_kind(data: bytes) -> str | None:
    """The image format by magic number (platforms check content, not the file name)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data.startswith(b"BM"):
        return "bmp"
    return None


IMAGE_TYPES = {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "bmp": "image/bmp"}


class ApiError(Exception):
    """A platform error; the route's platform renders it in its own shape (see `error_response`)."""

    def __init__(self, code: int, message: str | None = None, *, status: int | None = None) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Route:
    """`pattern` is an exact path, or one with `<name>` segments captured into `path_params`."""

    methods: tuple[str, ...]
    pattern: str
    handler: object
    platform: str | None = None  # "wechat" / "weibo": faults apply and errors take that shape
