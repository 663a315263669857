"""Platform limits for Weibo posts and WeChat articles: pure functions the post models call.

Facts come from docs/platforms.md. Every limit is a module constant `NAME` that a Django setting
`GOVCMS_NAME` overrides, read at call time (so `override_settings` and per-deployment tuning work
without a restart of anything but the process). Errors are `LimitError`s: which field, which
limit, the measured value and the excess, with a Chinese message saying the same.

Counting rules, where the platforms leave room for doubt, err on the side of refusing here rather
than being refused by the platform after a post has been approved:

- Weibo weighted length: an ASCII character counts ½, any other character 1 per UTF-16 code unit
  (so CJK counts 1 and an emoji outside the BMP counts 2, as Sina's own web counter, written in
  JavaScript, counts it). A URL counts the larger of its own weight and `WEIBO_URL_WEIGHT`, the
  weight of the t.cn short link Weibo may replace it with: whether `statuses/share` measures the
  long URL or the short link is not documented, and the larger of the two is safe either way.
- WeChat character limits count UTF-16 code units as well (the length the mp.weixin.qq.com editor
  shows); for Chinese text this is simply the number of characters.
- WeChat body: "< 20,000 characters and < 1 MB" is applied to the sanitised HTML that will be
  sent (tags and inline styles included), the literal reading of the API documentation for the
  `content` field. With the default character limit the byte limit cannot bind (19,999 UTF-16
  units are at most 79,996 UTF-8 bytes); it is kept because it is the platform's second rule and
  binds as soon as a deployment raises `GOVCMS_WECHAT_BODY_MAX_CHARS`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from .sanitize import ContentError, sanitize_wechat_html

WEIBO_TEXT_MAX = 140  # weighted characters of the whole status, appended link included
WEIBO_IMAGES_MAX = 1
# Weight of a t.cn short link: "https://t.cn/" plus 8 characters is 21 ASCII characters (Sina's
# legacy counter used 20 bytes, i.e. 10); not a setting because it describes the platform.
WEIBO_URL_WEIGHT = 10.5
WECHAT_TITLE_MAX = 32
WECHAT_AUTHOR_MAX = 16
WECHAT_DIGEST_MAX = 128
WECHAT_DIGEST_DEFAULT_CHARS = 54  # what WeChat itself takes when the digest is left empty
WECHAT_BODY_MAX_CHARS = 19_999  # "< 20,000 characters"
WECHAT_BODY_MAX_BYTES = 999_999  # "< 1 MB", read as 10^6 bytes, the stricter reading

# URLs as Sina's counter recognises them: a scheme and a run of ASCII URL characters.
_WEIBO_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+", re.IGNORECASE)
_URL_SAFE = "!#$%&'()*+,-./:;=?@[]~_"


@dataclass(frozen=True)
class LimitError:
    """One violated rule. `limit` is the largest permitted value, `actual` what was measured and
    `excess` = actual - limit; all three are None for rules without a number (a missing cover)."""

    field: str
    code: str
    message: str
    limit: float | None = None
    actual: float | None = None
    excess: float | None = None

    def __post_init__(self) -> None:
        # Derived, so no caller has to repeat the subtraction.
        if self.excess is None and self.limit is not None and self.actual is not None:
            object.__setattr__(self, "excess", self.actual - self.limit)


def weibo_weighted_length(text: str) -> float:
    """Weibo's weighted length of `text`: ASCII ½, other characters 1 per UTF-16 code unit, each
    URL max(its own weight, `WEIBO_URL_WEIGHT`). Always a multiple of ½; compare it with the limit
    as is (140.5 exceeds 140, as Sina's rounding up to 141 does)."""
    halves = 0
    position = 0
    for match in _WEIBO_URL.finditer(text):
        halves += _halves(text[position : match.start()]) + max(len(match.group()), round(WEIBO_URL_WEIGHT * 2))
        position = match.end()
    halves += _halves(text[position:])
    return halves / 2


def counter_rules() -> dict:
    """The counting rules as data, for the editor's live counter (`editorial/static/editorial/
    counter.js`): the limits in force (settings included) and the URL pattern. The script reads
    them from the page and applies the same algorithm as `weibo_weighted_length` and `_too_long`;
    this is the single place the numbers come from (tests run the script under node against
    `weibo_weighted_length` on a table of cases)."""
    return {
        "weibo": {
            "max": _limit("WEIBO_TEXT_MAX", WEIBO_TEXT_MAX),
            "url_halves": round(WEIBO_URL_WEIGHT * 2),
            "url_pattern": _WEIBO_URL.pattern,
        },
        "wechat": {
            "title": _limit("WECHAT_TITLE_MAX", WECHAT_TITLE_MAX),
            "author": _limit("WECHAT_AUTHOR_MAX", WECHAT_AUTHOR_MAX),
            "digest": _limit("WECHAT_DIGEST_MAX", WECHAT_DIGEST_MAX),
            "body": _limit("WECHAT_BODY_MAX_CHARS", WECHAT_BODY_MAX_CHARS),
        },
    }


def weibo_status_text(*, body: str, link: str) -> str:
    """The `status` sent to `statuses/share`: the body, a space, and the safe-domain link.

    Surrounding whitespace of both is dropped; the link is percent-encoded where needed (a
    Chinese slug, a space) so Weibo recognises all of it as one URL on the safe domain. An empty
    body gives the link alone.
    """
    body = body.strip()
    link = _encode_url(link)
    return f"{body} {link}" if body else link


def validate_weibo(*, body: str, link: str, image_count: int) -> list[LimitError]:
    """Every Weibo rule `body` + `link` + `image_count` break; empty when the post can be shared.

    Checks that the link is an absolute http(s) URL (the safe-domain link is mandatory: 10017),
    that the composed status (`weibo_status_text`) stays within `WEIBO_TEXT_MAX` weighted
    characters, and that there are at most `WEIBO_IMAGES_MAX` images. Whether the link's host is
    the app's registered safe domain is the publishing backend's business; it knows the app.
    A negative `image_count` is a programming error (ValueError).
    """
    if image_count < 0:
        raise ValueError("image_count must not be negative")
    errors: list[LimitError] = []
    encoded_link = _encode_url(link)
    if not encoded_link:
        errors.append(LimitError(field="link", code="required", message=_("微博必须附带本站全文链接")))
    elif not (_WEIBO_URL.fullmatch(encoded_link) and _hostname(encoded_link)):
        errors.append(
            LimitError(field="link", code="invalid", message=_("全文链接必须是 http 或 https 开头的完整网址"))
        )
    limit = _limit("WEIBO_TEXT_MAX", WEIBO_TEXT_MAX)
    length = weibo_weighted_length(weibo_status_text(body=body, link=link))
    if length > limit:
        errors.append(
            LimitError(
                field="body",
                code="too_long",
                message=_("微博正文（含全文链接）超出 %(limit)s 字限制 %(excess)s 字（汉字计 1 字，英文、数字计半字）")
                % {"limit": _number(limit), "excess": _number(length - limit)},
                limit=limit,
                actual=length,
            )
        )
    images_max = _limit("WEIBO_IMAGES_MAX", WEIBO_IMAGES_MAX)
    if image_count > images_max:
        errors.append(
            LimitError(
                field="images",
                code="too_many",
                message=_("微博图片超出 %(limit)d 张限制 %(excess)d 张")
                % {"limit": images_max, "excess": image_count - images_max},
                limit=images_max,
                actual=image_count,
            )
        )
    return errors


def validate_wechat(
    *,
    title: str,
    author: str,
    digest: str,
    body_html: str,
    cover_present: bool,
    is_repost: bool,
    repost_source: str,
) -> list[LimitError]:
    """Every WeChat rule the article breaks; empty when it can be sent to `draft/add`.

    - title required, at most `WECHAT_TITLE_MAX`; author at most `WECHAT_AUTHOR_MAX`; digest at
      most `WECHAT_DIGEST_MAX` (empty is fine: `default_digest` fills it);
    - `body_html` is sanitised here (`sanitize_wechat_html`) and the result measured, because that
      is what gets sent: it must not be empty and must stay within `WECHAT_BODY_MAX_CHARS`
      characters and `WECHAT_BODY_MAX_BYTES` UTF-8 bytes. Input the sanitiser refuses (invalid
      encoding, too large, too complex) is reported as a `LimitError` on "body", never raised.
      Image URLs change when images are re-hosted at publish time; mmbiz URLs are typically
      longer than local ones, so a body at the very edge may still need trimming then;
    - a cover is required; a repost needs its source.
    """
    errors: list[LimitError] = []
    if not title.strip():
        errors.append(LimitError(field="title", code="required", message=_("请填写标题")))
    errors += _too_long("title", _("标题"), title, _limit("WECHAT_TITLE_MAX", WECHAT_TITLE_MAX))
    errors += _too_long("author", _("作者"), author, _limit("WECHAT_AUTHOR_MAX", WECHAT_AUTHOR_MAX))
    errors += _too_long("digest", _("摘要"), digest, _limit("WECHAT_DIGEST_MAX", WECHAT_DIGEST_MAX))
    errors += _body_errors(body_html)
    if not cover_present:
        errors.append(LimitError(field="cover", code="required", message=_("请设置封面图片（微信文章必须有封面）")))
    if is_repost and not repost_source.strip():
        errors.append(LimitError(field="repost_source", code="required", message=_("转载文章须注明转载来源")))
    return errors


def default_digest(body_text: str) -> str:
    """The digest WeChat uses when none is given: the first `WECHAT_DIGEST_DEFAULT_CHARS`
    characters of the body's plain text, whitespace runs collapsed to one space."""
    return " ".join(body_text.split())[:WECHAT_DIGEST_DEFAULT_CHARS]


# --- helpers ----------------------------------------------------------------------------------


def _limit(name: str, default: int) -> int:
    """`settings.GOVCMS_<name>` if set, else `default`; read at call time."""
    value = getattr(settings, f"GOVCMS_{name}", default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ImproperlyConfigured(f"GOVCMS_{name} must be a non-negative integer, not {value!r}")
    return value


def _halves(text: str) -> int:
    """Weight of URL-free text in half characters."""
    units = len(text.encode("utf-16-le", "surrogatepass")) // 2
    ascii_count = sum(1 for character in text if character < "\x80")
    return ascii_count + 2 * (units - ascii_count)


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _encode_url(url: str) -> str:
    return quote(url.strip(), safe=_URL_SAFE)


def _hostname(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _number(value: float) -> str:
    """140.0 -> "140", 0.5 -> "0.5": weighted lengths are multiples of one half."""
    return f"{value:g}"


def _too_long(field: str, label: str, value: str, limit: int) -> list[LimitError]:
    length = _utf16_length(value)
    if length <= limit:
        return []
    return [
        LimitError(
            field=field,
            code="too_long",
            message=_("%(label)s超出 %(limit)d 字限制 %(excess)d 字")
            % {"label": label, "limit": limit, "excess": length - limit},
            limit=limit,
            actual=length,
        )
    ]


def _body_errors(body_html: str) -> list[LimitError]:
    try:
        result = sanitize_wechat_html(body_html)
    except ContentError as error:
        return [
            LimitError(
                field="body",
                code=error.code,
                message=error.message,
                limit=error.details.get("limit"),
                actual=error.details.get("actual"),
                excess=error.details.get("excess"),
            )
        ]
    if not result.text and not result.images:
        return [LimitError(field="body", code="required", message=_("正文不能为空"))]
    errors = []
    chars_max = _limit("WECHAT_BODY_MAX_CHARS", WECHAT_BODY_MAX_CHARS)
    chars = _utf16_length(result.html)
    if chars > chars_max:
        errors.append(
            LimitError(
                field="body",
                code="too_long",
                message=_("正文超出 %(limit)d 字符上限 %(excess)d 字符（按清理后的 HTML 计，含标签和样式）")
                % {"limit": chars_max, "excess": chars - chars_max},
                limit=chars_max,
                actual=chars,
            )
        )
    bytes_max = _limit("WECHAT_BODY_MAX_BYTES", WECHAT_BODY_MAX_BYTES)
    size = len(result.html.encode("utf-8"))
    if size > bytes_max:
        errors.append(
            LimitError(
                field="body",
                code="too_large",
                message=_("正文超出 %(limit)d 字节上限 %(excess)d 字节")
                % {"limit": bytes_max, "excess": size - bytes_max},
                limit=bytes_max,
                actual=size,
            )
        )
    return errors


# A post not saved yet has no id; its link is measured with an id this long (links only grow with ids).
PLACEHOLDER_POST_ID = 10**7


def post_public_link(post) -> str:
    """The short, stable address of the post's full text on the agency site (`/p/<id>/`): the
    safe-domain link every Weibo share carries and the WeChat article's "阅读原文"."""
    return f"{settings.GOVCMS_SITE_URL.rstrip('/')}/p/{post.pk}/"
