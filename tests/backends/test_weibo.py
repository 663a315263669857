"""The Weibo backend against the sandbox: share, reconcile, withdraw, comments, and each error class."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from publishing.backends.base import (
    AuthError,
    ContentError,
    Credentials,
    DuplicateContent,
    Image,
    OutcomeUnknown,
    TransientError,
    WeiboStatus,
)
from publishing.backends.weibo import WeiboBackend, parse_created_at, same_text

from .conftest import JPG, LINK, TIMEOUT, WEIBO_TOKEN, WEIBO_UID, platform_calls

SHARE = "/2/statuses/share.json"


def status(text: str = "【通知】今晚八点起部分路段交通管制", **fields) -> WeiboStatus:
    return WeiboStatus(text=f"{text} {LINK}", real_ip="203.0.113.7", **fields)


def account(control) -> dict:
    return control.state()["weibo"][str(WEIBO_UID)]


def test_share_without_picture(sandbox, control, weibo, weibo_creds):
    result = weibo.publish(credentials=weibo_creds, item=status())
    (posted,) = account(control)["statuses"]
    assert result.state == "published" and result.job_id == ""
    assert result.platform_post_id == str(posted["id"]) == result.raw["idstr"]
    assert result.url == f"https://weibo.com/{WEIBO_UID}/{posted['id']}"
    assert posted["text"] == status().text
    assert [s["call"] for s in result.steps] == [f"POST {SHARE}"] and result.steps[0]["http_status"] == 200
    assert WEIBO_TOKEN not in repr(result.steps)
    assert "original_pic" not in result.raw


def test_share_with_picture(sandbox, control, weibo, weibo_creds):
    result = weibo.publish(credentials=weibo_creds, item=status(image=Image("a.jpg", JPG)))
    assert result.raw["original_pic"].startswith(f"{sandbox.base_url}/sinaimg/")
    (image,) = [i for i in sandbox.state.images.values() if i.kind == "weibo"]
    assert image.data == JPG
    assert account(control)["shares"] == 1


@pytest.mark.parametrize(
    "text, code",
    [
        ("没有安全域名链接 https://example.com/x", 10017),
        ("长" * 141 + " " + LINK, 20012),
    ],
)
def test_content_refusals(control, weibo, weibo_creds, text, code):
    with pytest.raises(ContentError) as failure:
        weibo.publish(credentials=weibo_creds, item=WeiboStatus(text=text))
    assert failure.value.platform_code == code and failure.value.message
    assert account(control)["shares"] == 0


def test_duplicate_is_a_content_error(control, weibo, weibo_creds):
    weibo.publish(credentials=weibo_creds, item=status())
    with pytest.raises(DuplicateContent) as failure:
        weibo.publish(credentials=weibo_creds, item=status())
    assert isinstance(failure.value, ContentError), "a duplicate on a first share is the editor's business"
    assert failure.value.platform_code == 20019
    assert account(control)["shares"] == 1


def test_expired_token_is_an_auth_error(control, weibo, weibo_creds):
    control.weibo_account(WEIBO_UID, access_token=WEIBO_TOKEN, expires_in=0)
    with pytest.raises(AuthError) as failure:
        weibo.publish(credentials=weibo_creds, item=status())
    assert failure.value.platform_code == 21327 and "authorise" in failure.value.message
    assert WEIBO_TOKEN not in repr((str(failure.value), failure.value.raw, failure.value.steps))


def test_rate_limit_is_transient_with_the_reset_time(control, weibo, weibo_creds):
    control.weibo_account(WEIBO_UID, hourly_limit=1)
    weibo.publish(credentials=weibo_creds, item=status("第一条"))
    control.advance_clock(1800)
    with pytest.raises(TransientError) as failure:
        weibo.publish(credentials=weibo_creds, item=status("第二条"))
    assert failure.value.platform_code == 10023
    assert 1790 <= failure.value.retry_after <= 1800  # from account/rate_limit_status, not a guess
    assert [s["call"].split()[1] for s in failure.value.steps] == [SHARE, "/2/account/rate_limit_status.json"]
    assert account(control)["shares"] == 1


def test_rate_limit_falls_back_to_the_hour_window(control, weibo, weibo_creds):
    control.fault("error_code", path=SHARE, code=10022)
    control.fault("http_500", path="/2/account/rate_limit_status.json")
    with pytest.raises(TransientError) as failure:
        weibo.publish(credentials=weibo_creds, item=status())
    assert failure.value.platform_code == 10022 and failure.value.retry_after == 3600


def test_posted_but_slow_is_unknown_and_reconciled_to_exactly_one(control, weibo, weibo_creds):
    control.fault("posted_but_error", path=SHARE)
    with pytest.raises(OutcomeUnknown) as failure:
        weibo.publish(credentials=weibo_creds, item=status())
    assert failure.value.platform_code == 20032
    assert failure.value.look_after == (120.0, 300.0), "looked for only once Weibo says it shows"
    assert weibo.find(credentials=weibo_creds, item=status()) is None, "not in the timeline yet"
    control.advance_clock(120)
    found = weibo.find(credentials=weibo_creds, item=status())
    (posted,) = account(control)["statuses"]
    assert found is not None and found.platform_post_id == str(posted["id"])
    assert found.url == f"https://weibo.com/{WEIBO_UID}/{posted['id']}"
    assert account(control)["shares"] == 1 and platform_calls(control, SHARE) == 1


@pytest.mark.parametrize(
    "kind, spec, posted",
    [
        ("timeout", {"seconds": TIMEOUT + 0.5}, False),
        ("http_500", {}, False),
        ("truncated_json", {}, True),
        ("posted_but_error", {"then": "timeout", "seconds": TIMEOUT + 0.5}, True),
    ],
)
def test_lost_answer_is_unknown_and_find_tells_whether_it_landed(control, weibo, weibo_creds, kind, spec, posted):
    weibo.publish(credentials=weibo_creds, item=status("更早的一条"))
    control.fault(kind, path=SHARE, **spec)
    with pytest.raises(OutcomeUnknown):
        weibo.publish(credentials=weibo_creds, item=status())
    found = weibo.find(credentials=weibo_creds, item=status())
    assert (found is not None) is posted
    if not posted:  # shown absent: now the pipeline may share again
        weibo.publish(credentials=weibo_creds, item=status())
    texts = [s["text"] for s in account(control)["statuses"]]
    assert texts.count(status().text) == 1


def test_find_sees_only_the_five_newest(control, weibo, weibo_creds):
    weibo.publish(credentials=weibo_creds, item=status("最早"))
    for n in range(5):
        weibo.publish(credentials=weibo_creds, item=status(f"后来第{n}条"))
    assert weibo.find(credentials=weibo_creds, item=status("最早")) is None  # the documented limit
    assert weibo.find(credentials=weibo_creds, item=status("后来第0条")) is not None


def test_withdraw_twice_is_idempotent(control, weibo, weibo_creds):
    result = weibo.publish(credentials=weibo_creds, item=status())
    first = weibo.withdraw(credentials=weibo_creds, platform_post_id=result.platform_post_id)
    again = weibo.withdraw(credentials=weibo_creds, platform_post_id=result.platform_post_id)
    assert (first["already_gone"], again["already_gone"]) == (False, True)
    assert account(control)["live"] == 0 and account(control)["counts"]["deleted"] == 1
    assert weibo.find(credentials=weibo_creds, item=status()) is None


def test_withdraw_survives_a_lost_answer(control, weibo, weibo_creds):
    result = weibo.publish(credentials=weibo_creds, item=status())
    control.fault("truncated_json", path="/2/statuses/destroy.json")
    with pytest.raises(TransientError):
        weibo.withdraw(credentials=weibo_creds, platform_post_id=result.platform_post_id)
    assert weibo.withdraw(credentials=weibo_creds, platform_post_id=result.platform_post_id)["already_gone"]


def test_comments_are_fetched_oldest_first_and_answered(control, weibo, weibo_creds):
    result = weibo.publish(credentials=weibo_creds, item=status())
    first = control.weibo_comment(int(result.platform_post_id), text="几点结束？", user_name="市民甲")
    control.weibo_comment(int(result.platform_post_id), text="收到")

    comments = weibo.fetch_interactions(credentials=weibo_creds, platform_post_id=result.platform_post_id)
    assert [(c["id"], c["author"], c["text"]) for c in comments] == [
        (first["idstr"], "市民甲", "几点结束？"),
        (comments[1]["id"], "热心网友", "收到"),
    ]
    assert comments[0]["created_at"].utcoffset() == timedelta(hours=8) and comments[0]["reply_to"] is None

    answer = weibo.reply(
        credentials=weibo_creds,
        platform_post_id=result.platform_post_id,
        comment_id=first["idstr"],
        text="预计凌晨两点",
        real_ip="203.0.113.7",
    )
    assert answer["id"] and answer["reply_to"] == first["idstr"] and answer["text"] == "预计凌晨两点"
    newer = weibo.fetch_interactions(
        credentials=weibo_creds, platform_post_id=result.platform_post_id, since_id=comments[1]["id"]
    )
    assert [(c["id"], c["reply_to"]) for c in newer] == [(answer["id"], first["idstr"])]
    assert account(control)["counts"]["replies"] == 1


def test_lost_reply_answer_is_unknown(control, weibo, weibo_creds):
    """Each reply is a new public comment: never retried blindly."""
    result = weibo.publish(credentials=weibo_creds, item=status())
    comment = control.weibo_comment(int(result.platform_post_id))
    control.fault("posted_but_error", path="/2/comments/reply.json", then="http_502")
    with pytest.raises(OutcomeUnknown):
        weibo.reply(
            credentials=weibo_creds, platform_post_id=result.platform_post_id, comment_id=comment["idstr"], text="好"
        )


def test_unreachable_platform_is_transient(http):
    backend = WeiboBackend("http://127.0.0.1:9", timeout=TIMEOUT, client=http)
    with pytest.raises(TransientError):
        backend.publish(credentials=Credentials(access_token="t", uid="1"), item=status())


def test_weibo_has_no_jobs_to_poll(weibo, weibo_creds):
    with pytest.raises(NotImplementedError):
        weibo.poll(credentials=weibo_creds, job_id="1")


@pytest.mark.parametrize(
    "shown, sent, same",
    [
        (f"通知 {LINK}", f"通知 {LINK}", True),
        ("通知 http://t.cn/A6xYz12 ", f"通知  {LINK}", True),  # shortened link, whitespace collapsed
        ("通知 &amp; 公告 http://t.cn/A6xYz12", f"通知 & 公告 {LINK}", True),
        (f"通知 {LINK}", "通知 https://www.gov.example.cn/p/2", False),  # a full link must match exactly
        ("另一条 http://t.cn/A6xYz12", f"通知 {LINK}", False),
        ("通知", f"通知 {LINK}", False),
    ],
)
def test_same_text(shown, sent, same):
    assert same_text(shown, sent) is same


def test_created_at_parses_independently_of_the_locale():
    assert parse_created_at("Sat Nov 28 20:15:03 +0800 2026") == datetime(
        2026, 11, 28, 20, 15, 3, tzinfo=timezone(timedelta(hours=8))
    )
    assert parse_created_at("yesterday") is None
