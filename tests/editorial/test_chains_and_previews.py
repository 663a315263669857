"""Review chains per agency/account through the API (nearest up the tree applies), and the
platform previews as the editor sees them."""

import pytest

from editorial.models import ReviewStep, WechatArticlePage
from tests.editorial.test_review_flow import GOOD_BODY, approve_all, draft

pytestmark = pytest.mark.django_db


def test_chain_configured_on_an_agency_applies_below_it(org, staff, leaders, cover, api, make_user):
    make_user("boss", "agency_admin", org.city_a)
    boss = api("boss")
    default = boss.get(f"/api/v1/review-chains/account-{org.acct_a1_wechat.pk}").json()
    assert [s["role"] for s in default["steps"]] == ["reviewer", "signer"] and default["inherited"]

    steps = [
        {"name": "初审", "role": "reviewer"},
        {"name": "复审", "role": "reviewer"},
        {"name": "签发", "role": "signer"},
    ]
    response = boss.put(f"/api/v1/review-chains/agency-{org.county_a1.pk}", {"steps": steps})
    assert response.status_code == 200
    chain = boss.get(f"/api/v1/review-chains/account-{org.acct_a1_wechat.pk}").json()
    assert [s["name"] for s in chain["steps"]] == ["初审", "复审", "签发"]
    assert chain["configured_on"] == org.county_a1.pk and chain["inherited"]
    other = boss.get(f"/api/v1/review-chains/account-{org.acct_a2_weibo.pk}").json()
    assert len(other["steps"]) == 2, "a sibling county keeps the default"

    # A three-step chain needs two different reviewers then a signer.
    make_user("reviewer2", "reviewer", org.county_a1)
    editor = api("editor")
    post = draft(editor, org, cover, body=GOOD_BODY)
    editor.post(f"/api/v1/posts/{post['id']}/submit", {})
    for username in ("reviewer", "reviewer2", "signer"):
        step = ReviewStep.objects.get(post_id=post["id"], open=True)
        assert step.steps_total == 3
        assert api(username).post(f"/api/v1/reviews/{step.pk}/approve", {}).status_code == 200
    assert WechatArticlePage.objects.get(pk=post["id"]).status == "approved"

    # Only agency admins configure chains; other jurisdictions are not found; bad input is refused.
    assert api("editor").put(f"/api/v1/review-chains/agency-{org.county_a1.pk}", {"steps": steps}).status_code == 403
    assert boss.put(f"/api/v1/review-chains/agency-{org.county_b1.pk}", {"steps": steps}).status_code == 404
    assert boss.put(f"/api/v1/review-chains/agency-{org.county_a1.pk}", {"steps": []}).status_code == 422
    bad_role = [{"name": "x", "role": "editor"}]
    assert boss.put(f"/api/v1/review-chains/agency-{org.county_a1.pk}", {"steps": bad_role}).status_code == 422
    assert boss.get("/api/v1/review-chains/galaxy-1").status_code == 404


def test_platform_previews(org, staff, leaders, cover, api):
    editor = api("editor")
    article = draft(editor, org, cover, body=GOOD_BODY)
    weibo = editor.post(
        "/api/v1/posts",
        {"account_id": org.acct_a1_weibo.pk, "kind": "weibo", "title": "", "body": "【提示】今晚有雨。"},
    ).json()
    from editorial.models import WeiboPostPage

    # The same entry point the editor's preview panel uses, with a dummy request.
    article_page = WechatArticlePage.objects.get(pk=article["id"]).get_latest_revision_as_object()
    page = article_page.make_preview_request(preview_mode="wechat")
    assert page.status_code == 200
    page.render()
    html = page.content.decode()
    assert "全省冬季安全生产工作会议召开" in html and "甲一发布公众号" in html and "县融媒体中心" in html
    assert "转发给朋友时的卡片" in html, "the digest card is shown"
    weibo_page = WeiboPostPage.objects.get(pk=weibo["id"]).get_latest_revision_as_object()
    response = weibo_page.make_preview_request(preview_mode="weibo")
    response.render()
    card = response.content.decode()
    assert "今晚有雨" in card and "甲一发布" in card and "http://" in card, "the safe-domain link is appended"


def test_weibo_link_is_short_whatever_the_slugs(org, staff, api, client):
    """A 60-character post fits: the appended link is /p/<id>/, not the percent-encoded page path."""
    body = "【提示】" + "今晚到明天有中到大雨，请注意出行安全，减少不必要的外出活动" + "。"
    post = (
        api("editor")
        .post("/api/v1/posts", {"account_id": org.acct_a1_weibo.pk, "kind": "weibo", "title": "", "body": body})
        .json()
    )
    assert not [c for c in post["checks"] if c["rule"].startswith("limit_")]
    assert post["url"].endswith(f"/p/{post['id']}/")
    assert client.get(f"/p/{post['id']}/").status_code == 404, "not live yet: not found"
    from wagtail.models import Site

    from editorial.models import WeiboPostPage

    Site.objects.update(is_default_site=False)
    Site.objects.create(hostname="testserver", root_page=org.province, is_default_site=True)
    assert api("editor").post(f"/api/v1/posts/{post['id']}/submit", {}).status_code == 200
    approve_all([api("reviewer"), api("signer")], post["id"])  # released by its chain: live
    page = WeiboPostPage.objects.get(pk=post["id"])
    response = client.get(f"/p/{post['id']}/")
    assert response.status_code == 302
    assert response["Location"].endswith(WeiboPostPage.objects.get(pk=page.pk).url.split("/", 3)[-1])
