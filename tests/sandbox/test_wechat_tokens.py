"""WeChat access tokens: stable reuse, forced rotation with a grace period, classic replacement, expiry."""

import re
import time

from .helpers import WeChat

RID = re.compile(r" rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$")


def _works(wechat: WeChat, token: str) -> int:
    """The errcode of a cheap authenticated call with `token` (0 when accepted)."""
    return wechat.post("/cgi-bin/draft/count", token=token).get("errcode", 0)


def test_stable_token_is_reused_with_its_remaining_lifetime(control, wechat):
    first = wechat.stable_token()
    assert first["expires_in"] == 7200 and "errcode" not in first
    control.advance_clock(100)
    again = wechat.stable_token()
    assert again["access_token"] == first["access_token"]
    assert 7099 <= again["expires_in"] <= 7100
    assert control.state()["wechat"][wechat.appid]["counts"]["token_issues"] == 1


def test_force_refresh_rotates_and_the_old_token_lives_five_minutes(control, wechat):
    old = wechat.stable_token()["access_token"]
    new = wechat.stable_token(force=True)["access_token"]
    assert new != old
    assert _works(wechat, old) == 0 and _works(wechat, new) == 0
    control.advance_clock(301)
    assert _works(wechat, old) == 40001
    assert _works(wechat, new) == 0


def test_stable_token_expires_then_a_new_one_is_issued(control, http):
    control.wechat_account("wxshortlived", "s", token_ttl=0.6)
    account = WeChat(http, "wxshortlived", "s")
    token = account.stable_token()["access_token"]
    assert _works(account, token) == 0
    time.sleep(0.65)
    assert _works(account, token) == 42001
    fresh = account.stable_token()
    assert fresh["access_token"] != token and _works(account, fresh["access_token"]) == 0


def test_classic_token_replaces_the_previous_one_which_dies_after_the_grace(control, wechat, http):
    def classic():
        params = {"grant_type": "client_credential", "appid": wechat.appid, "secret": wechat.secret}
        return http.get("/cgi-bin/token", params=params).json()

    stable = wechat.stable_token()["access_token"]
    first, second = classic(), classic()
    assert first["expires_in"] == 7200 and first["access_token"] != second["access_token"]
    control.advance_clock(299)
    assert _works(wechat, first["access_token"]) == 0
    control.advance_clock(2)
    assert _works(wechat, first["access_token"]) == 40001  # another service knocked it out
    assert _works(wechat, second["access_token"]) == 0
    assert _works(wechat, stable) == 0  # stable tokens are independent of classic ones


def test_bad_credentials_answer_40013_and_40125_with_http_200(wechat, http):
    bad_appid = http.post(
        "/cgi-bin/stable_token", json={"grant_type": "client_credential", "appid": "wxnobody", "secret": "x"}
    )
    assert bad_appid.status_code == 200
    assert bad_appid.json()["errcode"] == 40013 and RID.search(bad_appid.json()["errmsg"])
    assert wechat.stable_token(secret="wrong")["errcode"] == 40125


def test_missing_garbage_and_wrong_method(wechat, http):
    assert http.post("/cgi-bin/draft/add", json={}).json()["errcode"] == 41001
    assert _works(wechat, "not-a-token") == 40001
    assert http.get("/cgi-bin/draft/add", params={"access_token": wechat.token}).json()["errcode"] == 43002
    assert wechat.post("/cgi-bin/draft/add", None)["errcode"] == 44003
    bad_json = http.post("/cgi-bin/draft/add", params={"access_token": wechat.token}, content=b"{not json")
    assert bad_json.json()["errcode"] == 47001
