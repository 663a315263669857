"""Settling the images of a WeChat body before review: every image must be one WeChat can take.

An article body may hold images from three places: our own media storage (uploads, images
fetched earlier, Wagtail renditions), WeChat's CDN (already hosted), or another site. The last
kind passes review and then fails at publishing unless it is fetched first, so on every save
(`settle_body_images`, called by the API's create/PATCH and the admin form) each external image
is fetched into the agency's collection and the body rewritten to the stored copy; an image that
cannot be settled is recorded on the post (`image_problems`) and becomes a blocking check that
names it (`image_findings`).

The fetcher is the server reaching out on a user's behalf, so it guards against SSRF:
only http(s); the host is resolved once and every address checked (private, loopback,
link-local, reserved, multicast ... are refused unless the host or host:port is listed in
GOVCMS_IMAGE_FETCH_ALLOW) and the connection goes to the checked address (Host header and TLS
SNI carry the name), so a second DNS answer cannot slip another address in; redirects are
followed by hand and each hop is checked the same way; one deadline covers the whole fetch;
the body is read up to GOVCMS_IMAGE_MAX_BYTES; environment proxies are ignored. The bytes then
pass the same validation and re-encoding as uploads (`govcms.images.prepare_image`).
"""

from __future__ import annotations

import html
import ipaddress
import logging
import re
import socket
import time
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit

import httpx
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from govcms.models import AgencyPage
from govcms.services import ServiceError, image_store

logger = logging.getLogger(__name__)

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_SRC_ATTR = re.compile(r"""(\s)(src|data-src)(\s*=\s*)("[^"]*"|'[^']*'|[^\s>"']+)""", re.IGNORECASE)
_REDIRECTS = {301, 302, 303, 307, 308}


class FetchRefused(Exception):
    """An image that was not (or could not be) fetched; `code` names why (see PROBLEM_CODES)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


def problem_reason(code: str) -> str:
    """The Chinese reason shown for an image problem `code`."""
    reasons = {
        "scheme": _("只能转存 http 或 https 地址的图片"),
        "address": _("图片地址指向内网、本机或链路本地地址，已拒绝下载"),
        "unreachable": _("图片无法下载"),
        "not_media": _("图片不在本站图片库中"),
        "too_large": _("图片超出大小上限"),
        "too_many_pixels": _("图片像素过多"),
        "unsupported_type": _("不是 JPEG、PNG、GIF 或 WebP 图片"),
        "corrupt": _("图片文件已损坏或不完整"),
    }
    return reasons.get(code, reasons["unreachable"])


# --- where an image lives ---------------------------------------------------------------------


def _normalise(src: str) -> str:
    # As browsers (and editorial.sanitize) read a URL attribute.
    return src.strip("\x00\t\n\f\r ").replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")


def media_name(src: str) -> str | None:
    """The storage name of an image served from our own media (root-relative `MEDIA_URL` path,
    the same on `GOVCMS_SITE_URL`, or the storage's own absolute URL), else None."""
    src = _normalise(src)
    bases = [settings.GOVCMS_SITE_URL.rstrip("/") + settings.MEDIA_URL, settings.MEDIA_URL]
    storage_base = default_storage.url("")
    if storage_base not in bases:
        bases.insert(0, storage_base)
    for base in bases:
        if base and src.startswith(base) and not src.startswith("//"):
            name = unquote(src[len(base) :].split("#")[0].split("?")[0])
            if name and ".." not in name.split("/") and not name.startswith("/"):
                return name
    return None


def is_hosted(src: str) -> bool:
    """On WeChat's CDN (mmbiz.qpic.cn and other *.qpic.cn): nothing to settle."""
    try:
        host = urlsplit(_normalise(src)).hostname or ""
    except ValueError:
        return False
    return host == "qpic.cn" or host.endswith(".qpic.cn")


def classify(src: str) -> str:
    """ "local", "hosted", "external" (an http(s) image to fetch), "ignored" (what the sanitiser
    drops with a warning anyway: data: URIs, relative and protocol-relative paths), or a problem
    code: "scheme" (file:, ftp: ...), "not_media" (a path on our site outside the media)."""
    src = _normalise(src)
    scheme = _SCHEME.match(src)
    if scheme:
        name = scheme.group(1).lower()
        if name == "data":
            return "ignored"
        if name not in ("http", "https"):
            return "scheme"
        if media_name(src):
            return "local"
        return "hosted" if is_hosted(src) else "external"
    if src.startswith("/") and not src.startswith("//"):
        return "local" if media_name(src) else "not_media"
    return "ignored"


# --- the fetcher ------------------------------------------------------------------------------


def _allowed(host: str, port: int) -> bool:
    listed = {entry.strip().lower() for entry in settings.GOVCMS_IMAGE_FETCH_ALLOW.split(",") if entry.strip()}
    return host in listed or f"{host}:{port}" in listed


def _checked_address(host: str, port: int) -> str:
    """The first address `host` resolves to, after checking every address it resolves to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise FetchRefused("unreachable", f"cannot resolve {host}: {error}") from error
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise FetchRefused("unreachable", f"{host} has no address")
    if not _allowed(host, port):
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if ip.version == 6 and ip.ipv4_mapped:
                ip = ip.ipv4_mapped
            if not ip.is_global or ip.is_multicast:
                raise FetchRefused("address", f"{host} resolves to {ip}")
    return addresses[0]


def fetch_image(url: str) -> bytes:
    """The bytes at `url`, or FetchRefused (codes: scheme, address, unreachable, too_large).

    See the module docstring for the rules; the bytes are not yet validated as an image.
    """
    limit = settings.GOVCMS_IMAGE_MAX_BYTES
    deadline = time.monotonic() + settings.GOVCMS_IMAGE_FETCH_TIMEOUT
    with httpx.Client(trust_env=False, follow_redirects=False, verify=True) as client:
        for _hop in range(settings.GOVCMS_IMAGE_FETCH_MAX_REDIRECTS + 1):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise FetchRefused("scheme", url[:200])
            host = parts.hostname.lower()
            try:
                port = parts.port or (443 if parts.scheme == "https" else 80)
            except ValueError as error:
                raise FetchRefused("unreachable", f"bad port in {url[:200]}") from error
            address = _checked_address(host, port)
            netloc = f"[{address}]" if ":" in address else address
            target = f"{parts.scheme}://{netloc}:{port}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")
            host_header = host if parts.port is None else f"{host}:{port}"
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FetchRefused("unreachable", "timed out")
            try:
                with client.stream(
                    "GET",
                    target,
                    headers={"Host": host_header, "Accept": "image/*"},
                    timeout=remaining,
                    extensions={"sni_hostname": host},
                ) as response:
                    if response.status_code in _REDIRECTS and response.headers.get("location"):
                        url = urljoin(url, response.headers["location"])
                        continue
                    if response.status_code != 200:
                        raise FetchRefused("unreachable", f"HTTP {response.status_code}")
                    declared = int(response.headers.get("content-length") or 0)
                    if declared > limit:
                        raise FetchRefused("too_large", f"{declared} bytes declared")
                    chunks, size = [], 0
                    for chunk in response.iter_bytes():
                        size += len(chunk)
                        if size > limit:
                            raise FetchRefused("too_large", f"over {limit} bytes")
                        if time.monotonic() > deadline:
                            raise FetchRefused("unreachable", "timed out")
                        chunks.append(chunk)
                    return b"".join(chunks)
            except httpx.HTTPError as error:
                raise FetchRefused("unreachable", f"{type(error).__name__}: {error}") from error
    raise FetchRefused("unreachable", "too many redirects")


# --- settling a body --------------------------------------------------------------------------


class _ImageSources(HTMLParser):
    """Distinct image sources in document order: `src`, else `data-src` (as the sanitiser reads)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sources: dict[str, None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "img":
            return
        values = dict(attrs)
        src = (values.get("src") or "").strip()
        if not src or src.lower().startswith("data:"):
            src = (values.get("data-src") or "").strip() or src
        if src:
            self.sources[_normalise(src)] = None

    handle_startendtag = handle_starttag


def agency_of(account_path: str) -> AgencyPage:
    """The agency owning the account at `account_path` (images belong to agencies)."""
    return AgencyPage.objects.get(path=account_path[: -AgencyPage.steplen])


def body_image_sources(body: str) -> list[str]:
    """The distinct image sources of `body` (HTML) in document order."""
    parser = _ImageSources()
    parser.feed(body)
    parser.close()
    return list(parser.sources)


def foreign_body_images(*, body: str, actor, known: str = "") -> list[str]:
    """The images `body` adds (not already in `known`, the body as stored) that `actor` may not
    use: image embeds (`<embed embedtype="image" id="…"/>`, what the editor stores for a library
    image) and images of our own media (originals and renditions) outside `actor`'s jurisdiction,
    or missing. Each as written in the body. A body that names another county's image by id or
    path would show and publish that county's image, so callers refuse the save (not a check
    that a signer could override). Images already in the stored body stay allowed: a county's
    reviewer may approve a post that a city editor illustrated from the city's library."""
    from wagtail.images import get_image_model
    from wagtail.rich_text.rewriters import FIND_EMBED_TAG, extract_attrs

    from govcms.selectors import images_visible_to

    def references(html_text: str) -> tuple[dict[int, str], dict[str, str]]:
        ids: dict[int, str] = {}
        for match in FIND_EMBED_TAG.finditer(html_text):
            attrs = extract_attrs(match.group(1))
            if attrs.get("embedtype") == "image":
                ids[int(attrs["id"]) if attrs.get("id", "").isdigit() else -1] = match.group(0)
        return ids, {name: src for src in body_image_sources(html_text) if (name := media_name(src))}

    ids, names = references(body)
    if known and (ids or names):
        known_ids, known_names = references(known)
        ids = {i: tag for i, tag in ids.items() if i not in known_ids or i < 0}
        names = {name: src for name, src in names.items() if name not in known_names}
    if not ids and not names:
        return []
    visible = images_visible_to(actor)
    allowed_ids = set(visible.filter(pk__in=[i for i in ids if i >= 0]).values_list("pk", flat=True))
    renditions = get_image_model().get_rendition_model().objects
    allowed_names = set(visible.filter(file__in=list(names)).values_list("file", flat=True)) | set(
        renditions.filter(file__in=list(names), image__in=visible).values_list("file", flat=True)
    )
    return [tag for i, tag in ids.items() if i not in allowed_ids] + [
        src for name, src in names.items() if name not in allowed_names
    ]


def settle_body_images(*, body: str, agency: AgencyPage, actor) -> tuple[str, list[dict]]:
    """Fetch every external image of `body` into `agency`'s collection and point the body at the
    stored copies. Returns (body, problems), each problem `{"src", "code"}` for an image left as
    it was (see `problem_reason`). Each stored image is its own transaction with its ledger event
    (`image.fetched`), so call this before, not inside, the transaction saving the post: no
    database transaction stays open while a remote server answers."""
    replacements: dict[str, str] = {}
    problems: list[dict] = []
    for src in body_image_sources(body):
        kind = classify(src)
        if kind in ("local", "hosted", "ignored"):
            continue
        if kind != "external":
            problems.append({"src": src[:1000], "code": kind})
            continue
        try:
            content = fetch_image(src)
            name = unquote(urlsplit(src).path.rsplit("/", 1)[-1]) or "image"
            image = image_store(
                actor=actor,
                agency=agency,
                content=content,
                title=name,
                filename=name,
                action="image.fetched",
                data={"source_url": src[:1000]},
            )
        except (FetchRefused, ServiceError) as error:
            logger.info("body image %s not settled: %s", src[:200], error)
            problems.append({"src": src[:1000], "code": error.code})
            continue
        replacements[src] = image.file.url
    return _rewrite(body, replacements), problems


def _rewrite(body: str, replacements: dict[str, str]) -> str:
    if not replacements:
        return body

    def rewrite_attribute(match: re.Match) -> str:
        value = _normalise(html.unescape(match.group(4).strip("\"'")))
        if value not in replacements:
            return match.group(0)
        return f'{match.group(1)}{match.group(2)}{match.group(3)}"{html.escape(replacements[value], quote=True)}"'

    return _IMG.sub(lambda tag: _SRC_ATTR.sub(rewrite_attribute, tag.group(0)), body)


def image_findings(*, problems: list[dict], body_images: list[str]) -> list[dict]:
    """Blocking findings: one per recorded problem, and one per body image that is neither ours
    nor on WeChat's CDN yet has no recorded problem (a body saved before images were settled)."""
    named = {p["src"] for p in problems}
    unsettled = [
        {"src": src, "code": "unreachable"}
        for src in body_images
        if src not in named and classify(src) in ("external", "not_media", "scheme")
    ]
    return [
        {
            "rule": "image_unavailable",
            "gate": "wording",
            "gate_label": "文字关",
            "severity": "block",
            "message": _("正文图片未能转存：%(src)s（%(reason)s）。请删除该图片，或上传到图片库后重新插入。")
            % {"src": problem["src"][:200], "reason": problem_reason(problem["code"])},
            "start": 0,
            "end": 0,
            "matched": "",
            "suggestion": "",
            "field": "body",
            "image": problem["src"],
        }
        for problem in [*problems, *unsettled]
    ]
