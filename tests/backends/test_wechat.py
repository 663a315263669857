"""The WeChat backend against the sandbox: tokens, the publish flow, callbacks, and each error class."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from publishing.backends.base import (
    AuthError,
    ConfigurationError,
    ContentError,
    Credentials,
    Image,
    OutcomeUnknown,
    PlatformError,
    TransientError,
    WechatArticle,
)
from publishing.backends.wechat import (
    WechatBackend,
    parse_publish_event,
    publish_id_of,
    publish_result_from_event,
    split_post_id,
    verify_callback_signature,
)

from .conftest import APPID, JPG, PNG, SECRET, TIMEOUT, platform_calls, wait_for

TOKEN = "/cgi-bin/stable_token"
UPLOADIMG = "/cgi-bin/media/uploadimg"
DRAFT_ADD = "/cgi-bin/draft/add"
SUBMIT = "/cgi-bin/freepublish/submit"
EXTERNAL = "https://www.gov.example.cn/media/chart.png?w=640&h=480"
HOSTED = "http://mmbiz.qpic.cn/sandbox/already-hosted.png"


def article(title: str = "关于开展安全检查的通知", **fields) -> WechatArticle:
    """Two body images: one external (used twice, as written in HTML: `&amp;`), one on mmbiz."""
    content = (
        f'<p>正文</p><img src="{EXTERNAL.replace("&", "&amp;")}"><p>图表</p>'
        f'<img alt="again" src="{EXTERNAL.replace("&", "&amp;")}"><img src="{HOSTED}">'
    )
    fields.setdefault("images", {EXTERNAL: Image("chart.png", PNG, "image/png")})
    return WechatArticle(
        title=title,
        author="市政府办公室",
        digest="摘要",
        content_html=content,
        cover=Image("cover.jpg", JPG),
        content_source_url="https://www.gov.example.cn/p/1",
        **fields,
    )


def published(backend: WechatBackend, creds: Credentials, job_id: str):
    """Poll until the job leaves "publishing"."""
    return wait_for(lambda: (r := backend.poll(credentials=creds, job_id=job_id)).state != "publishing" and r)


def counts(control) -> dict:
    return control.state()["wechat"][APPID]["counts"]


# --- the publish flow ---------------------------------------------------------------------------


def test_publish_rehosts_external_images_once_and_polls_to_published(sandbox, control, wechat, wechat_creds):
    result = wechat.publish(credentials=wechat_creds, item=article())

    assert result.state == "publishing" and result.platform_post_id == "" and result.url == ""
    publish_id, msg_data_id = result.job_id.split(":")
    assert publish_id == result.raw["publish_id"] and int(msg_data_id) == result.raw["msg_data_id"]
    assert [s["call"] for s in result.steps] == [
        f"POST {TOKEN}",
        f"POST {UPLOADIMG}",  # the external image, once although it appears twice
        "POST /cgi-bin/material/add_material",
        f"POST {DRAFT_ADD}",
        f"POST {SUBMIT}",
    ]
    assert all(s["http_status"] == 200 and s["errcode"] == 0 and s["ms"] >= 0 for s in result.steps)
    assert counts(control) | {"api_calls": 0} == {
        "token_issues": 1,
        "uploads": 1,
        "materials": 1,
        "drafts": 1,
        "submits": 1,
        "api_calls": 0,
    }

    (draft,) = sandbox.state.drafts.values()
    content = draft.articles[0]["content"]
    assert EXTERNAL.split("?")[0] not in content and HOSTED in content
    assert content.count('src="http://mmbiz.qpic.cn/sandbox/') == 3  # both copies rewritten, the hosted one kept
    assert draft.articles[0]["need_open_comment"] == 1 and draft.articles[0]["title"] == "关于开展安全检查的通知"

    done = published(wechat, wechat_creds, result.job_id)
    (item,) = control.state()["wechat"][APPID]["articles"]
    assert done.state == "published" and done.job_id == result.job_id
    assert done.platform_post_id == f"{item['article_id']}:{msg_data_id}"
    assert done.url == f"{sandbox.base_url}/s/{item['article_id']}"
    assert control.state()["wechat"][APPID]["published"] == 1


def test_no_token_or_secret_in_steps_or_errors(control, wechat, wechat_creds):
    result = wechat.publish(credentials=wechat_creds, item=article())
    control.fault("timeout", path=SUBMIT, seconds=TIMEOUT + 0.5)
    with pytest.raises(OutcomeUnknown) as failure:
        wechat.publish(credentials=wechat_creds, item=article())
    token = wechat._access_token(wechat_creds, [])
    exc = failure.value
    text = repr((result.steps, exc.steps, str(exc), exc.raw, exc.__cause__, exc.__context__))
    assert token not in text and SECRET not in text and "access_token" not in text


def test_body_image_without_bytes_is_refused_before_any_call(control, wechat, wechat_creds):
    with pytest.raises(ValueError, match="no bytes"):
        wechat.publish(credentials=wechat_creds, item=article(images={}))
    assert control.requests() == []


def test_cover_not_usable_yet_is_retried_in_place(control, wechat, wechat_creds):
    control.wechat_account(APPID, SECRET, material_settle=0.3)
    wechat.COVER_SETTLE_DELAYS = (0.2, 0.2, 0.2)
    result = wechat.publish(credentials=wechat_creds, item=article())
    assert result.state == "publishing"
    draft_steps = [s.get("errcode") for s in result.steps if s["call"] == f"POST {DRAFT_ADD}"]
    assert draft_steps[0] == 40007 and draft_steps[-1] == 0
    assert counts(control)["materials"] == 1 and counts(control)["drafts"] == 1


def test_cover_never_usable_is_transient(control, wechat, wechat_creds):
    control.wechat_account(APPID, SECRET, material_settle=3600)
    wechat.COVER_SETTLE_DELAYS = (0.01,)
    with pytest.raises(TransientError) as failure:
        wechat.publish(credentials=wechat_creds, item=article())
    assert failure.value.platform_code == 40007
    assert counts(control).get("submits", 0) == 0


# --- tokens -------------------------------------------------------------------------------------


def test_one_token_serves_many_operations_and_workers(sandbox, control, wechat, wechat_creds, token_store, http):
    result = wechat.publish(credentials=wechat_creds, item=article())
    done = published(wechat, wechat_creds, result.job_id)
    another_worker = WechatBackend(sandbox.base_url, token_store, timeout=TIMEOUT, client=http)
    another_worker.poll(credentials=wechat_creds, job_id=result.job_id)
    another_worker.withdraw(credentials=wechat_creds, platform_post_id=done.platform_post_id)
    assert platform_calls(control, TOKEN) == 1
    assert counts(control)["token_issues"] == 1


def test_concurrent_workers_fetch_the_token_once(sandbox, control, wechat_creds, token_store, http):
    """The lock and the double check: eight workers start cold at once, one stable_token call."""
    barrier = threading.Barrier(8)
    errors: list[Exception] = []

    def work() -> None:
        backend = WechatBackend(sandbox.base_url, token_store, timeout=TIMEOUT, client=http)
        barrier.wait()
        try:
            backend.withdraw(credentials=wechat_creds, platform_post_id="unknown-article")
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert platform_calls(control, TOKEN) == 1


def test_refused_token_is_refreshed_and_the_call_retried_once(control, wechat, wechat_creds):
    wechat.publish(credentials=wechat_creds, item=article("预热"))  # caches a token
    control.fault("error_code", path=DRAFT_ADD, code=40001)
    result = wechat.publish(credentials=wechat_creds, item=article())
    assert result.state == "publishing"
    assert [s.get("errcode") for s in result.steps if s["call"] == f"POST {DRAFT_ADD}"] == [40001, 0]
    assert counts(control)["token_issues"] == 2  # force_refresh rotated it
    assert counts(control)["drafts"] == 2 and counts(control)["submits"] == 2


def test_token_refused_again_after_refresh_is_an_auth_error(control, wechat, wechat_creds):
    control.fault("error_code", path=DRAFT_ADD, code=40014, times=2)
    with pytest.raises(AuthError) as failure:
        wechat.publish(credentials=wechat_creds, item=article())
    assert failure.value.platform_code == 40014
    assert platform_calls(control, TOKEN) == 2  # one fetch, one refresh — no loop
    assert counts(control).get("submits", 0) == 0


def test_expired_token_is_refreshed_on_42001(control, wechat, wechat_creds):
    result = wechat.publish(credentials=wechat_creds, item=article())
    control.advance_clock(7300)  # the platform's clock: the cached token has expired there
    done = published(wechat, wechat_creds, result.job_id)
    assert done.state == "published"
    assert counts(control)["token_issues"] == 2


def test_token_near_expiry_is_replaced_by_force_refresh(control, wechat, wechat_creds, http, sandbox):
    body = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
    old = http.post(f"{sandbox.base_url}{TOKEN}", json=body).json()["access_token"]  # another service's fetch
    control.advance_clock(7000)  # 200 s left: stable_token would hand back this same token
    wechat.publish(credentials=wechat_creds, item=article())
    assert wechat._access_token(wechat_creds, []) != old
    assert counts(control)["token_issues"] == 2 and platform_calls(control, TOKEN) == 3


def test_cached_token_is_refreshed_five_minutes_before_expiry(sandbox, control, wechat_creds, token_store, http):
    now = [1_000_000.0]
    backend = WechatBackend(sandbox.base_url, token_store, timeout=TIMEOUT, client=http, clock=lambda: now[0])
    backend.withdraw(credentials=wechat_creds, platform_post_id="x")
    now[0] += 7200 - 301
    backend.withdraw(credentials=wechat_creds, platform_post_id="x")
    assert platform_calls(control, TOKEN) == 1
    now[0] += 2
    backend.withdraw(credentials=wechat_creds, platform_post_id="x")
    assert platform_calls(control, TOKEN) == 2  # due for refresh (the sandbox still had 7200 s left: same token)


# --- callbacks ----------------------------------------------------------------------------------


def test_publish_callback_is_verified_parsed_and_matches_poll(control, wechat, wechat_creds, receiver):
    control.wechat_account(APPID, SECRET, callback_url=receiver.url, callback_token="cb-token")
    control.fault("duplicate_callback", account=APPID)
    result = wechat.publish(credentials=wechat_creds, item=article())
    deliveries = wait_for(lambda: len(receiver.received) == 2 and receiver.received)

    events = []
    for delivery in deliveries:
        query = delivery["query"]
        assert verify_callback_signature("cb-token", query["timestamp"], query["nonce"], query["signature"])
        assert not verify_callback_signature("other-token", query["timestamp"], query["nonce"], query["signature"])
        events.append(parse_publish_event(delivery["body"]))
    assert events[0] == events[1]  # the duplicate is the same event: applying it twice changes nothing

    event = events[0]
    assert event["publish_id"] == publish_id_of(result.job_id) and event["publish_status"] == 0
    assert event["to_user"].startswith("gh_") and event["fail_idx"] == []
    from_event = publish_result_from_event(event, result.job_id)
    from_poll = wechat.poll(credentials=wechat_creds, job_id=result.job_id)
    assert (from_event.state, from_event.platform_post_id, from_event.url) == (
        from_poll.state,
        from_poll.platform_post_id,
        from_poll.url,
    )
    assert split_post_id(from_event.platform_post_id)[0] == event["article_id"]


def test_missing_callback_leaves_polling_to_finish_the_job(control, wechat, wechat_creds, receiver):
    control.wechat_account(APPID, SECRET, callback_url=receiver.url)
    control.fault("drop_callback", account=APPID)
    result = wechat.publish(credentials=wechat_creds, item=article())
    assert published(wechat, wechat_creds, result.job_id).state == "published"
    assert receiver.received == []


def test_failed_job_event_is_a_content_error():
    xml = (
        b"<xml><ToUserName><![CDATA[gh_1]]></ToUserName><CreateTime>1700000000</CreateTime>"
        b"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[PUBLISHJOBFINISH]]></Event>"
        b"<PublishEventInfo><publish_id>2247500009</publish_id><publish_status>4</publish_status>"
        b"<fail_idx>1</fail_idx></PublishEventInfo></xml>"
    )
    event = parse_publish_event(xml)
    assert event["publish_status"] == 4 and event["fail_idx"] == [1] and event["article_id"] == ""
    with pytest.raises(ContentError, match="publish_status 4"):
        publish_result_from_event(event, "2247500009:2247600009")
    with pytest.raises(ValueError, match="another publish job"):
        publish_result_from_event(event, "2247500010:2247600010")


@pytest.mark.parametrize(
    "body, message",
    [
        (b"not xml", "well-formed"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            b"<xml><MsgType>&b;</MsgType></xml>",
            "entity-free",
        ),
        (b"<xml><ToUserName>gh_1</ToUserName><Encrypt>AbC=</Encrypt></xml>", "encrypted"),
        (b"<xml><MsgType>event</MsgType><Event>subscribe</Event></xml>", "not a PUBLISHJOBFINISH"),
        (
            b"<xml><MsgType>event</MsgType><Event>PUBLISHJOBFINISH</Event><PublishEventInfo/></xml>",
            "without publish_id",
        ),
    ],
)
def test_callback_bodies_that_are_not_publish_events_are_refused(body, message):
    with pytest.raises(ValueError, match=message):
        parse_publish_event(body)


# --- error classes ------------------------------------------------------------------------------


def test_unverified_account_is_a_configuration_error(control, wechat, wechat_creds):
    control.wechat_account(APPID, SECRET, verified=False)
    with pytest.raises(ConfigurationError) as failure:
        wechat.publish(credentials=wechat_creds, item=article())
    assert failure.value.platform_code == 48001 and "rid:" in failure.value.message
    assert failure.value.steps[-1] == {**failure.value.steps[-1], "call": f"POST {SUBMIT}", "errcode": 48001}
    assert platform_calls(control, SUBMIT) == 1  # never retried
    assert control.state()["wechat"][APPID]["published"] == 0


def test_wrong_secret_is_a_configuration_error_without_the_secret(control, wechat):
    creds = Credentials(appid=APPID, secret="not-the-secret")
    control.wechat_account(APPID, SECRET)
    with pytest.raises(ConfigurationError) as failure:
        wechat.publish(credentials=creds, item=article())
    assert failure.value.platform_code == 40125
    assert "not-the-secret" not in repr((str(failure.value), failure.value.raw, failure.value.steps))
    assert counts(control).get("uploads", 0) == 0


@pytest.mark.parametrize(
    "path, code, error, retry_after",
    [
        (UPLOADIMG, 45009, TransientError, None),
        (DRAFT_ADD, 45011, TransientError, 60.0),
        (DRAFT_ADD, 45166, ContentError, None),
        (SUBMIT, 53503, ContentError, None),
        (SUBMIT, 40164, ConfigurationError, None),
        (TOKEN, 40243, ConfigurationError, None),
        (SUBMIT, 99999, PlatformError, None),
    ],
)
def test_errcodes_map_to_error_classes(control, wechat, wechat_creds, path, code, error, retry_after):
    control.fault("error_code", path=path, code=code)
    with pytest.raises(error) as failure:
        wechat.publish(credentials=wechat_creds, item=article())
    assert type(failure.value) is error and failure.value.platform_code == code
    assert getattr(failure.value, "retry_after", None) == retry_after
    assert platform_calls(control, path) == 1  # none of these is retried inside the backend
    assert counts(control).get("submits", 0) == 0


@pytest.mark.parametrize(
    "kind, spec, submitted",
    [
        ("http_500", {}, 0),
        ("timeout", {"seconds": TIMEOUT + 0.5}, 0),
        ("truncated_json", {}, 1),
        ("posted_but_error", {}, 1),  # errcode -1 after the job was started
        ("posted_but_error", {"then": "http_502"}, 1),
    ],
)
def test_lost_answer_on_submit_is_an_unknown_outcome(control, wechat, wechat_creds, kind, spec, submitted):
    control.fault(kind, path=SUBMIT, **spec)
    with pytest.raises(OutcomeUnknown):
        wechat.publish(credentials=wechat_creds, item=article())
    # never blindly resubmitted (the sandbox logs a timed-out request when its wait ends)
    wait_for(lambda: platform_calls(control, SUBMIT) == 1)
    assert counts(control).get("submits", 0) == submitted
    with pytest.raises(OutcomeUnknown, match="no lookup"):
        wechat.find(credentials=wechat_creds, item=article())


@pytest.mark.parametrize(
    "kind, spec",
    [
        ("http_500", {}),
        ("timeout", {"seconds": TIMEOUT + 0.5}),
        ("truncated_json", {}),
        ("posted_but_error", {}),
    ],
)
def test_lost_answer_on_an_upload_is_transient(control, wechat, wechat_creds, kind, spec):
    control.fault(kind, path=UPLOADIMG, **spec)
    with pytest.raises(TransientError) as failure:
        wechat.publish(credentials=wechat_creds, item=article())
    assert failure.value.retryable
    assert counts(control).get("drafts", 0) == 0 and counts(control).get("submits", 0) == 0


def test_lost_answer_on_draft_add_is_transient(control, wechat, wechat_creds):
    """A draft is not public: at worst a retry leaves an unused draft behind."""
    control.fault("http_502", path=DRAFT_ADD)
    with pytest.raises(TransientError):
        wechat.publish(credentials=wechat_creds, item=article())
    assert counts(control).get("submits", 0) == 0


def test_unreachable_platform_is_transient(token_store, http, wechat_creds):
    backend = WechatBackend("http://127.0.0.1:9", token_store, timeout=TIMEOUT, client=http)
    with pytest.raises(TransientError) as failure:
        backend.publish(credentials=wechat_creds, item=article())
    assert failure.value.platform_code == "connect"


@pytest.mark.parametrize("status, reason", [(3, "general failure"), (4, "platform review rejected")])
def test_failed_publish_job_is_a_content_error(control, wechat, wechat_creds, status, reason):
    control.fault("publish_status", publish_status=status)
    result = wechat.publish(credentials=wechat_creds, item=article())
    with pytest.raises(ContentError) as failure:
        published(wechat, wechat_creds, result.job_id)
    assert failure.value.platform_code == f"publish_status:{status}"
    assert f"publish_status {status} ({reason}); fail_idx 1" in failure.value.message
    assert control.state()["wechat"][APPID]["published"] == 0


def test_job_deleted_by_user_reads_as_withdrawn(control, wechat, wechat_creds):
    control.fault("publish_status", publish_status=5)
    result = wechat.publish(credentials=wechat_creds, item=article())
    done = published(wechat, wechat_creds, result.job_id)
    assert done.state == "withdrawn" and done.platform_post_id


# --- withdrawal and comments --------------------------------------------------------------------


def test_withdraw_is_idempotent(control, wechat, wechat_creds):
    done = published(wechat, wechat_creds, wechat.publish(credentials=wechat_creds, item=article()).job_id)
    first = wechat.withdraw(credentials=wechat_creds, platform_post_id=done.platform_post_id)
    again = wechat.withdraw(credentials=wechat_creds, platform_post_id=done.platform_post_id)
    assert first["withdrawn"] and again["withdrawn"]
    (item,) = control.state()["wechat"][APPID]["articles"]
    assert item["deleted"] == [1] and counts(control)["deleted"] == 1
    assert wechat.poll(credentials=wechat_creds, job_id=done.job_id).state == "withdrawn"
    bare = wechat.withdraw(credentials=wechat_creds, platform_post_id=split_post_id(done.platform_post_id)[0])
    assert bare["withdrawn"] and not bare["already_gone"]
    gone = wechat.withdraw(credentials=wechat_creds, platform_post_id="no-such-article:1")
    assert gone["already_gone"]


def test_comments_are_fetched_and_answered(control, wechat, wechat_creds):
    done = published(wechat, wechat_creds, wechat.publish(credentials=wechat_creds, item=article()).job_id)
    _, msg_data_id = split_post_id(done.platform_post_id)
    first = control.wechat_comment(msg_data_id, content="什么时候开始检查？", openid="oReader1")
    second = control.wechat_comment(msg_data_id, content="支持")

    comments = wechat.fetch_interactions(credentials=wechat_creds, platform_post_id=done.platform_post_id)
    assert [(c["id"], c["author"], c["text"]) for c in comments] == [
        (str(first["user_comment_id"]), "oReader1", "什么时候开始检查？"),
        (str(second["user_comment_id"]), second["openid"], "支持"),
    ]
    assert comments[0]["created_at"].utcoffset() == timedelta(hours=8) and comments[0]["reply"] is None

    answer = wechat.reply(
        credentials=wechat_creds, platform_post_id=done.platform_post_id, comment_id=comments[0]["id"], text="下周一"
    )
    assert answer["reply_to"] == comments[0]["id"] and answer["raw"]["errcode"] == 0
    newer = wechat.fetch_interactions(
        credentials=wechat_creds, platform_post_id=done.platform_post_id, since_id=comments[0]["id"]
    )
    assert [c["id"] for c in newer] == [comments[1]["id"]]
    again = wechat.fetch_interactions(credentials=wechat_creds, platform_post_id=done.platform_post_id)
    assert again[0]["reply"]["content"] == "下周一"
    assert counts(control)["replies"] == 1


def test_comments_need_the_msg_data_id(wechat, wechat_creds):
    with pytest.raises(ValueError, match="msg_data_id"):
        wechat.fetch_interactions(credentials=wechat_creds, platform_post_id="bare-article-id")
