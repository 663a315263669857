"""Sanitising article HTML down to what the WeChat Official Account accepts.

`sanitize_wechat_html` is a pure function: hostile input (scripts, event handlers, `javascript:`
URLs, huge bodies, invalid UTF-8, pathological nesting) is either cleaned or refused with a
`ContentError`; it never raises anything else for any `str` or `bytes` input.

The work happens in three passes:

1. **Pre-pass** (this module, linear time): a small tokenizer turns the input into a canonical,
   balanced token stream of allow-listed elements only. It decides policy and records warnings:
   attribute values are entity-decoded and checked (URLs, inline styles), external links are
   unwrapped and numbered, elements beyond `MAX_DEPTH` are flattened (their content kept), and
   script-like elements are dropped with their content. Allowed tags are emitted under private
   names (`<g-p>`, `<g-b>` ...).
2. **nh3** (Ammonia, html5ever) parses that stream and enforces the allow-list again: tags,
   attributes per tag, URL schemes, comments. It is the backstop should the pre-pass miss
   anything, and its serialiser is the canonical form the last pass reads.
3. **Post-pass**: maps the private names back, appends the footnotes, lists the images to
   re-host and extracts the plain text.

Why the private names: html5ever implements the full HTML tree-construction algorithm, whose
implicit closing and "reconstruction of active formatting elements" is quadratic in nesting depth
and can multiply elements (70 KB of `<p><b title=1>...<b title=3000></p><p>x...` became 177 MB
of output in 9.5 s when measured with nh3 0.3.8). Unknown elements take none of those paths, so
html5ever simply builds the tree the pre-pass dictates, in linear time.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, urljoin, urlsplit

import nh3
from django.utils.translation import gettext as _

# Raw input above this many bytes (UTF-8) is refused before any parsing.
INPUT_MAX_BYTES = 5 * 1024 * 1024
# More `<` characters than this cannot be an article (the platform takes < 20,000 characters of
# HTML): refuse rather than spend seconds tokenizing it.
INPUT_MAX_MARKUP = 100_000
# Elements nested deeper than this are flattened: their tags dropped, their content kept.
MAX_DEPTH = 64

WECHAT_LINK_HOST = "mp.weixin.qq.com"
FOOTNOTES_CLASS = "footnotes"

# Tags kept in an article body: the formatting WeChat renders, nothing interactive or embedded.
_PHRASING_TAGS = frozenset({"span", "strong", "b", "em", "i", "u", "s", "a", "img", "br", "sup", "sub", "code"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BLOCK_TAGS = frozenset({"p", "blockquote", "ul", "ol", "li", "section", "hr", "figure", "figcaption", "pre"})
_TABLE_TAGS = frozenset({"table", "thead", "tbody", "tr", "td", "th"})
ALLOWED_TAGS = _PHRASING_TAGS | _HEADINGS | _BLOCK_TAGS | _TABLE_TAGS
_VOID_TAGS = frozenset({"br", "hr", "img"})
# Content the browser never shows as text (raw text / RCDATA): skipped up to the matching end tag.
_RAW_TEXT_TAGS = frozenset({"script", "style", "xmp", "iframe", "noembed", "noframes", "noscript", "textarea", "title"})
# Elements removed together with everything inside them (their content is markup, not text).
_DROP_WITH_CONTENT = frozenset(
    {"svg", "math", "template", "object", "applet", "frameset", "select", "canvas", "audio", "video"}
)
# Implicit closing, as browsers do for the common sloppy cases (`<p>a<p>b`, `<li>a<li>b`): any
# non-phrasing start tag closes an open paragraph (so a paragraph only ever holds phrasing
# content), and these close the innermost emitted element when it is one of the listed ones.
# Both rules look at emitted elements only, which is what makes the output re-parse to itself.
_CLOSES_INNERMOST: dict[str, frozenset[str]] = {
    **dict.fromkeys(_HEADINGS, _HEADINGS),
    "li": frozenset({"li"}),
    "td": frozenset({"td", "th"}),
    "th": frozenset({"td", "th"}),
    "tr": frozenset({"tr", "td", "th"}),
}
# Elements after which the plain text needs a word break.
_BREAKS_TEXT = ALLOWED_TAGS - (_PHRASING_TAGS - {"img", "br"})

STYLE_PROPERTIES = frozenset(
    {
        "color",
        "background-color",
        "font-size",
        "font-weight",
        "font-style",
        "text-align",
        "text-decoration",
        "line-height",
        "width",
        "max-width",
        "height",
        "display",
        "letter-spacing",
        "margin",
        "padding",
        "border",
        "border-width",
        "border-style",
        "border-color",
        "border-radius",
        "border-collapse",
        "border-spacing",
        *(f"{box}-{side}" for box in ("margin", "padding", "border") for side in ("top", "right", "bottom", "left")),
        *(
            f"border-{side}-{part}"
            for side in ("top", "right", "bottom", "left")
            for part in ("width", "style", "color")
        ),
        *(f"border-{corner}-radius" for corner in ("top-left", "top-right", "bottom-left", "bottom-right")),
    }
)
# Values may only use these characters: no quotes, backslash escapes, `*` (comments), `:` or `;`,
# so nothing can smuggle a URL, an `expression()` or a second declaration past the checks below.
_STYLE_VALUE = re.compile(r"[a-zA-Z0-9#%.,()\s+\-/!]*")
_STYLE_FUNCTIONS = frozenset({"rgb", "rgba", "hsl", "hsla"})
_STYLE_FUNCTION_CALL = re.compile(r"([a-zA-Z-]*)\s*\(")
_DIMENSION = re.compile(r"\d{1,5}(?:px|%)?")
_SPAN_COUNT = re.compile(r"\d{1,4}")

# Tokens. `_TAG` follows the HTML tokenizer closely enough for a sanitiser whose output is
# re-parsed anyway: a quoted section may contain `>`; a tag cut off by the end of input is dropped
# (as browsers do).
_TAG = re.compile(r"""<(/?)([A-Za-z][^\t\n\f\r />]*)((?:[^>"']|"[^"]*"|'[^']*')*)(>)?""")
_ATTRIBUTE = re.compile(
    r"""([^\t\n\f\r />"'=][^\t\n\f\r />=]*)(?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:"([^"]*)"|'([^']*)'|([^\t\n\f\r >]+)))?"""
)
_RAW_TEXT_END = {tag: re.compile(rf"</{tag}(?=[\t\n\f\r />])", re.IGNORECASE) for tag in _RAW_TEXT_TAGS}
# In attribute values browsers decode numeric references with or without `;` but named ones
# without `;` only sometimes (never before `=`, as in `?a=1&copy=2`); keeping those literal is the
# safe reading and keeps such query strings intact.
_ATTRIBUTE_REFERENCE = re.compile(r"&(?:#[xX][0-9a-fA-F]+;?|#[0-9]+;?|[A-Za-z][A-Za-z0-9]*;)")
# C0 controls other than tab, LF and CR are never content and some trip up downstream XML tools;
# form feed is HTML whitespace, so it becomes a space rather than joining two tokens.
_CONTROL_CHARACTERS = {**dict.fromkeys([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F]), 0x0C: " "}
_URL_WHITESPACE = dict.fromkeys(map(ord, "\t\n\r"))
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_HTTP_URL = re.compile(r"https?://", re.IGNORECASE)
_HOST = re.compile(r"[a-z0-9.\-]+|\[[0-9a-f:.]+\]")
# Everything outside this set is percent-encoded, so `\`, quotes, spaces and non-ASCII cannot make
# this module and a browser disagree about where the host of a URL ends.
_URL_SAFE = "!#$%&'()*+,-./:;=?@[]~_"

_PREFIX = "g-"
_NH3 = nh3.Cleaner(
    tags={_PREFIX + tag for tag in ALLOWED_TAGS},
    clean_content_tags={"script", "style"},
    attributes={
        "*": {"style"},
        _PREFIX + "a": {"href"},
        _PREFIX + "img": {"src", "alt", "width", "height"},
        _PREFIX + "td": {"colspan", "rowspan"},
        _PREFIX + "th": {"colspan", "rowspan"},
    },
    allowed_classes={_PREFIX + "section": {FOOTNOTES_CLASS}},
    url_schemes={"http", "https"},
    link_rel=None,
    strip_comments=True,
)

_FOOTNOTES_STYLE = "margin-top: 16px; padding-top: 8px; border-top: 1px solid #eeeeee; font-size: 13px; color: #888888"


class ContentError(ValueError):
    """Input refused as a whole (bad encoding, too large, too complex); `details` carries numbers."""

    def __init__(self, *, code: str, message: str, details: dict | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


@dataclass(frozen=True)
class ImageRef:
    """An image of the body: `hosted` when it already lives on WeChat's CDN (no re-hosting needed)."""

    src: str
    hosted: bool


@dataclass(frozen=True)
class SanitizeResult:
    """`html` to send; `text` its plain text (whitespace collapsed); `images` in order of first use,
    each listed once; `footnotes` as (number, url); `warnings` for the editor, in Chinese."""

    html: str
    text: str
    images: list[ImageRef] = field(default_factory=list)
    footnotes: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def sanitize_wechat_html(raw: str | bytes, *, base_url: str | None = None, keep_links: bool = False) -> SanitizeResult:
    """Clean `raw` article HTML to WeChat's allow-list.

    Contract:
    - `bytes` must be UTF-8 (a BOM is dropped), `str` must encode as UTF-8 (no lone surrogates),
      else `ContentError("invalid_encoding")`; more than `INPUT_MAX_BYTES` UTF-8 bytes is refused
      with `ContentError("too_large")` and more than `INPUT_MAX_MARKUP` `<` characters with
      `ContentError("too_complex")`, both before parsing. No other exception escapes.
    - Output holds only `ALLOWED_TAGS`; attributes: `style` (properties in `STYLE_PROPERTIES`,
      values without `url()`, `expression()`, escapes or comments), `a[href]`, `img[src, alt,
      width, height]`, `td/th[colspan, rowspan]`. Script-like elements (`script`, `style`,
      `iframe`, `svg`, `object` ...) are removed with their content; others are unwrapped.
    - Links: only absolute http(s) URLs survive; links to mp.weixin.qq.com are kept, every other
      link is replaced by its content plus a `[n]` marker, and a "参考链接" section listing the
      URLs as plain text is appended. Repeated URLs reuse their number.
    - Images: http(s) `src` (or `data-src` when `src` is missing) are kept and listed in
      `images`; root-relative paths (`/media/...`, as Wagtail renders its images) are kept for the
      publisher to fetch and re-host; `data:` and other URLs drop the image with a warning.
    - `base_url`, when given, resolves relative links and image paths first (pass the public
      site URL so links to the agency's own pages become footnotes with full addresses).
    - `keep_links=True` keeps every http(s) link as a link (no footnotes): the form in which a
      draft is stored, so footnotes are made once, at check, preview and publish time.
    - Nesting deeper than `MAX_DEPTH` is flattened. Work is linear in the input size.
    - Idempotent: sanitising the output again returns the same `html`.
    """
    source = _decode(raw)
    markup = source.count("<")
    if markup > INPUT_MAX_MARKUP:
        raise ContentError(
            code="too_complex",
            message=_("正文标签过多：超出 %(limit)d 个标签上限 %(excess)d 个")
            % {"limit": INPUT_MAX_MARKUP, "excess": markup - INPUT_MAX_MARKUP},
            details={"limit": INPUT_MAX_MARKUP, "actual": markup, "excess": markup - INPUT_MAX_MARKUP},
        )
    prepass = _Prepass(base_url=base_url, keep_links=keep_links)
    canonical = prepass.run(source.translate(_CONTROL_CHARACTERS))
    finisher = _Finisher()
    finisher.feed(_NH3.clean(canonical))
    finisher.close()
    return finisher.result(footnotes=prepass.footnotes, notes=prepass.notes, removed=prepass.removed)


def _decode(raw: str | bytes) -> str:
    """The input as text, after the encoding and size checks (size measured in UTF-8 bytes)."""
    if isinstance(raw, bytes):
        size = len(raw)
    else:
        try:
            size = len(raw.encode("utf-8"))
        except UnicodeEncodeError as error:
            raise _invalid_encoding(error.start) from error
    if size > INPUT_MAX_BYTES:
        raise ContentError(
            code="too_large",
            message=_("正文 HTML 超出 %(limit)d 字节上限 %(excess)d 字节")
            % {"limit": INPUT_MAX_BYTES, "excess": size - INPUT_MAX_BYTES},
            details={"limit": INPUT_MAX_BYTES, "actual": size, "excess": size - INPUT_MAX_BYTES},
        )
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _invalid_encoding(error.start) from error


def _invalid_encoding(position: int) -> ContentError:
    return ContentError(
        code="invalid_encoding",
        message=_("正文不是有效的 UTF-8 文本（第 %(position)d 个位置起无法解码）") % {"position": position},
        details={"position": position},
    )


# --- attribute policy -------------------------------------------------------------------------


def _decode_attribute(value: str) -> str:
    return _ATTRIBUTE_REFERENCE.sub(lambda match: html.unescape(match.group(0)), value)


def _clean_style(value: str, notes: Counter) -> str | None:
    """Allowed declarations re-serialised as `name: value; ...`; None when nothing survives."""
    kept = []
    for declaration in value.split(";"):
        if not declaration.strip():
            continue
        name, colon, css_value = declaration.partition(":")
        name, css_value = name.strip().lower(), " ".join(css_value.split())
        if (
            colon
            and css_value
            and name in STYLE_PROPERTIES
            and _STYLE_VALUE.fullmatch(css_value)
            and all(f.lower() in _STYLE_FUNCTIONS for f in _STYLE_FUNCTION_CALL.findall(css_value))
        ):
            kept.append(f"{name}: {css_value}")
        else:
            notes["style"] += 1
    return "; ".join(kept) or None


def _clean_url(value: str, *, base_url: str | None) -> tuple[str | None, str | None]:
    """(absolute http(s) URL, None) or (root-relative path, None) or (None, reason)."""
    # As browsers do for http(s): strip surrounding C0/space, drop tab/newline, read `\` as `/`.
    url = value.strip("\x00\t\n\f\r ").translate(_URL_WHITESPACE).replace("\\", "/")
    if not url or url.startswith("#"):
        return None, "bad"
    if base_url and not _SCHEME.match(url):
        url = urljoin(base_url, url)
    url = quote(url, safe=_URL_SAFE)
    if url.lower().startswith("data:"):
        return None, "data"
    if url.startswith("/") and not url.startswith("//"):
        return url, None
    if not _HTTP_URL.match(url):
        return None, "bad"
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None, "bad"
    if not host or not _HOST.fullmatch(host):
        return None, "bad"
    return url, None


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


# --- pass 1: canonical token stream -----------------------------------------------------------


class _Prepass:
    """Tokenize hostile HTML into a balanced stream of allow-listed, attribute-checked elements.

    Stack entries are (tag, emitted, suppressing, footnote). Unemitted entries are kept so end
    tags still pair up: elements flattened for depth, elements inside a dropped one, and external
    links (which emit their footnote marker when they close). `open_tags` counts open entries per
    tag so an end tag with nothing to close is dismissed in O(1) rather than by scanning the
    stack, which would be quadratic on deep input; `emitted` lists the open emitted tags.
    """

    def __init__(self, *, base_url: str | None, keep_links: bool = False) -> None:
        self.base_url = base_url
        self.keep_links = keep_links
        self.out: list[str] = []
        self.stack: list[tuple[str, bool, bool, int]] = []
        self.open_tags: Counter = Counter()
        self.emitted: list[str] = []
        self.open_paragraphs = 0  # emitted <p> currently open
        self.suppressing = 0  # open elements whose whole content is being dropped
        self.footnotes: dict[str, int] = {}
        self.notes: Counter = Counter()
        self.removed: set[str] = set()

    def run(self, source: str) -> str:
        position, end = 0, len(source)
        while position < end:
            lt = source.find("<", position)
            if lt < 0:
                self._text(source[position:])
                break
            if lt > position:
                self._text(source[position:lt])
            position = self._markup(source, lt)
        while self.stack:
            self._pop()
        return "".join(self.out)

    def _markup(self, source: str, lt: int) -> int:
        """Handle the construct starting with `<` at `lt`; return where scanning resumes."""
        tag = _TAG.match(source, lt)
        if tag:
            if tag.group(4) is None:
                self.notes["truncated"] += 1
                return len(source)
            name = tag.group(2).lower()
            if tag.group(1):
                self._end(name)
                return tag.end()
            if name in _RAW_TEXT_TAGS:
                self.removed.add(name)
                closing = _RAW_TEXT_END[name].search(source, tag.end())
                after = _TAG.match(source, closing.start()) if closing else None
                if after is None or after.group(4) is None:
                    self.notes["truncated"] += 1
                    return len(source)
                return after.end()
            if name == "plaintext":
                self.removed.add(name)
                return len(source)
            self._start(name, tag.group(3))
            return tag.end()
        if source.startswith("<!--", lt):
            for abrupt in ("<!-->", "<!--->"):
                if source.startswith(abrupt, lt):
                    return lt + len(abrupt)
            return self._skip_past(source, "-->", lt + 4)
        if source.startswith(("<!", "<?", "</"), lt):
            # Doctype, processing instruction or `</` + non-letter: a bogus comment up to `>`.
            return self._skip_past(source, ">", lt + 2)
        self._text("<")
        return lt + 1

    def _skip_past(self, source: str, terminator: str, start: int) -> int:
        """Skip a comment-like construct; unterminated, it swallows the rest (as in browsers)."""
        close = source.find(terminator, start)
        if close < 0:
            self.notes["truncated"] += 1
            return len(source)
        return close + len(terminator)

    def _text(self, text: str) -> None:
        if not self.suppressing:
            # `&` stays as written so html5ever decodes references; `<` can no longer open a tag.
            self.out.append(text.replace("<", "&lt;"))

    def _start(self, name: str, attribute_text: str) -> None:
        if name in _DROP_WITH_CONTENT:
            self.removed.add(name)
            self._push(name, emitted=False, suppressing=True)
            return
        if name not in ALLOWED_TAGS:
            return
        if self.suppressing:
            if name not in _VOID_TAGS:
                self._push(name, emitted=False)
            return
        if self.open_paragraphs and name not in _PHRASING_TAGS:
            self._close_through("p")
        closes = _CLOSES_INNERMOST.get(name, frozenset())
        while self.emitted and self.emitted[-1] in closes:
            self._close_through(self.emitted[-1])
        attributes = self._attributes(name, attribute_text)
        if name == "a":
            self._start_link(attributes)
            return
        if name == "img" and "src" not in attributes:
            return
        rendered = "".join(f' {key}="{html.escape(value)}"' for key, value in attributes.items())
        if name in _VOID_TAGS:
            self.out.append(f"<{_PREFIX}{name}{rendered}></{_PREFIX}{name}>")
        elif len(self.emitted) >= MAX_DEPTH:
            self.notes["flattened"] += 1
            self._push(name, emitted=False)
        else:
            self.out.append(f"<{_PREFIX}{name}{rendered}>")
            self._push(name, emitted=True)

    def _start_link(self, attributes: dict[str, str]) -> None:
        """Links to WeChat articles are kept; others keep their content and get a footnote."""
        href = attributes.get("href")
        if self.open_tags["a"] or not href:
            # Nested or dead link: its content stays and its end tag closes nothing.
            return
        if _host(href) != WECHAT_LINK_HOST and not self.keep_links:
            self.notes["external_link"] += 1
            self._push("a", emitted=False, footnote=self.footnotes.setdefault(href, len(self.footnotes) + 1))
        elif len(self.emitted) >= MAX_DEPTH:
            self.notes["flattened"] += 1
            self._push("a", emitted=False)
        else:
            self.out.append(f'<{_PREFIX}a href="{html.escape(href)}">')
            self._push("a", emitted=True)

    def _end(self, name: str) -> None:
        if self.open_tags[name]:
            while self._pop()[0] != name:
                pass

    def _close_through(self, name: str) -> None:
        """Pop up to and including the innermost *emitted* `name`."""
        while self._pop() != (name, True):
            pass

    def _push(self, name: str, *, emitted: bool, suppressing: bool = False, footnote: int = 0) -> None:
        self.stack.append((name, emitted, suppressing, footnote))
        self.open_tags[name] += 1
        self.suppressing += suppressing
        if emitted:
            self.emitted.append(name)
            self.open_paragraphs += name == "p"

    def _pop(self) -> tuple[str, bool]:
        name, emitted, suppressing, footnote = self.stack.pop()
        self.open_tags[name] -= 1
        self.suppressing -= suppressing
        if emitted:
            self.emitted.pop()
            self.open_paragraphs -= name == "p"
            self.out.append(f"</{_PREFIX}{name}>")
        if footnote:
            # The marker is a <sup> unless that would exceed the depth limit.
            marker = f"[{footnote}]"
            self.out.append(f"<{_PREFIX}sup>{marker}</{_PREFIX}sup>" if len(self.emitted) < MAX_DEPTH else marker)
        return name, emitted

    def _attributes(self, name: str, attribute_text: str) -> dict[str, str]:
        """The allowed attributes of one element, decoded and checked; first occurrence wins."""
        raw: dict[str, str] = {}
        for match in _ATTRIBUTE.finditer(attribute_text):
            key = match.group(1).lower()
            if key not in raw:
                value = next((v for v in match.group(2, 3, 4) if v is not None), "")
                raw[key] = _decode_attribute(value)
        kept: dict[str, str] = {}
        if name == "a" and "href" in raw:
            url, _reason = _clean_url(raw["href"], base_url=self.base_url)
            if url is None or url.startswith("/"):
                self.notes["bad_link"] += 1
            else:
                kept["href"] = url
        elif name == "img":
            self._image_source(raw, kept)
            if "alt" in raw:
                kept["alt"] = raw["alt"]
            for key in ("width", "height"):
                if _DIMENSION.fullmatch(raw.get(key, "").strip()):
                    kept[key] = raw[key].strip()
        elif name in ("td", "th"):
            for key in ("colspan", "rowspan"):
                value = raw.get(key, "").strip()
                if _SPAN_COUNT.fullmatch(value) and 1 <= int(value) <= 1000:
                    kept[key] = value
        elif name == "section" and raw.get("class", "").strip() == FOOTNOTES_CLASS:
            kept["class"] = FOOTNOTES_CLASS
        if "style" in raw and name != "a":
            style = _clean_style(raw["style"], self.notes)
            if style:
                kept["style"] = style
        return kept

    def _image_source(self, raw: dict[str, str], kept: dict[str, str]) -> None:
        """`src`, else `data-src`: pages copied from WeChat carry the real image in `data-src` and a
        placeholder (often a `data:` GIF) in `src`. Without a usable one the image is dropped."""
        reasons = []
        for key in ("src", "data-src"):
            if raw.get(key, "").strip():
                url, reason = _clean_url(raw[key], base_url=self.base_url)
                if url is not None:
                    kept["src"] = url
                    return
                reasons.append(reason)
        self.notes["data_image" if reasons[:1] == ["data"] else "bad_image"] += 1


# --- pass 3: footnotes, images, text ----------------------------------------------------------


class _Finisher(HTMLParser):
    """Read nh3's canonical output (well-formed, only our private tags) and write the final HTML,
    listing images and collecting the plain text on the way."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.text: list[str] = []
        self.images: dict[str, ImageRef] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        name = tag.removeprefix(_PREFIX)
        if not tag.startswith(_PREFIX) or name not in ALLOWED_TAGS:
            return
        attributes = {key: value or "" for key, value in attrs}
        if name == "img":
            src = attributes.get("src", "")
            if not src:
                return
            host = _host(src)
            self.images.setdefault(src, ImageRef(src=src, hosted=host == "qpic.cn" or host.endswith(".qpic.cn")))
        if name in _BREAKS_TEXT:
            self.text.append(" ")
        rendered = "".join(f' {key}="{html.escape(value)}"' for key, value in attributes.items())
        self.out.append(f"<{name}{rendered}>")

    def handle_endtag(self, tag: str) -> None:
        name = tag.removeprefix(_PREFIX)
        if tag.startswith(_PREFIX) and name in ALLOWED_TAGS and name not in _VOID_TAGS:
            self.out.append(f"</{name}>")
            if name in _BREAKS_TEXT:
                self.text.append(" ")

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data, quote=False))
        self.text.append(data)

    def result(self, *, footnotes: dict[str, int], notes: Counter, removed: set[str]) -> SanitizeResult:
        if footnotes:
            heading = _("参考链接")
            items = "".join(f"<p>[{number}] {html.escape(url, quote=False)}</p>" for url, number in footnotes.items())
            self.out.append(
                f'<section class="{FOOTNOTES_CLASS}" style="{_FOOTNOTES_STYLE}"><p>{heading}</p>{items}</section>'
            )
            self.text.append(" " + heading + "".join(f" [{number}] {url}" for url, number in footnotes.items()))
        return SanitizeResult(
            html="".join(self.out),
            text=" ".join("".join(self.text).split()),
            images=list(self.images.values()),
            footnotes=[(number, url) for url, number in footnotes.items()],
            warnings=_warnings(notes, removed),
        )


def _warnings(notes: Counter, removed: set[str]) -> list[str]:
    messages = []
    if removed:
        messages.append(_("已移除不支持的内容（连同其中文字）：%(tags)s") % {"tags": "、".join(sorted(removed))})
    templates = {
        "data_image": _("已移除 %(count)d 张内嵌（data:）图片，请改为上传图片文件"),
        "bad_image": _("已移除 %(count)d 张地址无效的图片（只支持 http/https 图片）"),
        "bad_link": _("已移除 %(count)d 个无效或不安全的链接，保留了链接文字"),
        "external_link": _("%(count)d 处外部链接已改为文末参考链接（微信正文只允许 mp.weixin.qq.com 链接）"),
        "style": _("已移除 %(count)d 条不支持或不安全的样式"),
        "truncated": _("正文中有未闭合的标签或注释，其后的内容已忽略"),
    }
    messages.extend(template % {"count": notes[code]} for code, template in templates.items() if notes[code])
    if notes["flattened"]:
        messages.append(
            _("正文嵌套超过 %(depth)d 层，已去掉 %(count)d 个过深的标签（文字保留）")
            % {"depth": MAX_DEPTH, "count": notes["flattened"]}
        )
    return messages
