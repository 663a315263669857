"""POST/GET /api/v1/images: validation by bytes, re-encoding, jurisdiction, the ledger."""

from io import BytesIO

import pytest
from PIL import Image
from wagtail.images import get_image_model

from audit.models import LedgerEvent
from govcms.services import agency_collection_ensure

from .helpers import jpeg_bytes, pixel_bomb_png, png_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def stored_files(settings) -> list:
    return sorted(p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file())


def test_upload_is_reencoded_without_metadata_into_the_agency_and_ledgered(org, staff, api, settings):
    editor = api("editor")
    original = jpeg_bytes((64, 48), exif_gps=True)
    assert Image.open(BytesIO(original)).getexif(), "the test image does carry EXIF"

    response = upload(editor, original, name="现场.jpg", title="现场照片")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "title", "url", "width", "height", "size"}
    assert (body["title"], body["width"], body["height"]) == ("现场照片", 64, 48)
    image = get_image_model().objects.get(pk=body["id"])
    assert image.collection == agency_collection_ensure(agency=org.county_a1), "the caller's own agency by default"
    with image.file.open("rb") as fh:
        stored = fh.read()
    assert body["size"] == len(stored) == image.file_size
    assert len(stored_files(settings)) == 1, "the file went to the (test) media storage"
    reopened = Image.open(BytesIO(stored))
    assert reopened.format == "JPEG" and not reopened.getexif() and "exif" not in reopened.info
    assert body["url"].startswith(settings.GOVCMS_SITE_URL) and body["url"].endswith(".jpg")

    event = LedgerEvent.objects.get(action="image.uploaded", object_id=str(image.pk))
    assert event.actor == "editor" and event.scope == org.county_a1.path
    assert event.data["format"] == "JPEG" and event.data["received_bytes"] == len(original)

    listed = editor.get("/api/v1/images").json()
    assert set(listed) == {"items", "next"} and listed["next"] is None
    assert [item["id"] for item in listed["items"]] == [image.pk]


def test_png_keeps_its_format_and_transparency(org, staff, api):
    response = upload(api("editor"), png_bytes(), name="图标.png", account_id=org.acct_a1_wechat.pk)
    assert response.status_code == 201, response.content
    image = get_image_model().objects.get(pk=response.json()["id"])
    with image.file.open("rb") as fh:
        assert Image.open(fh).mode == "RGBA"


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("photo.png", b"this is a text file pretending to be a PNG\n" * 20, "unsupported_type"),
        ("bomb.png", pixel_bomb_png(), "too_many_pixels"),
        ("cut.jpg", jpeg_bytes((400, 300), noise=True)[:6000], "corrupt"),
        ("big.jpg", jpeg_bytes((400, 300), noise=True), "too_large"),
    ],
    ids=["text_named_png", "pixel_bomb", "truncated", "oversize"],
)
def test_bad_files_are_422_and_nothing_is_stored(org, staff, api, settings, name, content, code):
    settings.GOVCMS_IMAGE_MAX_BYTES = 20_000
    before = stored_files(settings)
    response = upload(api("editor"), content, name=name)
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and isinstance(error["details"], dict)
    assert not get_image_model().objects.exists()
    assert stored_files(settings) == before
    assert not LedgerEvent.objects.filter(action="image.uploaded").exists()


def test_another_countys_image_is_404_like_a_missing_one(org, staff, api):
    outsider_image = upload(api("outsider"), jpeg_bytes(), name="乙.jpg")
    assert outsider_image.status_code == 201, outsider_image.content
    foreign = outsider_image.json()["id"]
    missing = foreign + 10_000
    editor = api("editor")

    assert foreign not in [i["id"] for i in editor.get("/api/v1/images").json()["items"]]
    assert editor.get("/api/v1/images", agency_id=org.county_b1.pk).status_code == 404
    assert upload(editor, jpeg_bytes(), agency_id=org.county_b1.pk).status_code == 404

    answers = []
    for image_id in (foreign, missing):
        response = editor.post(
            "/api/v1/posts",
            {"account_id": org.acct_a1_wechat.pk, "kind": "wechat", "title": "通报", "cover_image": image_id},
        )
        answers.append((response.status_code, response.json()))
    assert answers[0] == answers[1] and answers[0][0] == 404

    weibo = editor.post("/api/v1/posts", {"account_id": org.acct_a1_weibo.pk, "kind": "weibo", "body": "通报"})
    for image_id in (foreign, missing):
        assert editor.patch(f"/api/v1/posts/{weibo.json()['id']}", {"image": image_id}).status_code == 404

    # The city's signer covers county A1's images (a subtree), never county B1's.
    own = upload(editor, jpeg_bytes()).json()["id"]
    seen = [i["id"] for i in api("signer").get("/api/v1/images").json()["items"]]
    assert own in seen and foreign not in seen


def test_who_may_upload_and_where_by_default(org, staff, api, make_user):
    make_user("auditor_city", "auditor", org.city_a)
    refused = upload(api("auditor_city"), jpeg_bytes(), agency_id=org.city_a.pk)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"

    make_user("two_hats", "editor", org.county_a1)
    from tests.factories import UserFactory, grant

    grant(UserFactory(username="two_hats"), "editor", org.county_a2)
    ambiguous = upload(api("two_hats"), jpeg_bytes())
    assert ambiguous.status_code == 422 and ambiguous.json()["error"]["code"] == "agency_required"
    assert upload(api("two_hats"), jpeg_bytes(), agency_id=org.county_a2.pk).status_code == 201
