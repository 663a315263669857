"""The sandbox's comment moderation and customer-service messages: WeChat markelect / unmarkelect /
delete and message/custom/send (48-hour window), Weibo comments/destroy; faults apply to them."""

from .conftest import WEIBO_TOKEN

LINK = "https://www.gov.example.cn/p/1"


def test_wechat_elect_hide_delete(control, wechat, http):
    submitted = wechat.submit(wechat.draft())
    wechat.wait_published(submitted["publish_id"])
    msg_data_id = submitted["msg_data_id"]
    cid = control.wechat_comment(msg_data_id, content="说得好")["user_comment_id"]
    target = {"msg_data_id": msg_data_id, "index": 0, "user_comment_id": cid}
    wechat.post("/cgi-bin/comment/open", {"msg_data_id": msg_data_id, "index": 0})
    assert wechat.post("/cgi-bin/comment/markelect", target)["errcode"] == 0
    assert wechat.post("/cgi-bin/comment/unmarkelect", target)["errcode"] == 0
    assert wechat.post("/cgi-bin/comment/delete", target)["errcode"] == 0
    assert wechat.post("/cgi-bin/comment/delete", target)["errcode"] == 88008  # gone
    listed = wechat.post("/cgi-bin/comment/list", {"msg_data_id": msg_data_id, "index": 0, "count": 10, "type": 0})
    assert listed["total"] == 0
    control.fault("http_502", path="/cgi-bin/comment/markelect")
    answer = http.post("/cgi-bin/comment/markelect", params={"access_token": wechat.token}, json=target)
    assert answer.status_code == 502
    counts = control.state()["wechat"][wechat.appid]["counts"]
    assert (counts["elected"], counts["unelected"], counts["comments_deleted"]) == (1, 1, 1)


def test_wechat_custom_messages_within_48_hours(control, wechat):
    send = {"touser": "oFollower1", "msgtype": "text", "text": {"content": "您好，已收到。"}}
    assert wechat.post("/cgi-bin/message/custom/send", send)["errcode"] == 45015  # the follower never wrote
    control.wechat_message(wechat.appid, content="请问", openid="oFollower1", push=False)
    assert wechat.post("/cgi-bin/message/custom/send", send)["errcode"] == 0
    too_long = {**send, "text": {"content": "长" * 683}}
    assert wechat.post("/cgi-bin/message/custom/send", too_long)["errcode"] == 45002
    for _ in range(19):
        wechat.post("/cgi-bin/message/custom/send", send)
    assert wechat.post("/cgi-bin/message/custom/send", send)["errcode"] == 45047
    control.advance_clock(48 * 3600 + 1)
    wechat._token = None  # expired with the clock
    assert wechat.post("/cgi-bin/message/custom/send", send)["errcode"] == 45015
    assert control.state()["wechat"][wechat.appid]["counts"]["custom_messages"] == 20


def test_weibo_comments_destroy(control, weibo, http):
    status = weibo.share(f"欢迎留言 {LINK}").json()
    cid = control.weibo_comment(status["id"], text="广告")["id"]
    destroy = {"access_token": WEIBO_TOKEN, "cid": cid}
    deleted = http.post("/2/comments/destroy.json", data=destroy)
    assert deleted.status_code == 200 and deleted.json()["id"] == cid
    assert http.post("/2/comments/destroy.json", data=destroy).json()["error_code"] == 20201
    shown = http.get("/2/comments/show.json", params={"access_token": WEIBO_TOKEN, "id": status["id"]}).json()
    assert shown["total_number"] == 0
    control.weibo_account(5000000002, access_token="other-token", safe_domain="gov.example.cn")
    other = http.post("/2/comments/destroy.json", data={"access_token": "other-token", "cid": cid})
    assert other.json()["error_code"] == 20201
    cid = control.weibo_comment(status["id"], text="再来")["id"]
    assert (
        http.post("/2/comments/destroy.json", data={"access_token": "other-token", "cid": cid}).json()["error_code"]
        == 20203
    )
