"""Image bytes for the image tests, and a multipart upload through the API client."""

import struct
import zlib
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def jpeg_bytes(size=(64, 48), *, exif_gps=False, quality=90, noise=False) -> bytes:
    image = Image.effect_noise(size, 60).convert("RGB") if noise else Image.new("RGB", size, (200, 30, 30))
    out = BytesIO()
    extra = {}
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "SecretCam"  # Make
        exif[0x8825] = {1: "N", 2: (30.0, 15.0, 0.0)}  # GPS IFD: latitude
        extra["exif"] = exif.tobytes()
    image.save(out, format="JPEG", quality=quality, **extra)
    return out.getvalue()


def png_bytes(size=(40, 30)) -> bytes:
    out = BytesIO()
    Image.new("RGBA", size, (0, 128, 255, 128)).save(out, format="PNG")
    return out.getvalue()


def pixel_bomb_png(side=10_000) -> bytes:
    """A PNG whose header claims side × side pixels, in a few dozen bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


def upload(client, content: bytes, name="photo.jpg", **fields):
    """POST /api/v1/images as multipart with `client` (a tests.conftest.ApiClient)."""
    data = {"file": SimpleUploadedFile(name, content), **{k: str(v) for k, v in fields.items()}}
    return client.client.post("/api/v1/images", data, headers=client._headers())
