"""Weibo: OAuth codes, share rules (length, safe domain, duplicates, rate limit, expiry), timeline, comments."""

import re
from urllib.parse import parse_qs, urlsplit

from .conftest import WEIBO_TOKEN, WEIBO_UID
from .helpers import JPG, Weibo

LINK = "https://www.gov.example.cn/p/1"
CREATED_AT = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} \+0800 \d{4}$")


def test_share_returns_a_status_object_and_serves_the_picture(sandbox, control, weibo, http):
    response = weibo.share(f"今日发布 {LINK}", pic=("p.jpg", JPG, "image/jpeg"))
    assert response.status_code == 200, response.text
    status = response.json()
    assert isinstance(status["id"], int) and status["idstr"] == str(status["id"]) == status["mid"]
    assert CREATED_AT.match(status["created_at"])
    assert status["text"] == f"今日发布 {LINK}" and status["user"]["id"] == WEIBO_UID
    assert status["original_pic"].startswith(f"{sandbox.base_url}/sinaimg/")
    assert http.get(status["original_pic"]).content == JPG
    assert control.state()["weibo"][str(WEIBO_UID)]["shares"] == 1


def test_error_shape_and_safe_domain_rule(weibo):
    response = weibo.share("没有链接的微博")
    assert response.status_code == 400
    assert response.json() == {
        "request": "/2/statuses/share.json",
        "error_code": 10017,
        "error": response.json()["error"],
    }
    assert weibo.share("看这里 https://evil.com/gov.example.cn").json()["error_code"] == 10017
    assert weibo.share("看这里 https://gov.example.cn.evil.com/").json()["error_code"] == 10017
    assert weibo.share("子域名可以：https://news.gov.example.cn/a，欢迎转发").status_code == 200


def test_weighted_length_cjk_one_ascii_half(weibo):
    link = " " + LINK  # 31 ASCII characters: 15.5 weighted
    assert weibo.share("政" * 124 + link).status_code == 200  # 124 + 15.5 → 140
    assert weibo.share("务" * 125 + link).json()["error_code"] == 20012  # 140.5 → 141
    assert weibo.share("a" * 249 + link).status_code == 200  # 280 ASCII = 140
    assert weibo.share("b" * 250 + link).json()["error_code"] == 20012
    assert weibo.share("").json()["error_code"] == 10016


def test_duplicate_text_is_refused_until_deleted_or_old(control, weibo):
    text = f"重复内容 {LINK}"
    first = weibo.share(text).json()
    again = weibo.share(text)
    assert again.status_code == 400 and again.json()["error_code"] == 20019
    assert weibo.destroy(first["id"]).status_code == 200
    second = weibo.share(text).json()  # withdrawn posts do not block a re-share
    control.advance_clock(86401)
    assert weibo.share(text).status_code == 200
    assert second["id"] != first["id"]


def test_expired_token_answers_21327(control, weibo):
    control.weibo_account(WEIBO_UID, access_token=WEIBO_TOKEN, expires_in=60)
    assert weibo.share(f"还没过期 {LINK}").status_code == 200
    control.advance_clock(61)
    response = weibo.share(f"过期了 {LINK}")
    assert response.status_code == 401 and response.json()["error_code"] == 21327
    assert Weibo(weibo.http, "unknown").share(f"x {LINK}").json()["error_code"] == 21332


def test_hourly_rate_limit_answers_10023(control, weibo, http):
    control.weibo_account(WEIBO_UID, hourly_limit=3)
    for n in range(3):
        assert weibo.share(f"第{n}条 {LINK}").status_code == 200
    limited = weibo.share(f"第4条 {LINK}")
    assert limited.status_code == 403 and limited.json()["error_code"] == 10023
    limits = http.get("/2/account/rate_limit_status.json", params={"access_token": WEIBO_TOKEN}).json()
    assert limits["remaining_user_hits"] == 0 and limits["user_limit"] == 3
    control.advance_clock(3601)
    assert weibo.share(f"第4条 {LINK}").status_code == 200


def test_user_timeline_returns_at_most_the_five_newest_own_posts(control, weibo, http):
    ids = [weibo.share(f"第{n}条 {LINK}").json()["id"] for n in range(7)]
    weibo.destroy(ids[-1])
    control.weibo_account(42, access_token="other-token", safe_domain="gov.example.cn")
    Weibo(http, "other-token").share(f"别人的微博 {LINK}")
    timeline = weibo.timeline(count=20, uid=42)  # another uid is ignored: only the token's own user
    assert [s["id"] for s in timeline["statuses"]] == ids[5::-1][:5]
    assert timeline["total_number"] == 6
    assert weibo.timeline(page=2)["statuses"] == []
    assert [s["id"] for s in weibo.timeline(since_id=ids[3])["statuses"]] == [ids[5], ids[4]]


def test_destroy_own_absent_and_foreign(control, weibo, http):
    status = weibo.share(f"将被删除 {LINK}").json()
    deleted = weibo.destroy(status["id"])
    assert deleted.status_code == 200 and deleted.json()["id"] == status["id"]
    assert weibo.destroy(status["id"]).json()["error_code"] == 20101
    control.weibo_account(42, access_token="other-token", safe_domain="gov.example.cn")
    foreign = Weibo(http, "other-token").share(f"别人的 {LINK}").json()
    refused = weibo.destroy(foreign["id"])
    assert refused.status_code == 403 and refused.json()["error_code"] == 20102
    state = control.state()["weibo"][str(WEIBO_UID)]
    assert state["shares"] == 1 and state["live"] == 0 and state["statuses"][0]["deleted"] is True


def test_comments_show_and_reply(control, weibo, http):
    status = weibo.share(f"欢迎留言 {LINK}").json()
    seeded = control.weibo_comment(status["id"], text="什么时候开始？", user_name="网友甲")
    shown = http.get("/2/comments/show.json", params={"access_token": WEIBO_TOKEN, "id": status["id"]}).json()
    assert shown["total_number"] == 1 and shown["comments"][0]["text"] == "什么时候开始？"
    reply = http.post(
        "/2/comments/reply.json",
        data={"access_token": WEIBO_TOKEN, "cid": seeded["id"], "id": status["id"], "comment": "明天九点"},
    )
    assert reply.status_code == 200 and reply.json()["reply_comment"]["id"] == seeded["id"]
    missing = http.post(
        "/2/comments/reply.json", data={"access_token": WEIBO_TOKEN, "cid": 1, "id": status["id"], "comment": "x"}
    )
    assert missing.json()["error_code"] == 20201
    shown = http.get("/2/comments/show.json", params={"access_token": WEIBO_TOKEN, "id": status["id"]}).json()
    assert [c["text"] for c in shown["comments"]] == ["明天九点", "什么时候开始？"]


def test_update_endpoint_is_gone_and_oauth2_header_is_accepted(weibo, http):
    gone = http.post("/2/statuses/update.json", data={"access_token": WEIBO_TOKEN, "status": "x"})
    assert gone.status_code == 403 and gone.json()["error_code"] == 10014
    shared = http.post(
        "/2/statuses/share.json",
        data={"status": f"头部令牌 {LINK}"},
        headers={"Authorization": f"OAuth2 {WEIBO_TOKEN}"},
    )
    assert shared.status_code == 200
    assert http.post("/2/statuses/share.json", data={"status": "x"}).json()["error_code"] == 21301


def test_oauth_code_exchange(control, weibo, http):
    control.weibo_app("app-key", "app-secret", "http://127.0.0.1:8000/oauth/weibo")

    def exchange(code, secret="app-secret", redirect="http://127.0.0.1:8000/oauth/weibo"):
        form = {"client_id": "app-key", "client_secret": secret, "grant_type": "authorization_code", "code": code}
        return http.post("/oauth2/access_token", data={**form, "redirect_uri": redirect})

    assert exchange(control.weibo_code(WEIBO_UID), secret="wrong").json()["error_code"] == 21324
    assert exchange(control.weibo_code(WEIBO_UID), redirect="http://elsewhere/").json()["error_code"] == 21322
    code = control.weibo_code(WEIBO_UID)
    answer = exchange(code).json()
    assert answer["uid"] == str(WEIBO_UID) and isinstance(answer["expires_in"], str)
    assert exchange(code).json()["error_code"] == 21325  # codes are single-use
    assert Weibo(http, answer["access_token"]).share(f"新授权 {LINK}").status_code == 200


def test_authorize_page_redirects_back_with_a_code(weibo, http):
    params = {"client_id": "app-key", "redirect_uri": "http://127.0.0.1:8000/cb?next=/x", "state": "s1"}
    page = http.get("/oauth2/authorize", params=params)
    assert page.status_code == 200 and "测试发布" in page.text
    approved = http.post("/oauth2/authorize", data={**params, "uid": WEIBO_UID})
    assert approved.status_code == 302
    location = urlsplit(approved.headers["location"])
    query = parse_qs(location.query)
    assert location.path == "/cb" and query["next"] == ["/x"] and query["state"] == ["s1"]
    token = http.post(
        "/oauth2/access_token",
        data={
            "client_id": "app-key",
            "client_secret": "any",
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": params["redirect_uri"],
        },
    )
    assert token.status_code == 200 and token.json()["uid"] == str(WEIBO_UID)
