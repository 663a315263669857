"""Fault injection: each kind fails the matching request the way it says, and nothing is lost or doubled."""

import json
import time

import httpx
import pytest

from .conftest import WEIBO_TOKEN, WEIBO_UID
from .helpers import Weibo, wait_for

SHARE = "/2/statuses/share.json"
LINK = "https://www.gov.example.cn/p/1"


def shares(control) -> int:
    return control.state()["weibo"][str(WEIBO_UID)]["shares"]


@pytest.mark.parametrize("kind, status", [("http_500", 500), ("http_502", 502)])
def test_gateway_errors_do_not_post_and_are_consumed(control, weibo, kind, status):
    control.fault(kind, path=SHARE)
    failed = weibo.share(f"网关错误 {LINK}")
    assert failed.status_code == status and "nginx" in failed.text
    assert shares(control) == 0
    assert weibo.share(f"网关错误 {LINK}").status_code == 200  # one time only
    assert shares(control) == 1


def test_timeout_hangs_up_without_posting(control, weibo, sandbox):
    control.fault("timeout", path=SHARE, seconds=0.6)
    impatient = httpx.Client(base_url=sandbox.base_url, timeout=0.2, trust_env=False)
    with impatient, pytest.raises(httpx.TimeoutException):
        Weibo(impatient, WEIBO_TOKEN).share(f"超时 {LINK}")
    time.sleep(0.6)
    assert shares(control) == 0


def test_timeout_then_answer_posts_after_the_client_gave_up(control, weibo, sandbox):
    control.fault("timeout", path=SHARE, seconds=0.5, then="answer")
    impatient = httpx.Client(base_url=sandbox.base_url, timeout=0.1, trust_env=False)
    with impatient, pytest.raises(httpx.TimeoutException):
        Weibo(impatient, WEIBO_TOKEN).share(f"慢 {LINK}")
    assert shares(control) == 0  # not yet: a reconcile now would find nothing ...
    assert wait_for(lambda: shares(control) == 1)  # ... and then the post lands


def test_truncated_json_is_performed_but_unparseable(control, weibo):
    control.fault("truncated_json", path=SHARE)
    response = weibo.share(f"截断 {LINK}")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert shares(control) == 1


def test_error_code_in_each_platform_shape(control, weibo, wechat):
    control.fault("error_code", path=SHARE, code=21327)
    expired = weibo.share(f"x {LINK}")
    assert expired.status_code == 401 and expired.json()["error_code"] == 21327
    control.fault("error_code", path=SHARE, code=10023, status=429)
    assert weibo.share(f"x {LINK}").status_code == 429

    control.fault("error_code", path="/cgi-bin/draft/add", code=40001)
    assert wechat.post("/cgi-bin/draft/add", {"articles": []})["errcode"] == 40001  # HTTP 200, as WeChat
    control.fault("error_code", path="/cgi-bin/draft/add", code=45166)
    assert wechat.post("/cgi-bin/draft/add", {"articles": []})["errcode"] == 45166
    assert shares(control) == 0
    assert control.state()["wechat"][wechat.appid]["counts"].get("drafts", 0) == 0


def test_posted_but_error_posts_once_then_answers_20032(control, weibo):
    """20032 "posted, server slow, wait 1-2 minutes": the status exists at once (a blind retry is
    refused as a duplicate) but shows in user_timeline only after the delay."""
    control.fault("posted_but_error", path=SHARE)
    answer = weibo.share(f"已发但报错 {LINK}")
    assert answer.status_code == 400 and answer.json()["error_code"] == 20032
    assert shares(control) == 1
    assert weibo.timeline()["statuses"] == [], "not visible yet"
    assert weibo.share(f"已发但报错 {LINK}").json()["error_code"] == 20019  # a blind retry is refused
    control.advance_clock(89)
    assert weibo.timeline()["statuses"] == []
    control.advance_clock(1)
    assert [s["text"] for s in weibo.timeline()["statuses"]] == [f"已发但报错 {LINK}"]  # reconcilable
    assert shares(control) == 1


def test_visible_after_is_configurable_and_checked(control, weibo, sandbox):
    control.fault("posted_but_error", path=SHARE, visible_after=5)
    weibo.share(f"五秒后可见 {LINK}")
    assert weibo.timeline()["statuses"] == []
    control.advance_clock(5)
    assert len(weibo.timeline()["statuses"]) == 1
    control.fault("posted_but_error", path=SHARE, then="http_500")  # no 20032: visible at once
    weibo.share(f"立即可见 {LINK}")
    assert len(weibo.timeline()["statuses"]) == 2
    for bad in ({"kind": "posted_but_error", "path": SHARE, "visible_after": -1},
                {"kind": "http_500", "path": SHARE, "visible_after": 5},
                {"kind": "posted_but_error", "path": "/cgi-bin/freepublish/submit", "visible_after": 5}):  # fmt: skip
        refused = httpx.post(f"{sandbox.base_url}/_sandbox/faults", json=bad, trust_env=False)
        assert refused.status_code == 400 and "visible_after" in refused.text


def _outcome(client: httpx.Client, path: str, token: str, payload: dict) -> object:
    try:
        answer = client.post(path, params={"access_token": token}, json=payload)
    except httpx.TimeoutException:
        return "timeout"
    try:
        answer.json()
    except json.JSONDecodeError:
        return answer.status_code if answer.status_code != 200 else "unparseable"
    return answer.status_code


@pytest.mark.parametrize(
    "then, seen", [("http_500", 500), ("http_502", 502), ("timeout", "timeout"), ("truncated_json", "unparseable")]
)
def test_posted_but_error_on_freepublish_still_publishes_once(control, wechat, sandbox, then, seen):
    draft = wechat.draft()
    control.fault("posted_but_error", path="/cgi-bin/freepublish/submit", then=then, seconds=0.3)
    with httpx.Client(base_url=sandbox.base_url, timeout=0.15, trust_env=False) as client:
        assert _outcome(client, "/cgi-bin/freepublish/submit", wechat.token, {"media_id": draft}) == seen
    state = wait_for(lambda: (s := control.state()["wechat"][wechat.appid])["published"] and s)
    assert state["published"] == 1 and state["counts"]["submits"] == 1


def test_faults_match_account_and_count_down(control, weibo, http):
    control.weibo_account(42, access_token="other-token", safe_domain="gov.example.cn")
    other = Weibo(http, "other-token")
    control.fault("http_500", path=SHARE, account=WEIBO_UID, times=2)
    assert other.share(f"别的账号 {LINK}").status_code == 200
    assert [weibo.share(f"第{n}次 {LINK}").status_code for n in range(3)] == [500, 500, 200]

    control.fault("error_code", platform="weibo", code=10001, times=-1)  # any Weibo path, until cleared
    assert http.get("/2/statuses/user_timeline.json", params={"access_token": "other-token"}).status_code == 500
    assert weibo.share(f"仍然失败 {LINK}").status_code == 500
    assert control.faults()[0]["hits"] == 2
    control.clear_faults()
    assert weibo.share(f"恢复 {LINK}").status_code == 200


def test_token_fault_45009_on_stable_token(control, wechat):
    control.fault("error_code", path="/cgi-bin/stable_token", code=45009, account=wechat.appid)
    assert wechat.stable_token()["errcode"] == 45009
    assert "access_token" in wechat.stable_token()


def test_invalid_fault_specs_are_refused(control):
    for spec in ({"kind": "nonsense"}, {"kind": "error_code", "path": SHARE}, {"kind": "http_500"}):
        with pytest.raises(httpx.HTTPStatusError) as raised:
            control.fault(**spec)
        assert raised.value.response.status_code == 400
    with pytest.raises(httpx.HTTPStatusError):
        control.fault("publish_status", publish_status=0)
