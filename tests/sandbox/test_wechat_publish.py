"""WeChat: images, materials, drafts, the asynchronous publish job and its callback, comments."""

import xml.etree.ElementTree as ET

from .helpers import GIF, JPG, PNG, WeChat, wait_for, wechat_signature


def test_upload_draft_submit_and_poll_to_published(sandbox, control, wechat, http):
    control.wechat_account(wechat.appid, wechat.secret, publish_delay=0.3)
    body_image = wechat.upload("/cgi-bin/media/uploadimg", PNG, "a.png")
    assert body_image["url"].startswith("http://mmbiz.qpic.cn/sandbox/") and "errcode" not in body_image
    material = wechat.upload("/cgi-bin/material/add_material", JPG, type="image")
    assert set(material) == {"media_id", "url"}
    content = f'<p>正文</p><img src="{body_image["url"]}">'
    draft = wechat.post(
        "/cgi-bin/draft/add",
        {"articles": [{"title": "关于开展安全检查的通知", "content": content, "thumb_media_id": material["media_id"]}]},
    )
    assert set(draft) == {"media_id"}  # no errcode on success, as the real API

    submitted = wechat.submit(draft["media_id"])
    assert submitted["errcode"] == 0 and submitted["errmsg"] == "ok"
    assert isinstance(submitted["publish_id"], str) and isinstance(submitted["msg_data_id"], int)
    assert wechat.get(submitted["publish_id"]) == {
        "publish_id": submitted["publish_id"],
        "publish_status": 1,
        "fail_idx": [],
    }  # accepted, not published

    done = wechat.wait_published(submitted["publish_id"])
    assert done["publish_status"] == 0 and done["fail_idx"] == []
    item = done["article_detail"]["item"][0]
    assert done["article_detail"]["count"] == 1 and item["idx"] == 1
    assert item["article_url"] == f"{sandbox.base_url}/s/{done['article_id']}"

    page = http.get(item["article_url"])
    assert page.status_code == 200 and "关于开展安全检查的通知" in page.text
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none' disables scripts
    image_id = body_image["url"].rsplit("/", 1)[1].split(".")[0]
    assert f'src="/mmbiz/{image_id}"' in page.text
    assert http.get(f"/mmbiz/{image_id}").content == PNG

    state = control.state()["wechat"][wechat.appid]
    assert state["published"] == 1
    assert state["counts"]["uploads"] == 1 and state["counts"]["materials"] == 1 and state["counts"]["submits"] == 1


def test_callback_is_delivered_signed_like_wechat(control, wechat, receiver):
    control.wechat_account(wechat.appid, wechat.secret, callback_url=receiver.url, callback_token="cb-token")
    submitted = wechat.submit(wechat.draft(2))
    done = wechat.wait_published(submitted["publish_id"])
    delivery = wait_for(lambda: receiver.received)[0]

    query = delivery["query"]
    assert delivery["path"] == "/wechat/callback"
    assert query["signature"] == wechat_signature("cb-token", query["timestamp"], query["nonce"])
    event = ET.fromstring(delivery["body"])
    assert event.findtext("MsgType") == "event" and event.findtext("Event") == "PUBLISHJOBFINISH"
    assert event.findtext("ToUserName").startswith("gh_") and event.findtext("CreateTime").isdigit()
    info = event.find("PublishEventInfo")
    assert info.findtext("publish_id") == submitted["publish_id"]
    assert info.findtext("publish_status") == "0"
    assert info.findtext("article_id") == done["article_id"]
    detail = info.find("article_detail")
    assert detail.findtext("count") == "2"
    urls = [(i.findtext("idx"), i.findtext("article_url")) for i in detail.findall("item")]
    assert urls == [(str(x["idx"]), x["article_url"]) for x in done["article_detail"]["item"]]
    assert wait_for(lambda: control.state()["wechat"][wechat.appid]["counts"].get("callbacks_sent")) == 1


def test_dropped_callback_never_arrives_but_polling_still_works(control, wechat, receiver):
    control.wechat_account(wechat.appid, wechat.secret, callback_url=receiver.url)
    control.fault("drop_callback", account=wechat.appid)
    submitted = wechat.submit(wechat.draft())
    assert wechat.wait_published(submitted["publish_id"])["publish_status"] == 0
    control.wechat_account(wechat.appid, wechat.secret, publish_delay=0)
    wechat.submit(wechat.draft())  # a later job's callback proves deliveries run, and the dropped one is gone
    wait_for(lambda: receiver.received)
    ids = [ET.fromstring(r["body"]).findtext("PublishEventInfo/publish_id") for r in receiver.received]
    assert submitted["publish_id"] not in ids


def test_duplicated_callback_arrives_twice(control, wechat, receiver):
    control.wechat_account(wechat.appid, wechat.secret, callback_url=receiver.url)
    control.fault("duplicate_callback")
    submitted = wechat.submit(wechat.draft())
    wait_for(lambda: len(receiver.received) == 2)
    ids = {ET.fromstring(r["body"]).findtext("PublishEventInfo/publish_id") for r in receiver.received}
    assert ids == {submitted["publish_id"]}
    assert control.state()["wechat"][wechat.appid]["published"] == 1  # one article, two notifications


def test_job_ending_in_publish_status_3_fails_every_item(control, wechat, receiver):
    control.wechat_account(wechat.appid, wechat.secret, callback_url=receiver.url)
    control.fault("publish_status", publish_status=3)
    submitted = wechat.submit(wechat.draft(2))
    done = wechat.wait_published(submitted["publish_id"])
    assert done == {"publish_id": submitted["publish_id"], "publish_status": 3, "fail_idx": [1, 2]}
    event = ET.fromstring(wait_for(lambda: receiver.received)[0]["body"])
    assert event.findtext("PublishEventInfo/publish_status") == "3"
    assert [e.text for e in event.findall("PublishEventInfo/fail_idx")] == ["1", "2"]
    state = control.state()["wechat"][wechat.appid]
    assert state["published"] == 0 and state["counts"]["failed"] == 1


def test_unverified_account_cannot_publish(control, http):
    control.wechat_account("wxunverified", "s", verified=False)
    account = WeChat(http, "wxunverified", "s")
    draft = account.draft()  # drafts are allowed; publishing is not
    assert account.submit(draft)["errcode"] == 48001
    assert control.state()["wechat"]["wxunverified"]["counts"].get("submits", 0) == 0


def test_content_rules(control, wechat, http):
    cover = wechat.cover()

    def add(**fields):
        article = {"title": "标题", "content": "<p>正文</p>", "thumb_media_id": cover, **fields}
        return wechat.post("/cgi-bin/draft/add", {"articles": [article]}).get("errcode")

    assert add(title="题" * 32) is None
    assert add(title="题" * 33) == 45003
    assert add(author="者" * 17) == 45110
    assert add(digest="摘" * 129) == 45004
    assert add(content="字" * 20000) == 45002
    assert add(content="") == 44004
    assert add(thumb_media_id="unknown") == 40007
    nine = [{"title": "t", "content": "c", "thumb_media_id": cover}] * 9
    assert wechat.post("/cgi-bin/draft/add", {"articles": nine})["errcode"] == 45008

    control.wechat_account("wxother", "s")
    other = WeChat(http, "wxother", "s")
    assert add(thumb_media_id=other.cover()) == 40007  # a cover must belong to the same account

    assert wechat.upload("/cgi-bin/media/uploadimg", GIF, "a.gif")["errcode"] == 40005
    assert wechat.upload("/cgi-bin/media/uploadimg", JPG + bytes(1024 * 1024))["errcode"] == 40009
    assert wechat.upload("/cgi-bin/material/add_material", PNG, type="thumb")["errcode"] == 40005


def test_script_is_stripped_external_images_dropped_digest_defaulted(wechat):
    hosted = wechat.upload("/cgi-bin/media/uploadimg", JPG)["url"]
    content = f'<p>第一段</p><script>alert(1)</script><img src="{hosted}"><img src="https://example.com/x.jpg">'
    media_id = wechat.draft(content=content)
    stored = wechat.post("/cgi-bin/draft/get", {"media_id": media_id})["news_item"][0]
    assert "<script" not in stored["content"] and "example.com" not in stored["content"]
    assert hosted in stored["content"]
    assert stored["digest"] == "第一段"


def test_new_cover_is_briefly_unusable(control, wechat):
    control.wechat_account(wechat.appid, wechat.secret, material_settle=60)
    cover = wechat.cover()
    article = {"title": "t", "content": "c", "thumb_media_id": cover}
    assert wechat.post("/cgi-bin/draft/add", {"articles": [article]})["errcode"] == 40007
    control.advance_clock(61)
    assert "media_id" in wechat.post("/cgi-bin/draft/add", {"articles": [article]})


def test_draft_update_batchget_delete(wechat):
    media_id = wechat.draft(2)
    cover = wechat.post("/cgi-bin/draft/get", {"media_id": media_id})["news_item"][0]["thumb_media_id"]
    replacement = {"title": "新标题", "content": "<p>新</p>", "thumb_media_id": cover}
    assert wechat.post("/cgi-bin/draft/update", {"media_id": media_id, "index": 1, "articles": replacement}) == {
        "errcode": 0,
        "errmsg": "ok",
    }
    bad_index = {"media_id": media_id, "index": 2, "articles": replacement}
    assert wechat.post("/cgi-bin/draft/update", bad_index)["errcode"] == 40114
    listing = wechat.post("/cgi-bin/draft/batchget", {"offset": 0, "count": 20, "no_content": 1})
    assert listing["total_count"] == 1
    titles = [n["title"] for n in listing["item"][0]["content"]["news_item"]]
    assert titles == ["标题0", "新标题"] and "content" not in listing["item"][0]["content"]["news_item"][0]
    assert wechat.post("/cgi-bin/draft/delete", {"media_id": media_id})["errcode"] == 0
    assert wechat.post("/cgi-bin/draft/get", {"media_id": media_id})["errcode"] == 40007


def test_delete_published_article_reads_as_status_5(control, wechat, http):
    done = wechat.wait_published(wechat.submit(wechat.draft())["publish_id"])
    assert wechat.post("/cgi-bin/freepublish/delete", {"article_id": done["article_id"], "index": 0})["errcode"] == 0
    assert wechat.get(done["publish_id"])["publish_status"] == 5
    assert "已被发布者删除" in http.get(done["article_detail"]["item"][0]["article_url"]).text
    assert wechat.post("/cgi-bin/freepublish/delete", {"article_id": "nope"})["errcode"] == 53600
    assert control.state()["wechat"][wechat.appid]["articles"][0]["deleted"] == [1]


def test_published_batchget_lists_articles_for_reconciliation(wechat):
    done = wechat.wait_published(wechat.submit(wechat.draft())["publish_id"])
    listing = wechat.post("/cgi-bin/freepublish/batchget", {"offset": 0, "count": 10})
    assert listing["total_count"] == 1 and listing["item"][0]["article_id"] == done["article_id"]
    assert listing["item"][0]["content"]["news_item"][0]["is_deleted"] is False


def test_comments_seeded_listed_and_replied(control, wechat):
    submitted = wechat.submit(wechat.draft(need_open_comment=1))
    wechat.wait_published(submitted["publish_id"])
    msg_data_id = submitted["msg_data_id"]
    seeded = control.wechat_comment(msg_data_id, content="请问几点开始？")
    query = {"msg_data_id": msg_data_id, "index": 0, "begin": 0, "count": 10, "type": 0}
    listing = wechat.post("/cgi-bin/comment/list", query)
    assert listing["total"] == 1 and listing["comment"][0]["content"] == "请问几点开始？"
    reply = {"msg_data_id": msg_data_id, "index": 0, "user_comment_id": seeded["user_comment_id"], "content": "九点"}
    assert wechat.post("/cgi-bin/comment/reply/add", reply)["errcode"] == 0
    assert wechat.post("/cgi-bin/comment/list", query)["comment"][0]["reply"]["content"] == "九点"
    assert wechat.post("/cgi-bin/comment/list", {**query, "count": 50})["errcode"] == 47001
    wechat.post("/cgi-bin/comment/close", {"msg_data_id": msg_data_id, "index": 0})
    assert wechat.post("/cgi-bin/comment/list", query)["errcode"] == 88000
