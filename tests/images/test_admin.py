"""Editors upload and choose images in the Wagtail admin, within their jurisdiction only."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from wagtail.images import get_image_model

from audit.models import LedgerEvent
from govcms.services import agency_collection_ensure

from .helpers import jpeg_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_editor_uploads_in_the_admin_and_sees_only_their_jurisdiction(org, staff, api, admin_client_for):
    foreign = upload(api("outsider"), jpeg_bytes(), name="b.jpg", title="乙一县专用图").json()["id"]
    own_collection = agency_collection_ensure(agency=org.county_a1)
    foreign_collection = agency_collection_ensure(agency=org.county_b1)
    editor = staff["editor"]
    client = admin_client_for(editor)

    assert client.get("/admin/images/multiple/add/").status_code == 200
    response = client.post(
        "/admin/images/multiple/add/",
        {"files[]": SimpleUploadedFile("甲一县现场.jpg", jpeg_bytes(exif_gps=True)), "title": "甲一县现场"},
    )
    assert response.status_code == 200 and response.json()["success"], response.content[:500]
    image = get_image_model().objects.get(uploaded_by_user=editor)
    assert image.collection == own_collection
    with image.file.open("rb") as fh:
        assert not Image.open(BytesIO(fh.read())).getexif(), "re-encoded like an API upload"
    event = LedgerEvent.objects.get(action="image.uploaded", object_id=str(image.pk))
    assert event.actor == "editor" and event.scope == org.county_a1.path and event.data["via"] == "admin"

    refused = client.post(
        "/admin/images/multiple/add/",
        {"files[]": SimpleUploadedFile("x.png", b"not an image at all" * 10), "title": "伪图"},
    )
    assert not refused.json()["success"]
    client.post(
        "/admin/images/multiple/add/",
        {"files[]": SimpleUploadedFile("越界.jpg", jpeg_bytes()), "collection": str(foreign_collection.pk)},
    )
    assert not get_image_model().objects.filter(collection=foreign_collection, uploaded_by_user=editor).exists()

    listing = client.get("/admin/images/").content.decode()
    assert "甲一县现场" in listing and "乙一县专用图" not in listing
    chooser = client.get("/admin/images/chooser/").json()["html"]
    assert "甲一县现场" in chooser and "乙一县专用图" not in chooser
    assert client.get(f"/admin/images/{foreign}/").status_code == 404
