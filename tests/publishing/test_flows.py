"""Campaign linkage, withdrawal (撤回) and WeChat event pushes, through the API and the sandbox."""

import hashlib

import httpx
import pytest

from audit.models import LedgerEvent
from editorial.models import ReviewStep, WechatArticlePage, WeiboPostPage
from govcms import services as org_services
from govcms.capabilities import SYSTEM
from publishing.models import Publication
from tests.publishing.conftest import SITE
from tests.publishing.test_pipeline import WECHAT_BODY, drive
from tests.publishing.test_public_links import approved_text

pytestmark = pytest.mark.django_db


def test_campaign_weibo_links_to_the_published_wechat_article(
    accounts, release, image, cover, sandbox, api, org, client
):
    """The campaign's Weibo post is sent as approved, with its own /p/<id>/ link on the site (the
    Weibo safe domain); that link leads to the campaign's WeChat article once it is published."""
    campaign = api("editor").post("/api/v1/campaigns", {"name": "寒潮联动", "agency_id": org.county_a1.pk}).json()
    from editorial.models import Campaign

    camp = Campaign.objects.get(pk=campaign["id"])
    article = release(accounts["wechat"], body=WECHAT_BODY.format(src=image.file.url), cover_image=cover, campaign=camp)
    weibo = release(accounts["weibo"], body="【寒潮】深度解读见公众号文章：", campaign=camp)
    assert client.get(f"/p/{weibo.pk}/", follow=True).status_code == 200, "before the article is out: the post"
    article_pub = drive(Publication.objects.get(post=article).pk)
    assert article_pub.status == "published" and article_pub.url

    drive(Publication.objects.get(post=weibo).pk)
    (share,) = sandbox.state()["weibo"]["5000000101"]["statuses"]
    assert share["text"] == approved_text(weibo) == f"【寒潮】深度解读见公众号文章： {SITE}/p/{weibo.pk}/"
    assert article_pub.url not in share["text"], "mp.weixin is not on the Weibo app's safe domain"
    response = client.get(f"/p/{weibo.pk}/")
    assert response.status_code == 302 and response["Location"] == article_pub.url

    timeline = api("editor").get(f"/api/v1/campaigns/{camp.pk}/timeline").json()["items"]
    assert [item["kind"] for item in timeline] == ["wechat", "weibo"]
    assert timeline[0]["publications"][0]["url"] == article_pub.url
    assert all(item["status"] == "published" for item in timeline)


def test_withdrawal_is_approved_by_a_signer_and_removes_the_post(accounts, release, sandbox, api, staff):
    post = release(accounts["weibo"], body="【更正前】本周停水通知。")
    pub = drive(Publication.objects.get(post=post).pk)
    assert WeiboPostPage.objects.get(pk=post.pk).live
    editor, signer = api("editor"), api("signer")
    response = editor.post(f"/api/v1/posts/{post.pk}/withdraw", {"reason": "停水时间有误，撤回更正"})
    assert response.status_code == 202
    task = response.json()["task_id"]
    assert editor.post(f"/api/v1/posts/{post.pk}/withdraw", {"reason": "again"}).status_code == 409
    items = signer.get("/api/v1/reviews").json()["items"]
    assert [(i["task_id"], i["kind"]) for i in items] == [(task, "withdrawal")]
    assert editor.post(f"/api/v1/reviews/{task}/approve", {}).json()["error"]["code"] == "self_approval"

    from django.test.utils import CaptureQueriesContext  # noqa: F401 -- on_commit capture below

    from publishing.services import publication_withdraw

    assert signer.post(f"/api/v1/reviews/{task}/approve", {"comment": "同意撤回"}).status_code == 200
    # The platform call runs after commit in a task; run it as the worker would.
    publication_withdraw(pub.pk)
    post = WeiboPostPage.objects.get(pk=post.pk)
    assert post.status == "withdrawn" and not post.live
    assert Publication.objects.get(pk=pub.pk).status == "withdrawn"
    assert sandbox.state()["weibo"]["5000000101"]["counts"].get("deleted", 0) == 1
    assert LedgerEvent.objects.filter(action="post.withdrawn", object_id=str(post.pk)).exists()
    assert LedgerEvent.objects.filter(action="publication.withdrawn").exists()
    assert not ReviewStep.objects.filter(post=post, open=True).exists()


def sign(token, timestamp="1700000000", nonce="n0nce"):
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest(), timestamp, nonce  # noqa: S324


def event_xml(publish_id, status=0):
    return (
        "<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[o]]></FromUserName>"
        "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[PUBLISHJOBFINISH]]></Event><PublishEventInfo>"
        f"<publish_id>{publish_id}</publish_id><publish_status>{status}</publish_status>"
        "<article_id><![CDATA[AID]]></article_id></PublishEventInfo></xml>"
    ).encode()


def test_wechat_callback_is_verified_and_idempotent(accounts, release, image, cover, sandbox, client):
    org_services.credential_set(actor=SYSTEM, account=accounts["wechat"], callback_token="cbtoken")
    post = release(accounts["wechat"], body=WECHAT_BODY.format(src=image.file.url), cover_image=cover)
    pub = Publication.objects.get(post=post)
    from publishing.services import publication_run

    publication_run(pub.pk)  # submitted: the job is accepted, not yet published
    pub.refresh_from_db()
    assert pub.status == "publishing" and pub.job_id
    url = f"/api/v1/platform-callbacks/wechat/{accounts['wechat'].pk}"
    publish_id = pub.job_id.split(":")[0]  # what a real push carries

    signature, timestamp, nonce = sign("wrong-token")
    bad = client.post(
        f"{url}?signature={signature}&timestamp={timestamp}&nonce={nonce}",
        event_xml(publish_id),
        content_type="text/xml",
    )
    assert bad.status_code == 403 and bad.json()["error"]["code"] == "bad_signature"

    signature, timestamp, nonce = sign("cbtoken")
    for _ in range(2):  # WeChat may push the same event twice
        ok = client.post(
            f"{url}?signature={signature}&timestamp={timestamp}&nonce={nonce}",
            event_xml(publish_id),
            content_type="text/xml",
        )
        assert ok.status_code == 200 and ok.content == b"success"
    garbage = client.post(
        f"{url}?signature={signature}&timestamp={timestamp}&nonce={nonce}", b"<xml><unclosed>", content_type="text/xml"
    )
    assert garbage.status_code == 400
    assert LedgerEvent.objects.filter(action="publication.callback", object_id=str(pub.pk)).count() == 2
    pub = drive(pub.pk)
    assert pub.status == "published"
    assert sandbox.state()["wechat"]["wxtest0000000001"]["counts"]["published"] == 1
    assert WechatArticlePage.objects.get(pk=post.pk).status == "published"
    assert httpx.get(pub.url).status_code == 200
