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
