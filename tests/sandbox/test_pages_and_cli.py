"""What a person sees in the browser, and the command that `make demo` runs."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from .conftest import WEIBO_UID

ROOT = Path(__file__).resolve().parents[2]
LINK = "https://www.gov.example.cn/p/1"


def test_index_lists_accounts_faults_and_requests(control, wechat, weibo, http):
    weibo.share(f"首页可见 {LINK}")
    control.fault("http_500", path="/2/statuses/share.json")
    page = http.get("/_sandbox/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for text in ("测试公众号", "测试发布", "http_500", "/2/statuses/share.json", "微信公众号", "待触发的故障"):
        assert text in page.text
    assert http.get("/").headers["location"] == "/_sandbox/"


def test_weibo_timeline_page_shows_posts_newest_first_and_marks_deleted(weibo, http):
    first = weibo.share(f"第一条 <b>不是标签</b> {LINK}").json()
    weibo.share(f"第二条 {LINK}")
    weibo.destroy(first["id"])
    page = http.get(f"/_sandbox/accounts/weibo/{WEIBO_UID}").text
    assert page.index("第二条") < page.index("第一条")
    assert "&lt;b&gt;不是标签&lt;/b&gt;" in page and "已删除" in page
    assert f'href="{LINK}"' in page


def test_wechat_timeline_page_shows_status_and_links_articles(control, wechat, http):
    done = wechat.wait_published(wechat.submit(wechat.draft())["publish_id"])
    control.fault("publish_status", publish_status=4)
    wechat.wait_published(wechat.submit(wechat.draft())["publish_id"])
    page = http.get(f"/_sandbox/accounts/wechat/{wechat.appid}").text
    assert "发布成功" in page and "平台审核不通过" in page
    assert f"/s/{done['article_id']}?idx=1" in page
    assert http.get("/_sandbox/accounts/wechat/nobody").status_code == 404
    assert http.get("/s/nothing").status_code == 404


def test_command_line_serves_demo_accounts_and_stops_on_sigterm():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", "0", "--demo"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        base_url = line.split()[3]
        assert base_url.startswith("http://127.0.0.1:")
        state = httpx.get(f"{base_url}/_sandbox/state", trust_env=False).json()
        assert state["wechat"]["wxdemo0000000002"]["verified"] is True
        assert state["wechat"]["wxdemo0000000010"]["verified"] is False
        assert "5000000001" in state["weibo"]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
        assert "stopped" in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_reader_comments_on_a_weibo_post_from_its_timeline_page(weibo, http):
    """The timeline's form seeds a comment exactly as the control API does: the platform API lists
    it, the page shows it; empty, control-character and other accounts' posts are refused."""
    status = weibo.share(f"欢迎提问 {LINK}").json()
    page = http.get(f"/_sandbox/accounts/weibo/{WEIBO_UID}").text
    assert f'action="/_sandbox/accounts/weibo/{WEIBO_UID}/comments"' in page
    assert f'name="status_id" value="{status["id"]}"' in page
    posted = http.post(
        f"/_sandbox/accounts/weibo/{WEIBO_UID}/comments", data={"status_id": status["id"], "text": "请问几点开门？"}
    )
    assert posted.status_code == 303
    assert posted.headers["location"] == f"/_sandbox/accounts/weibo/{WEIBO_UID}?seeded=comment"
    shown = http.get("/2/comments/show.json", params={"access_token": weibo.token, "id": status["id"]}).json()
    assert [c["text"] for c in shown["comments"]] == ["请问几点开门？"]
    page = http.get(posted.headers["location"]).text
    assert "评论已发表" in page and "请问几点开门？" in page
    for bad in ({"status_id": status["id"], "text": "  "}, {"status_id": status["id"], "text": "坏\x00字"}):
        refused = http.post(f"/_sandbox/accounts/weibo/{WEIBO_UID}/comments", data=bad)
        assert refused.status_code == 400 and "没有发送" in refused.text
    elsewhere = http.post("/_sandbox/accounts/weibo/5000000999/comments", data={"status_id": status["id"], "text": "x"})
    assert elsewhere.status_code == 400
    assert http.post(f"/_sandbox/accounts/weibo/{WEIBO_UID}/comments", data={"text": "x"}).status_code == 400
    shown = http.get("/2/comments/show.json", params={"access_token": weibo.token, "id": status["id"]}).json()
    assert shown["total_number"] == 1, "nothing refused was stored"


def test_a_reader_comments_on_a_wechat_article_from_its_timeline_page(wechat, http):
    submitted = wechat.submit(wechat.draft())
    wechat.wait_published(submitted["publish_id"])
    msg_data_id = submitted["msg_data_id"]
    page = http.get(f"/_sandbox/accounts/wechat/{wechat.appid}").text
    assert f'name="msg_data_id" value="{msg_data_id}"' in page
    posted = http.post(
        f"/_sandbox/accounts/wechat/{wechat.appid}/comments",
        data={"msg_data_id": msg_data_id, "index": 0, "content": "办理需要带什么材料？"},
    )
    assert posted.status_code == 303
    wechat.post("/cgi-bin/comment/open", {"msg_data_id": msg_data_id, "index": 0})
    listed = wechat.post("/cgi-bin/comment/list", {"msg_data_id": msg_data_id, "index": 0, "count": 10, "type": 0})
    assert [c["content"] for c in listed["comment"]] == ["办理需要带什么材料？"]
    assert "办理需要带什么材料？" in http.get(posted.headers["location"]).text
    unknown = http.post(
        f"/_sandbox/accounts/wechat/{wechat.appid}/comments", data={"msg_data_id": 999999, "content": "x"}
    )
    assert unknown.status_code == 400 and "不存在" in unknown.text


def test_a_follower_writes_to_the_wechat_account_from_its_timeline_page(control, wechat, http, receiver):
    """The message form pushes a signed message to the account's callback, like WeChat; without a
    callback address the page says so and nothing is recorded."""
    no_callback = http.post(f"/_sandbox/accounts/wechat/{wechat.appid}/messages", data={"content": "你好"})
    assert no_callback.status_code == 400 and "回调地址" in no_callback.text
    assert control.state()["wechat"][wechat.appid]["counts"].get("user_messages", 0) == 0
    control.wechat_account(wechat.appid, wechat.secret, callback_url=receiver.url, callback_token="cb-token")
    page = http.get(f"/_sandbox/accounts/wechat/{wechat.appid}").text
    assert f'action="/_sandbox/accounts/wechat/{wechat.appid}/messages"' in page
    sent = http.post(
        f"/_sandbox/accounts/wechat/{wechat.appid}/messages", data={"msg_type": "text", "content": "社保卡怎么补办？"}
    )
    assert sent.status_code == 303 and "status=200" in sent.headers["location"]
    [delivery] = receiver.received
    assert "<Content><![CDATA[社保卡怎么补办？]]></Content>" in delivery["body"].decode("utf-8")
    assert {"signature", "timestamp", "nonce"} <= set(delivery["query"])
    assert "社保卡怎么补办？" in http.get(sent.headers["location"]).text
    wrong_type = http.post(f"/_sandbox/accounts/wechat/{wechat.appid}/messages", data={"msg_type": "video"})
    assert wrong_type.status_code == 400 and len(receiver.received) == 1
    assert http.post("/_sandbox/accounts/wechat/nobody/messages", data={"content": "x"}).status_code == 404
