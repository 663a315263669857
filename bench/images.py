"""A 3 MB JPEG through POST /api/v1/images and on into WeChat's `media/uploadimg` on the sandbox,
against writing the same bytes to storage and posting them to the sandbox with plain httpx, in
the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/govcms DJANGO_SETTINGS_MODULE=govcms.settings.test \\
        .venv/bin/python bench/images.py [N]

Our side, per image: the API request through the whole Django stack (token auth, multipart
parsing, type check by bytes, pixel check, full decode, re-encode without metadata, storage
write, database row and ledger event in one transaction), then what publishing does with a body
image (read it back from storage, fit it to uploadimg's jpg/png under 1 MB) and the uploadimg
call. Baseline: `default_storage.save` of the original bytes and one httpx POST of them to
uploadimg (the sandbox answers 40009 for the 3 MB original after receiving it all: the baseline
measures the transfer, not a usable upload). Prints medians and the ratio. Uses a throwaway test
database and a temporary media directory.
"""

import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govcms.settings.test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from bench.scratch import scratch_database  # noqa: E402
from govcms.capabilities import SYSTEM  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10
TARGET_BYTES = 3 * 1024 * 1024
APPID, SECRET = "wxbench000000001", "bench-secret"


def three_megabyte_jpeg() -> bytes:
    """A photo-like (noisy) JPEG of at least 3 MB."""
    from PIL import Image

    width = 1600
    while True:
        out = BytesIO()
        Image.effect_noise((width, width * 3 // 4), 40).convert("RGB").save(out, format="JPEG", quality=95)
        if out.tell() >= TARGET_BYTES:
            return out.getvalue()
        width = int(width * 1.2)


def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("govcms").setLevel(logging.WARNING)
    from sandbox.server import SandboxServer

    with scratch_database("govcms_bench_images", sqlite_in_memory=False), tempfile.TemporaryDirectory() as media:
        sandbox = SandboxServer()
        sandbox.start()
        try:
            settings.MEDIA_ROOT = media
            run(sandbox)
        finally:
            sandbox.stop()


def run(sandbox) -> None:
    import httpx
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from govcms import services
    from publishing.backends import wechat
    from publishing.services import _image_from_src
    from sandbox.client import SandboxControl
    from tests.factories import UserFactory

    SandboxControl(sandbox.base_url).wechat_account(APPID, SECRET, verified=True)
    agency = services.agency_create(
        actor=SYSTEM, parent=None, name="基准省", region_code="330000", level="province", category="government_office"
    )
    editor = UserFactory(username="bench-editor")
    services.role_assign(actor=SYSTEM, user=editor, role="editor", agency=agency)
    token, _expires = services.api_token_issue(user=editor)
    client = Client(headers={"Authorization": f"Bearer {token}"})
    photo = three_megabyte_jpeg()

    http = httpx.Client(base_url=sandbox.base_url, timeout=30, trust_env=False)
    answer = http.post(
        "/cgi-bin/stable_token", json={"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
    )
    access_token = answer.json()["access_token"]

    def uploadimg(name: str, content: bytes, content_type: str) -> dict:
        response = http.post(
            "/cgi-bin/media/uploadimg",
            params={"access_token": access_token},
            files={"media": (name, content, content_type)},
        )
        return response.json()

    phases = {"api": [], "fit": [], "uploadimg": []}

    def ours() -> dict:
        started = time.perf_counter()
        response = client.post("/api/v1/images", {"file": SimpleUploadedFile("现场.jpg", photo), "title": "现场"})
        assert response.status_code == 201, response.content[:300]
        uploaded = time.perf_counter()
        image = _image_from_src(
            response.json()["url"], formats=wechat.BODY_IMAGE_FORMATS, limit=wechat.BODY_IMAGE_MAX_BYTES
        )
        fitted = time.perf_counter()
        answer = uploadimg(image.filename, image.content, image.content_type)
        assert answer.get("url"), answer
        durations = (uploaded - started, fitted - uploaded, time.perf_counter() - fitted)
        for phase, seconds in zip(phases, durations, strict=True):
            phases[phase].append(seconds)
        return {"stored": response.json()["size"], "sent": len(image.content)}

    def baseline() -> dict:
        name = default_storage.save("bench/photo.jpg", ContentFile(photo))
        answer = uploadimg("photo.jpg", photo, "image/jpeg")
        default_storage.delete(name)
        return {"errcode": answer.get("errcode")}

    ours()  # warm-up: imports, first connection, Pillow's codecs
    baseline()
    times = {"ours": [], "baseline": []}
    sizes = {}
    for _ in range(N):
        for label, step in (("ours", ours), ("baseline", baseline)):
            started = time.perf_counter()
            sizes[label] = step()
            times[label].append(time.perf_counter() - started)
    ours_ms = statistics.median(times["ours"]) * 1000
    base_ms = statistics.median(times["baseline"]) * 1000
    print(f"images: {platform.machine()} {platform.python_version()}, {connection.vendor}, N={N}")
    print(f"  input JPEG {len(photo):,} bytes; stored after re-encoding {sizes['ours']['stored']:,} bytes;")
    print(f"  sent to uploadimg {sizes['ours']['sent']:,} bytes (the baseline sends the original: sandbox errcode")
    print(f"  {sizes['baseline']['errcode']})")
    print(f"  API upload + storage read + fit + uploadimg: median {ours_ms:.1f} ms")
    print(f"  storage write + httpx uploadimg (plain):     median {base_ms:.1f} ms")
    print("  of which " + ", ".join(f"{k} {statistics.median(v[1:]) * 1000:.1f} ms" for k, v in phases.items()))
    print(f"  ratio: {ours_ms / base_ms:.1f}x")


if __name__ == "__main__":
    main()
