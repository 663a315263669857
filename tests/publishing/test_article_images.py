"""Acceptance, through the API alone: an uploaded cover, a body image from our media and one
from an allowed external host; the article is reviewed and published on the sandbox with both
body images re-hosted via `uploadimg` and the cover as permanent material. Images from refused
addresses are blocking checks before review, and nothing is fetched from them."""

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from wagtail.images import get_image_model

from audit.models import LedgerEvent
from editorial.models import WechatArticlePage
from publishing.models import Publication
from tests.images.helpers import jpeg_bytes, png_bytes, upload
from tests.local_http import serving
from tests.publishing.test_pipeline import drive

pytestmark = pytest.mark.django_db
APPID = "wxtest0000000001"


class _ImageServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.photo = jpeg_bytes((120, 80), exif_gps=True)
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def port(self) -> int:
        return self.server_address[1]


class _Handler(BaseHTTPRequestHandler):
    server: _ImageServer

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        if self.path == "/hop":  # a redirect to the same server under a name that is not listed
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{self.server.port}/cold.jpg")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(self.server.photo)))
        self.end_headers()
        self.wfile.write(self.server.photo)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def image_server():
    with serving(_ImageServer()) as server:
        yield server


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def article(editor, org, body, cover_id):
    response = editor.post(
        "/api/v1/posts",
        {
            "account_id": org.acct_a1_wechat.pk,
            "kind": "wechat",
            "title": "寒潮来袭，这份防寒指南请收好",
            "author": "县融媒体中心",
            "body": body,
            "cover_image": cover_id,
        },
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_article_with_uploaded_cover_local_and_external_images_publishes(
    org, staff, accounts, sandbox, api, settings, image_server
):
    settings.GOVCMS_IMAGE_FETCH_ALLOW = f"img.example.org, 127.0.0.1:{image_server.port}"
    editor, reviewer, signer = api("editor"), api("reviewer"), api("signer")
    cover = upload(editor, jpeg_bytes((900, 500)), name="封面.jpg", title="封面").json()
    inline = upload(editor, png_bytes(), name="示意图.png").json()
    external = f"http://127.0.0.1:{image_server.port}/cold.jpg"
    body = f'<p>今冬寒潮来袭。</p><p><img src="{inline["url"]}"></p><p><img src="{external}"></p>'

    post = article(editor, org, body, cover["id"])
    assert image_server.requests == ["/cold.jpg"], "fetched once, on save"
    assert not [c for c in post["checks"] if c["severity"] == "block"], post["checks"]
    stored = WechatArticlePage.objects.get(pk=post["id"]).get_latest_revision_as_object()
    assert external not in stored.body and stored.body.count('src="/media/') == 1 and inline["url"] in stored.body
    fetched = get_image_model().objects.exclude(pk__in=[cover["id"], inline["id"]]).get()
    assert fetched.collection.govcms_agency.agency_id == org.county_a1.pk
    assert LedgerEvent.objects.get(action="image.fetched", object_id=str(fetched.pk)).data["source_url"] == external

    assert editor.post(f"/api/v1/posts/{post['id']}/submit", {}).status_code == 200
    for approver in (reviewer, signer):
        task = approver.get("/api/v1/reviews").json()["items"][0]["task_id"]
        assert approver.post(f"/api/v1/reviews/{task}/approve", {}).status_code == 200

    publication = drive(Publication.objects.get(post_id=post["id"]).pk)
    assert publication.status == "published", publication.last_error
    state = sandbox.state()["wechat"][APPID]
    assert state["counts"]["uploads"] == 2, "both body images re-hosted through media/uploadimg"
    assert state["counts"]["materials"] == 1, "the cover uploaded as permanent material"
    assert state["counts"]["published"] == 1
    assert image_server.requests == ["/cold.jpg"], "publishing reads our own storage, never the source"


@pytest.mark.parametrize(
    "src",
    [
        "http://127.0.0.1:{port}/cold.jpg",
        "http://localhost:{port}/cold.jpg",
        "http://169.254.169.254/latest/meta-data/cover.jpg",
        "http://[::1]:{port}/cold.jpg",
        "file:///etc/passwd",
    ],
    ids=["loopback_not_listed", "name_resolving_to_loopback", "link_local_metadata", "ipv6_loopback", "file_scheme"],
)
def test_refused_image_blocks_before_review_and_is_never_fetched(org, staff, api, settings, image_server, src):
    settings.GOVCMS_IMAGE_FETCH_ALLOW = "img.example.org"
    editor = api("editor")
    cover = upload(editor, jpeg_bytes(), name="封面.jpg").json()
    src = src.format(port=image_server.port)
    post = article(editor, org, f'<p>通知全文。</p><p><img src="{src}"></p>', cover["id"])

    check = editor.post(f"/api/v1/posts/{post['id']}/check", {}).json()
    findings = [c for c in check["checks"] if c["rule"] == "image_unavailable"]
    assert check["blocking"] and len(findings) == 1 and findings[0]["severity"] == "block"
    assert src in findings[0]["message"]
    refused = editor.post(f"/api/v1/posts/{post['id']}/submit", {})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "content_blocked"
    assert "image_unavailable" in [c["rule"] for c in refused.json()["error"]["details"]["checks"]]
    assert image_server.requests == []
    assert get_image_model().objects.count() == 1, "only the cover"


def test_a_redirect_to_an_unlisted_address_is_refused_on_that_hop(org, staff, api, settings, image_server):
    settings.GOVCMS_IMAGE_FETCH_ALLOW = f"127.0.0.1:{image_server.port}"
    editor = api("editor")
    cover = upload(editor, jpeg_bytes(), name="封面.jpg").json()
    post = article(editor, org, f'<p><img src="http://127.0.0.1:{image_server.port}/hop"></p>', cover["id"])
    assert image_server.requests == ["/hop"], "the redirect target was checked and never requested"
    assert [c["rule"] for c in post["checks"] if c["severity"] == "block"] == ["image_unavailable"]

    # Fixing the body (here: removing the image) clears the block.
    fixed = editor.patch(f"/api/v1/posts/{post['id']}", {"body": "<p>通知全文。</p>"})
    assert not [c for c in fixed.json()["checks"] if c["severity"] == "block"]
