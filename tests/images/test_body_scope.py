"""A WeChat body may not name an image of another jurisdiction, by id (the editor's image embed)
or by its media path, through the API or the Wagtail editor: the save is refused and nothing is
kept. Images already in the stored body stay allowed (a reviewer approving as it was written)."""

import json

import pytest
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file

from editorial.models import WechatArticlePage
from govcms.services import agency_collection_ensure
from tests.publishing.test_rich_text_review import editor_form

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def foreign(org):
    """An image of county B1 (another city)."""
    collection = agency_collection_ensure(agency=org.county_b1)
    return get_image_model().objects.create(title="乙一县照片", file=get_test_image_file(), collection=collection)


def create(editor, org, body, cover):
    return editor.post(
        "/api/v1/posts",
        {"account_id": org.acct_a1_wechat.pk, "kind": "wechat", "title": "通报", "author": "县融媒体中心",
         "body": body, "cover_image": cover.pk},
    )  # fmt: skip


def test_the_api_refuses_another_countys_image_in_a_body(org, staff, api, cover, foreign):
    editor = api("editor")
    missing = '<p><img src="/media/original_images/none.png"></p>'
    for body in (f'<p>看</p><p><img src="{foreign.file.url}"></p>', missing):
        refused = create(editor, org, body, cover)
        assert refused.status_code == 422, refused.content
        assert refused.json()["error"]["code"] == "image_out_of_scope"
    assert not WechatArticlePage.objects.exists()
    own = create(editor, org, f'<p><img src="{cover.file.url}"></p>', cover)
    assert own.status_code == 201, own.content
    post_id = own.json()["id"]
    patched = editor.patch(f"/api/v1/posts/{post_id}", {"body": f'<p><img src="{foreign.file.url}"></p>'})
    assert (patched.status_code, patched.json()["error"]["code"]) == (422, "image_out_of_scope")
    assert foreign.file.url not in WechatArticlePage.objects.get(pk=post_id).get_latest_revision_as_object().body


def test_the_editor_refuses_an_image_embed_of_another_county(org, staff, api, cover, foreign, admin_client_for):
    created = create(api("editor"), org, "<p>正文</p>", cover)
    post_id = created.json()["id"]
    revision = WechatArticlePage.objects.get(pk=post_id).latest_revision_id
    editor = admin_client_for(staff["editor"])
    url = f"/admin/pages/{post_id}/edit/"

    def with_image(image_id):
        form = editor_form(editor, url)
        state = json.loads(form["body"][0])
        state["blocks"].append(
            {"key": "img01", "text": " ", "type": "atomic", "depth": 0, "inlineStyleRanges": [],
             "entityRanges": [{"offset": 0, "length": 1, "key": 99}], "data": {}}
        )  # fmt: skip
        state["entityMap"]["99"] = {
            "type": "IMAGE",
            "mutability": "IMMUTABLE",
            "data": {"id": image_id, "format": "fullwidth", "alt": "图"},
        }
        form["body"] = [json.dumps(state)]
        return editor.post(url, form)

    for image_id in (foreign.pk, foreign.pk + 10_000, 10**30):  # another county's, missing, beyond any id
        refused = with_image(image_id)
        assert refused.status_code == 200 and "本辖区以外或不存在的图片" in refused.content.decode()
        assert WechatArticlePage.objects.get(pk=post_id).latest_revision_id == revision, "nothing saved"
    saved = with_image(cover.pk)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    body = WechatArticlePage.objects.get(pk=post_id).get_latest_revision_as_object().body
    assert f'id="{cover.pk}"' in body and 'embedtype="image"' in body
