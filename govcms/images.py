"""Image bytes: what govcms accepts, and what it stores and sends.

Pure functions on bytes, no database. `prepare_image` is the single gate every stored image
passes (API upload, admin upload, images fetched into a body): the type is judged from the bytes,
never the name; size and pixel count are capped by settings read at call time; the image is
fully decoded (a truncated file is refused) and re-encoded, which drops every metadata block
(EXIF with GPS and camera serials, XMP, comments, ICC profiles, PNG text chunks).
`fit_image` converts a stored image for a platform that takes fewer formats or fewer bytes.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from io import BytesIO

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, ImageSequence

logger = logging.getLogger(__name__)

# Magic numbers of the accepted formats: Pillow name → (file extension, MIME type).
FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "GIF": ("gif", "image/gif"),
    "WEBP": ("webp", "image/webp"),
}
JPEG_QUALITY = 85


class ImageRejected(ValueError):
    """Bytes that are not an acceptable image; `code` is machine-readable, `details` has numbers."""

    def __init__(self, code: str, message: str, details: dict | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


@dataclass(frozen=True)
class PreparedImage:
    """A re-encoded image ready to store: `content` in `format` (a key of FORMATS)."""

    content: bytes
    format: str
    width: int
    height: int

    @property
    def extension(self) -> str:
        return FORMATS[self.format][0]

    @property
    def content_type(self) -> str:
        return FORMATS[self.format][1]


def sniff_format(data: bytes) -> str | None:
    """The format named by the first bytes (a key of FORMATS), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def max_bytes() -> int:
    return settings.GOVCMS_IMAGE_MAX_BYTES


def prepare_image(data: bytes) -> PreparedImage:
    """Validate `data` and re-encode it in its own format without metadata.

    Raises ImageRejected with code `too_large` (over GOVCMS_IMAGE_MAX_BYTES), `unsupported_type`
    (not JPEG/PNG/GIF/WebP by its bytes), `too_many_pixels` (width × height over
    GOVCMS_IMAGE_MAX_PIXELS, judged from the header before anything is decoded) or `corrupt`
    (undecodable or truncated). Animated GIF/WebP keep their frames and timing.
    """
    limit = max_bytes()
    if len(data) > limit:
        raise ImageRejected(
            "too_large",
            _("图片超出 %(limit)d 字节上限 %(excess)d 字节") % {"limit": limit, "excess": len(data) - limit},
            {"limit": limit, "actual": len(data)},
        )
    kind = sniff_format(data)
    if kind is None:
        raise ImageRejected("unsupported_type", _("只接受 JPEG、PNG、GIF、WebP 图片（按文件内容判断）"))
    pixels_max = settings.GOVCMS_IMAGE_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            # Pillow warns on opening a header above its own ceiling; ours is lower and is checked
            # on the very next line, before anything is decoded.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(BytesIO(data), formats=[kind])
        with image:
            width, height = image.size
            if width * height > pixels_max:
                raise _too_many_pixels(width, height, pixels_max)
            content, width, height = _reencode(image, kind)
    except ImageRejected:
        raise
    except Image.DecompressionBombError as error:  # Pillow's own ceiling, above ours
        raise _too_many_pixels(0, 0, pixels_max) from error
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        logger.info("image refused as corrupt: %s", error)
        raise ImageRejected("corrupt", _("图片文件已损坏或不完整")) from error
    return PreparedImage(content=content, format=kind, width=width, height=height)


def _too_many_pixels(width: int, height: int, limit: int) -> ImageRejected:
    """`width`/`height` are 0 when Pillow refused the header before we could read them."""
    return ImageRejected(
        "too_many_pixels",
        _("图片像素过多：超出 %(limit)d 像素（宽×高）上限") % {"limit": limit},
        {"limit": limit, "actual": width * height or None},
    )


def _reencode(image: Image.Image, kind: str) -> tuple[bytes, int, int]:
    out = BytesIO()
    if getattr(image, "n_frames", 1) > 1:
        frames = [frame.copy() for frame in ImageSequence.Iterator(image)]
        for frame in frames:
            frame.info = {}
        timing = {key: image.info[key] for key in ("duration", "loop") if key in image.info}
        frames[0].save(out, format=kind, save_all=True, append_images=frames[1:], **timing)
        return out.getvalue(), frames[0].width, frames[0].height
    image.load()  # decodes every byte: a truncated file raises here
    # Photos carry their rotation in EXIF, which is dropped: apply it to the pixels first.
    clean = ImageOps.exif_transpose(image) if kind == "JPEG" else image.copy()
    clean.info = {}
    if kind == "JPEG":
        if clean.mode not in ("RGB", "L"):
            clean = clean.convert("RGB")
        clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        clean.save(out, format=kind)
    return out.getvalue(), clean.width, clean.height


def fit_image(data: bytes, *, formats: set[str], limit: int) -> PreparedImage:
    """`data` (a stored, already prepared image) in one of `formats` and under `limit` bytes.

    Returned unchanged when it already fits. Otherwise converted (transparency → PNG, else JPEG;
    an animation keeps its first frame) and, while still too large, re-compressed as JPEG and
    scaled down by a quarter at a time. Raises ImageRejected("too_large") only for an image that
    cannot fit even at 64 pixels wide.
    """
    kind = sniff_format(data)
    with Image.open(BytesIO(data)) as image:
        if kind in formats and len(data) < limit:
            return PreparedImage(content=data, format=kind, width=image.width, height=image.height)
        image.seek(0)
        frame = image.convert("RGBA") if _has_alpha(image) else image.convert("RGB")
    if frame.mode == "RGBA" and "PNG" in formats:
        out = BytesIO()
        frame.save(out, format="PNG", optimize=True)
        if out.tell() < limit:
            return PreparedImage(content=out.getvalue(), format="PNG", width=frame.width, height=frame.height)
    if frame.mode == "RGBA":
        background = Image.new("RGB", frame.size, "white")
        background.paste(frame, mask=frame.getchannel("A"))
        frame = background
    if kind == "JPEG" and len(data) >= limit:
        # Re-compressing a JPEG at the same size gives about the same bytes: start at the scale
        # whose area should fit (bytes grow roughly with area), saving a full encode.
        scale = min(1.0, 0.95 * (limit / len(data)) ** 0.5)
        frame = frame.resize(
            (max(int(frame.width * scale), 1), max(int(frame.height * scale), 1)), Image.Resampling.LANCZOS
        )
    while frame.width >= 64:
        out = BytesIO()
        frame.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        if out.tell() < limit:
            return PreparedImage(content=out.getvalue(), format="JPEG", width=frame.width, height=frame.height)
        frame = frame.resize((frame.width * 3 // 4, max(frame.height * 3 // 4, 1)), Image.Resampling.LANCZOS)
    raise ImageRejected("too_large", _("图片无法压缩到平台允许的大小"), {"limit": limit})


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
