"""Many clients at once: the threading server and the single state lock keep every count exact."""

from concurrent.futures import ThreadPoolExecutor

import httpx

from .conftest import WEIBO_TOKEN, WEIBO_UID
from .helpers import WeChat, wait_for


def test_fifty_parallel_shares_all_succeed_and_are_counted(control, weibo, sandbox):
    control.weibo_account(WEIBO_UID, hourly_limit=100)
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=50)
    with httpx.Client(base_url=sandbox.base_url, timeout=10, limits=limits, trust_env=False) as client:

        def share(n: int) -> httpx.Response:
            text = f"并发第{n}条 https://www.gov.example.cn/p/{n}"
            return client.post("/2/statuses/share.json", data={"access_token": WEIBO_TOKEN, "status": text})

        with ThreadPoolExecutor(max_workers=50) as pool:
            responses = list(pool.map(share, range(50)))
    assert [r.status_code for r in responses] == [200] * 50
    assert len({r.json()["id"] for r in responses}) == 50
    state = control.state()["weibo"][str(WEIBO_UID)]
    assert state["shares"] == 50 and state["counts"]["shares"] == 50


def test_parallel_publish_jobs_each_publish_once(control, wechat, sandbox):
    drafts = [wechat.draft() for _ in range(20)]
    with httpx.Client(base_url=sandbox.base_url, timeout=10, trust_env=False) as client:
        account = WeChat(client, wechat.appid, wechat.secret)
        with ThreadPoolExecutor(max_workers=20) as pool:
            submitted = list(pool.map(account.submit, drafts))
    assert len({s["publish_id"] for s in submitted}) == 20
    state = wait_for(lambda: (s := control.state()["wechat"][wechat.appid])["published"] == 20 and s)
    assert len({a["article_id"] for a in state["articles"]}) == 20
