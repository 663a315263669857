"""The composer's helpers under the admin (editorial.admin.drafting): the live checks of a post
not saved yet, and images dropped or pasted into a WeChat body. Through the real admin (session,
CSRF), scoped to the jurisdiction (outside: 404 as for a missing account), nothing kept by a check."""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from wagtail.images import get_image_model
from wagtail.models import Page

from audit.models import LedgerEvent
from editorial.models import CheckRun, LexiconEntry
from govcms.services import agency_collection_ensure
from tests.factories import PASSWORD
from tests.images.helpers import jpeg_bytes, pixel_bomb_png

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def check_url(account) -> str:
    return f"/admin/editorial/compose/{account.pk}/check/"


def upload_url(account) -> str:
    return f"/admin/editorial/compose/{account.pk}/images/"


def post_json(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def test_checks_run_before_the_first_save_and_keep_nothing(org, staff, leaders, cover, admin_client_for):
    LexiconEntry.objects.create(term="内部消息", category="sensitive", severity="block", suggestion="公开信息")
    client = admin_client_for(staff["editor"])
    add = client.get(f"/admin/pages/add/editorial/wechatarticlepage/{org.acct_a1_wechat.pk}/").content.decode()
    assert check_url(org.acct_a1_wechat) in add and upload_url(org.acct_a1_wechat) in add, (
        "the composer config names both"
    )
    runs, events, posts = CheckRun.objects.count(), LedgerEvent.objects.count(), Page.objects.count()

    typed = "<p>据内部消息，市长张三今日到访。</p>"
    answer = post_json(
        client, check_url(org.acct_a1_wechat), {"title": "到访", "body": typed, "author": "县融媒体中心"}
    )
    assert answer.status_code == 200, answer.content
    result = answer.json()
    assert result["blocking"] is True
    rules = {f["matched"]: f for f in result["checks"]}
    assert "内部消息" in rules and "市长张三" in rules
    term = rules["内部消息"]
    assert result["text"][term["start"] : term["end"]] == "内部消息" and term["suggestion"] == "公开信息"
    assert any(f["rule"] == "limit_required" and f["field"] == "cover" for f in result["checks"]), [
        f["rule"] for f in result["checks"]
    ]

    fixed = post_json(
        client,
        check_url(org.acct_a1_wechat),
        {
            "title": "到访",
            "body": "<p>据公开信息，省长张三今日到访。</p>",
            "author": "县融媒体中心",
            "cover_image": cover.pk,
        },
    ).json()
    assert fixed["blocking"] is False, fixed["checks"]
    assert (CheckRun.objects.count(), LedgerEvent.objects.count(), Page.objects.count()) == (runs, events, posts)

    # A Weibo account: the same gates, the status's link counted.
    weibo = post_json(client, check_url(org.acct_a1_weibo), {"body": "内部消息" * 80}).json()
    assert weibo["blocking"] and any(f["rule"].startswith("limit_") for f in weibo["checks"])
    # A field the platform does not have is refused as a save would refuse it.
    assert post_json(client, check_url(org.acct_a1_weibo), {"digest": "摘要"}).status_code == 422
    assert post_json(client, check_url(org.acct_a1_weibo), {"body": 5}).status_code == 422


def test_check_and_upload_are_scoped_and_csrf_protected(org, staff, make_user, admin_client_for):
    foreign = org.acct_b1_wechat
    client = admin_client_for(staff["editor"])
    assert post_json(client, check_url(foreign), {"body": "<p>x</p>"}).status_code == 404
    assert client.post(upload_url(foreign), {"file": SimpleUploadedFile("a.jpg", jpeg_bytes())}).status_code == 404
    assert post_json(client, "/admin/editorial/compose/999999/check/", {"body": "x"}).status_code == 404
    assert client.get(check_url(org.acct_a1_wechat)).status_code == 405
    # Inside the jurisdiction but not a writer: refused (403), in JSON.
    reviewer = admin_client_for(staff["reviewer"])
    refused = post_json(reviewer, check_url(org.acct_a1_wechat), {"body": "<p>x</p>"})
    assert refused.status_code == 403 and refused.json()["error"]["message"]
    # Another county's cover id is a missing one.
    outsider_image = get_image_model().objects.create(
        title="乙一县图",
        file=SimpleUploadedFile("b.jpg", jpeg_bytes()),
        collection=agency_collection_ensure(agency=org.county_b1),
    )
    assert post_json(client, check_url(org.acct_a1_wechat), {"cover_image": outsider_image.pk}).status_code == 404

    # Without the CSRF token (a browser's session alone), the admin refuses.
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/admin/login/", {"username": "editor", "password": PASSWORD}).status_code in (302, 403)
    strict.force_login(staff["editor"])
    assert post_json(strict, check_url(org.acct_a1_wechat), {"body": "<p>x</p>"}).status_code == 403
    no_token = strict.post(upload_url(org.acct_a1_wechat), {"file": SimpleUploadedFile("a.jpg", jpeg_bytes())})
    assert (
        no_token.status_code == 403 and not get_image_model().objects.filter(uploaded_by_user=staff["editor"]).exists()
    )


def test_dropped_image_lands_in_the_agency_collection_as_an_editor_image(org, staff, admin_client_for):
    client = admin_client_for(staff["editor"])
    response = client.post(
        upload_url(org.acct_a1_wechat), {"file": SimpleUploadedFile("现场照片.jpg", jpeg_bytes(exif_gps=True))}
    )
    assert response.status_code == 201, response.content
    data = response.json()
    image = get_image_model().objects.get(pk=data["id"])
    assert image.collection == agency_collection_ensure(agency=org.county_a1) and image.title == "现场照片"
    assert data["format"] == "fullwidth" and data["src"].startswith("/media/") and data["alt"] == "现场照片"
    event = LedgerEvent.objects.get(action="image.uploaded", object_id=str(image.pk))
    assert event.actor == "editor" and event.scope == org.county_a1.path and event.data["received_bytes"] > 0


@pytest.mark.parametrize(
    ("content", "code", "message"),
    [
        (b"%PDF-1.4 not an image" * 10, "unsupported_type", "只接受 JPEG、PNG、GIF、WebP 图片"),
        (pixel_bomb_png(), "too_many_pixels", "图片像素过多"),
    ],
)
def test_refused_drops_say_why_in_chinese(org, staff, admin_client_for, content, code, message):
    client = admin_client_for(staff["editor"])
    response = client.post(upload_url(org.acct_a1_wechat), {"file": SimpleUploadedFile("x.png", content)})
    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == code and message in response.json()["error"]["message"]
    assert not get_image_model().objects.exists() and not LedgerEvent.objects.filter(action="image.uploaded").exists()


def test_drops_are_bounded_by_the_settings(org, staff, admin_client_for, settings):
    client = admin_client_for(staff["editor"])
    settings.GOVCMS_IMAGE_MAX_BYTES = 1_000
    response = client.post(
        upload_url(org.acct_a1_wechat), {"file": SimpleUploadedFile("big.jpg", jpeg_bytes(size=(200, 200), noise=True))}
    )
    assert response.status_code == 422 and response.json()["error"]["code"] == "too_large"
    assert "字节上限" in response.json()["error"]["message"]
    settings.GOVCMS_MAX_UPLOAD_BYTES = 2_000  # the whole request, refused before it is read
    response = client.post(
        upload_url(org.acct_a1_wechat), {"file": SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"0" * 5_000)}
    )
    assert response.status_code == 413
    assert not get_image_model().objects.exists()
    assert client.post(upload_url(org.acct_a1_wechat), {}).status_code == 422


def test_the_composer_names_the_accounts_agency_collection(org, make_user, admin_client_for):
    """A city's editor may add images to the city's and each county's collection: the chooser opened
    from a county account's post preselects the county's (collection.js reads it from the config)."""
    city_editor = make_user("city_editor", "editor", org.city_a)
    html = admin_client_for(city_editor).get(f"/admin/pages/add/editorial/wechatarticlepage/{org.acct_a1_wechat.pk}/")
    config = json.loads(re.search(r'id="govcms-composer-config"[^>]*>(.*?)</script>', html.content.decode()).group(1))
    assert config["collection"] == agency_collection_ensure(agency=org.county_a1).pk
    assert "editorial/collection.js" in html.content.decode()
    modal = admin_client_for(city_editor).get("/admin/images/chooser/").json()["html"]
    offered = re.findall(
        r'<option value="(\d+)"', modal.split('name="image-chooser-upload-collection"')[1].split("</select>")[0]
    )
    assert str(config["collection"]) in offered and len(offered) > 1, "the city's editor has a choice to preselect in"
