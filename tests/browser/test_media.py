"""Writing a WeChat article with its images, in Chromium, in zh-hans (see conftest.py for the
machinery): the live checks before the first save, a cover uploaded in the chooser modal, a body
image dropped into the body, all into the agency's collection."""

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file

from audit.models import LedgerEvent
from editorial.models import LexiconEntry, WechatArticlePage
from govcms.services import agency_collection_ensure
from tests.browser import flows

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True), pytest.mark.real_clock]

TITLE = "全县冬季防火工作部署"
FLAGGED = "据内部消息，全县部署冬季防火工作。"
FIXED = "据县应急管理局消息，全县部署冬季防火工作。"


def serve_media(page, root: Path):
    """The uploaded images for the screenshots: the live server serves no media (as in production,
    where the web server does), so the browser gets them from this test's MEDIA_ROOT."""

    def fulfil(route):
        name = unquote(urlsplit(route.request.url).path).removeprefix("/media/")
        file = Path(root) / name
        if ".." in Path(name).parts or not file.is_file():
            route.fulfill(status=404)
        else:
            route.fulfill(path=str(file))

    page.route(re.compile(r"^[^?#]*/media/"), fulfil)


def test_article_with_checks_before_saving_a_cover_and_a_dropped_image(org, staff, browse, tmp_path, settings):
    """The editor opens 写微信文章, types a term the lexicon blocks and sees the blocking check
    before anything is saved, fixes it, uploads a cover in the chooser modal, drops a photo into
    the body (上传中, then inserted; a dropped text file is refused in Chinese), saves: the stored
    body holds the image, and both images are in county A1's collection."""
    # Wagtail's autosave would create the post half a second after the first keystroke: without
    # it the form stays a post that does not exist until 保存草稿, which is what is tested here.
    settings.WAGTAIL_AUTOSAVE_INTERVAL = 0
    settings.MEDIA_ROOT = tmp_path / "media"
    LexiconEntry.objects.create(term="内部消息", category="sensitive", severity="block", suggestion="公开信息来源")
    account = org.acct_a1_wechat
    editor = browse(staff["editor"], "media")
    page = editor.page
    serve_media(page, settings.MEDIA_ROOT)

    editor.visit(flows.add_url("wechatarticlepage", account), "new wechat article")
    form = page.locator(flows.EDIT_FORM)
    form.locator("[name=title]").fill(TITLE)
    form.locator("[name=author]").fill("县融媒体中心")
    check_path = f"/admin/editorial/compose/{account.pk}/check/"
    with page.expect_response(lambda r: r.url.endswith(check_path) and r.request.method == "POST") as checked:
        flows.type_in_body(editor, FLAGGED)
    assert checked.value.status == 200
    finding = flows.live_finding(editor, "sensitive_word")
    finding.wait_for()
    assert (
        "block" in finding.get_attribute("class")
        and "内部消息" in page.locator("#govcms-live-checks mark").first.inner_text()
    )
    assert not WechatArticlePage.objects.exists(), "checked before the first save"
    page.locator("#govcms-live-checks").scroll_into_view_if_needed()
    editor.shoot("blocking check before saving")

    flows.type_in_body(editor, FIXED, replace=True)
    finding.wait_for(state="detached")
    editor.shoot("fixed")

    flows.upload_cover(editor, tmp_path, f"{TITLE}封面")

    # A photo dropped at the end of the first paragraph: uploaded (上传中), inserted as an image.
    photo = get_test_image_file(filename="现场.png", colour="#2a6ebb", size=(640, 360)).file.getvalue()
    states = flows.drop_file(editor, name="现场.png", content=photo, mime="image/png")
    assert states[0] == "uploading" and states[-1] == "done", states
    flows.body_editor(editor).locator("img").first.wait_for()
    page.locator("#govcms-drop-status").scroll_into_view_if_needed()
    editor.shoot("image dropped into the body")
    # Not an image: refused, the reason in Chinese under the body, nothing inserted.
    states = flows.drop_file(editor, name="说明.txt", content="这不是图片".encode() * 50, mime="text/plain")
    assert states[-1] == "failed", states
    refusal = page.locator("#govcms-drop-status [data-state=failed]").last.inner_text()
    assert "说明.txt" in refusal and "只接受 JPEG、PNG、GIF、WebP 图片" in refusal, refusal
    assert flows.body_editor(editor).locator("img").count() == 1
    page.locator("#govcms-drop-status").scroll_into_view_if_needed()
    editor.shoot("text file refused")
    # A screenshot pasted from the clipboard: the same upload, inserted at the cursor.
    pasted = get_test_image_file(filename="截图.png", colour="#c0392b", size=(320, 200)).file.getvalue()
    states = flows.paste_file(editor, name="截图.png", content=pasted, mime="image/png")
    assert states[0] == "uploading" and states[-1] == "done", states
    flows.body_editor(editor).locator("img").nth(1).wait_for()
    # The editor hands its state to the form's field a moment after a change.
    page.wait_for_function(
        "() => document.querySelector('form#page-edit-form input[name=body]').value.split('\"IMAGE\"').length === 3"
    )
    flows.save_draft(editor, "article saved")

    article = WechatArticlePage.objects.get()
    collection = agency_collection_ensure(agency=org.county_a1)
    dropped = get_image_model().objects.get(title="现场")
    assert dropped.collection == collection and article.cover_image.collection == collection
    assert re.search(rf'<embed[^>]*embedtype="image"[^>]*id="{dropped.pk}"', article.body), article.body
    assert "县应急管理局" in article.body and "内部消息" not in article.body
    # Before the image, the paragraph it was dropped after.
    assert article.body.index("县应急管理局") < article.body.index("<embed")
    assert LedgerEvent.objects.filter(action="image.uploaded", object_id=str(dropped.pk), actor="editor").exists()
    pasted_image = get_image_model().objects.get(title="截图")
    assert pasted_image.collection == collection and f'id="{pasted_image.pk}"' in article.body
    assert get_image_model().objects.count() == 3, "the refused file stored nothing"


def test_city_editor_uploads_a_cover_into_the_accounts_county(org, make_user, browse, tmp_path, settings):
    """A city's editor may add images to the city's collection and each county's: writing for a
    county's account, the chooser's upload tab preselects that county's, and the cover lands there."""
    settings.WAGTAIL_AUTOSAVE_INTERVAL = 0
    settings.MEDIA_ROOT = tmp_path / "media"
    city_editor = browse(make_user("city_editor", "editor", org.city_a), "media")
    city_editor.visit(flows.add_url("wechatarticlepage", org.acct_a1_wechat), "new wechat article")
    flows.upload_cover(city_editor, tmp_path, "甲一县活动封面")
    image = get_image_model().objects.get(title="甲一县活动封面")
    assert image.collection == agency_collection_ensure(agency=org.county_a1)
