"""Hostile article bodies through the API: sanitised or refused with a clear error, never a 500."""

import json

import pytest

from editorial.models import WechatArticlePage

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(org, staff, api):
    return api("editor")


def create(editor, org, body, **extra):
    return editor.post(
        "/api/v1/posts",
        {"account_id": org.acct_a1_wechat.pk, "kind": "wechat", "title": "测试", "body": body, **extra},
    )


@pytest.mark.parametrize(
    ("body", "forbidden"),
    [
        ("<p>正文</p><script>alert(1)</script>", "<script"),
        ('<img src="https://x.example/a.png" onerror="alert(1)">', "onerror"),
        ('<a href="javascript:alert(1)">点我</a>', "javascript:"),
        ('<a href="JaVaScRiPt&colon;alert(1)">点我</a>', "alert(1)"),
        ('<p style="background:url(javascript:alert(1))">x</p>', "url("),
        ("<svg onload=alert(1)><p>x</p></svg>", "<svg"),
        ("<iframe src=https://evil.example></iframe><p>x</p>", "<iframe"),
        ("<style>p{color:red}</style><p>x</p>", "<style"),
    ],
)
def test_hostile_markup_is_sanitised(editor, org, body, forbidden):
    response = create(editor, org, body)
    assert response.status_code == 201, response.content
    post = WechatArticlePage.objects.get(pk=response.json()["id"]).get_latest_revision_as_object()
    assert forbidden.lower() not in post.body.lower()
    detail = editor.get(f"/api/v1/posts/{post.pk}").json()
    assert forbidden.lower() not in detail["body"].lower()


def test_deeply_nested_markup_is_flattened(editor, org):
    body = "<div>" * 5000 + "深层正文" + "</div>" * 5000
    response = create(editor, org, body)
    assert response.status_code == 201
    post = WechatArticlePage.objects.get(pk=response.json()["id"]).get_latest_revision_as_object()
    assert "深层正文" in post.body and post.body.count("<div") <= 64


def test_oversize_body_is_refused_before_parsing(editor, org):
    body = "<p>" + "长" * (5 * 1024 * 1024) + "</p>"
    response = create(editor, org, body)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert not WechatArticlePage.objects.exists()


def test_invalid_utf8_is_refused(editor, org):
    raw = b'{"account_id": %d, "kind": "wechat", "title": "t", "body": "<p>\xff\xfe</p>"}' % org.acct_a1_wechat.pk
    response = editor.post("/api/v1/posts", raw=raw)
    assert response.status_code == 400 and response.json()["error"]["code"] == "malformed_json"
    # A lone surrogate is valid JSON but not valid text.
    raw = json.dumps({"account_id": org.acct_a1_wechat.pk, "kind": "wechat", "title": "t", "body": "<p>\ud800</p>"})
    response = editor.post("/api/v1/posts", raw=raw)
    assert response.status_code == 422
    assert response.json()["error"]["code"] in ("invalid_encoding", "validation_error")
    assert not WechatArticlePage.objects.exists()


def test_limits_name_the_excess(editor, org, cover):
    response = create(editor, org, "<p>正文</p>", cover_image=cover.pk, author="作" * 17)
    post = response.json()
    messages = {c["rule"]: c for c in post["checks"]}
    assert messages["limit_too_long"]["field"] == "author"
    assert messages["limit_too_long"]["actual"] - messages["limit_too_long"]["limit"] == 1
    assert "1" in messages["limit_too_long"]["message"]
    weibo = editor.post(
        "/api/v1/posts", {"account_id": org.acct_a1_weibo.pk, "kind": "weibo", "title": "", "body": "字" * 150}
    ).json()
    limit = next(c for c in weibo["checks"] if c["rule"].startswith("limit_"))
    assert limit["severity"] == "block" and limit["actual"] > 140


def test_wrong_kind_for_account_and_other_jurisdiction(editor, org, api):
    response = editor.post("/api/v1/posts", {"account_id": org.acct_a1_weibo.pk, "kind": "wechat", "body": "x"})
    assert response.status_code == 422 and response.json()["error"]["code"] == "kind_mismatch"
    response = editor.post("/api/v1/posts", {"account_id": org.acct_b1_wechat.pk, "kind": "wechat", "body": "x"})
    assert response.status_code == 404
