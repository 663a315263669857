"""The image chooser modal of the post editor (the cover field, the rich-text image button),
through the real Wagtail admin: an editor uploads from inside it into their agency's collection
(re-encoded and ledgered), the modal lists only their jurisdiction's images, and a refused upload
(not an image, a pixel bomb, too many bytes) is answered in Chinese in the modal with nothing
stored — no 500."""

import re
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from wagtail.images import get_image_model

from audit.models import LedgerEvent
from govcms.services import agency_collection_ensure

from .helpers import jpeg_bytes, pixel_bomb_png, upload

pytestmark = pytest.mark.django_db

CHOOSER = "/admin/images/chooser/"
CREATE = "/admin/images/chooser/create/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def chooser_upload(client, content: bytes, *, name="现场.jpg", title="现场", query="", **extra):
    data = {"image-chooser-upload-file": SimpleUploadedFile(name, content), "image-chooser-upload-title": title}
    data.update(extra)
    return client.post(CREATE + query, data)


def modal_errors(response) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    answer = response.json()
    assert answer["step"] == "reshow_creation_form", answer
    return [e.strip() for e in re.findall(r'class="error-message">([^<]*)<', answer["htmlFragment"])]


def test_upload_in_the_chooser_lands_in_the_agency_collection(org, staff, api, admin_client_for):
    foreign = upload(api("outsider"), jpeg_bytes(), name="b.jpg", title="乙一县专用图").json()["id"]
    client = admin_client_for(staff["editor"])
    modal = client.get(CHOOSER).json()["html"]
    assert "data-chooser-modal-creation-form" in modal and 'action="/admin/images/chooser/create/"' in modal
    assert "乙一县专用图" not in modal

    # The cover field's chooser: the upload is chosen at once.
    cover = chooser_upload(client, jpeg_bytes(exif_gps=True), title="甲一县封面")
    assert cover.status_code == 200 and cover.json()["step"] == "chosen", cover.content[:500]
    image = get_image_model().objects.get(pk=cover.json()["result"]["id"])
    assert image.collection == agency_collection_ensure(agency=org.county_a1)
    with image.file.open("rb") as fh:
        assert not Image.open(BytesIO(fh.read())).getexif(), "re-encoded without metadata"
    event = LedgerEvent.objects.get(action="image.uploaded", object_id=str(image.pk))
    assert event.actor == "editor" and event.scope == org.county_a1.path

    # The rich-text image button's chooser: the upload goes on to the format step.
    body = chooser_upload(client, jpeg_bytes(size=(80, 60)), title="正文配图", query="?select_format=true")
    assert body.json()["step"] == "select_format", body.content[:300]
    assert get_image_model().objects.get(title="正文配图").collection == image.collection

    # A collection named in the post (another county's) is not where it lands.
    foreign_collection = agency_collection_ensure(agency=org.county_b1)
    chooser_upload(
        client,
        jpeg_bytes(size=(90, 60)),
        title="越界",
        **{"image-chooser-upload-collection": str(foreign_collection.pk)},
    )
    assert (
        not get_image_model().objects.filter(collection=foreign_collection, uploaded_by_user=staff["editor"]).exists()
    )

    listing = client.get(CHOOSER).json()["html"]
    assert "甲一县封面" in listing and "正文配图" in listing and "乙一县专用图" not in listing
    searched = client.get(CHOOSER + "results/", {"q": "专用图"}).content.decode()
    assert "乙一县专用图" not in searched
    assert client.get(f"{CHOOSER}{foreign}/").status_code == 404
    assert client.get(f"{CHOOSER}{foreign}/select_format/").status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("伪装.jpg", b"<?php system($_GET['c']); ?>" * 20, "只接受 JPEG、PNG、GIF、WebP 图片"),
        ("炸弹.png", pixel_bomb_png(), "图片像素过多"),
        ("截断.jpg", jpeg_bytes(size=(300, 200), noise=True)[:1500], "图片文件已损坏或不完整"),
    ],
)
def test_refused_uploads_say_why_in_chinese_in_the_modal(org, staff, admin_client_for, name, content, message):
    client = admin_client_for(staff["editor"])
    images, events = get_image_model().objects.count(), LedgerEvent.objects.count()
    errors = modal_errors(chooser_upload(client, content, name=name, title="坏图"))
    assert any(message in error for error in errors), errors
    assert (get_image_model().objects.count(), LedgerEvent.objects.count()) == (images, events)


def test_oversize_upload_is_refused_in_the_modal(org, staff, admin_client_for, settings):
    settings.GOVCMS_IMAGE_MAX_BYTES = 20_000
    client = admin_client_for(staff["editor"])
    big = jpeg_bytes(size=(400, 300), noise=True, quality=95)
    assert len(big) > 20_000
    errors = modal_errors(chooser_upload(client, big, name="大图.jpg"))
    assert any("图片超出 20000 字节上限" in error for error in errors), errors
    assert not get_image_model().objects.exists()
