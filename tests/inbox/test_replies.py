"""Replies and moderation through the reply review, posted once by the platform sandbox over HTTP;
the 48-hour window of WeChat messages; the public Q&A page."""

from datetime import timedelta

import httpx
import pytest
from django.test import Client
from django.utils import timezone

from audit.models import LedgerEvent
from editorial.models import ReviewStep
from govcms.capabilities import SYSTEM
from govcms.celery import app
from govcms.models import Notification
from govcms.services import ServiceError
from inbox.delivery import delivery_retry, delivery_run
from inbox.models import InboxItem, Moderation, Reply
from inbox.replies import render_conversation
from inbox.services import comments_collect, item_enter, wechat_message_received
from inbox.tasks import deliver_sweep
from publishing.backends.registry import get_backend
from publishing.models import Publication
from publishing.services import account_credentials
from tests.conftest import county_image
from tests.inbox.conftest import seed_comments
from tests.publishing.test_pipeline import WECHAT_BODY
from tests.publishing.test_pipeline import drive as publish

pytestmark = pytest.mark.django_db

APPID, UID = "wxtest0000000001", "5000000101"


@pytest.fixture
def people(org, make_user, staff):
    return {**staff, "auditor": make_user("auditor_a", "auditor", org.city_a)}


class OnDemand(dict):
    """platform → value, made on first use (a test needing one platform publishes only there)."""

    def __init__(self, make):
        super().__init__()
        self.make = make

    def __missing__(self, platform):
        self[platform] = value = self.make(platform)
        return value


@pytest.fixture
def comments(accounts, release, org, sandbox):
    """A collected reader comment on a published WeChat article / Weibo post (`comments["weibo"]`)."""

    def make(platform):
        if platform == "wechat":
            image, cover = county_image(org, "图"), county_image(org, "封面")
            post = release(accounts["wechat"], body=WECHAT_BODY.format(src=image.file.url), cover_image=cover)
        else:
            post = release(accounts["weibo"], body="【通知】本周六上午停水，请提前储水。")
        pub = publish(Publication.objects.get(post=post).pk)
        seed_comments(sandbox, pub, ["请问停水到几点？"])
        comments_collect(pub.pk)
        return InboxItem.objects.get(publication=pub)

    return OnDemand(make)


def counts(sandbox, platform):
    state = sandbox.state()
    return state["wechat"][APPID]["counts"] if platform == "wechat" else state["weibo"][UID]["counts"]


def drive(kind, pk, *, limit=10):
    """Run the sender until it settles (as the worker and its retries would)."""
    for _ in range(limit):
        if delivery_run(kind, pk).action == "done":
            break
    return (Reply if kind == "reply" else Moderation).objects.get(pk=pk)


def approve(api, username, task_id):
    return api(username).post(f"/api/v1/reviews/{task_id}/approve", {})


@pytest.mark.parametrize("platform", ["wechat", "weibo"])
def test_a_reply_reaches_the_platform_only_after_approval(comments, sandbox, people, api, platform):
    item = comments[platform]
    response = api("rev_editor").post(f"/api/v1/inbox/{item.pk}/reply", {"body": "您好，停水至下午五点。"})
    assert response.status_code == 202, response.content
    reply = Reply.objects.get(pk=response.json()["id"])
    assert reply.status == "in_review"

    assert drive("reply", reply.pk).status == "in_review"  # a sender run before approval sends nothing
    assert counts(sandbox, platform).get("replies", 0) == 0
    queue = api("reviewer").get("/api/v1/reviews").json()["items"]
    entry = next(e for e in queue if e["task_id"] == reply.review_step_id)
    assert (entry["kind"], entry["inbox_item_id"], entry["text"]) == ("reply", item.pk, "您好，停水至下午五点。")

    refused = approve(api, "rev_editor", reply.review_step_id)  # the drafter is a reviewer too
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "self_approval")
    decided = approve(api, "reviewer", reply.review_step_id)
    assert decided.status_code == 200, decided.content
    assert (decided.json()["post_status"], decided.json()["reply_status"]) == (None, "queued")

    assert drive("reply", reply.pk).status == "done"
    assert drive("reply", reply.pk).status == "done"  # a redelivered task sends nothing again
    assert counts(sandbox, platform)["replies"] == 1
    assert comments_collect(item.publication_id).new == 0  # our own reply is no new item
    item.refresh_from_db()
    assert item.status == "answered" and item.acknowledged_at == item.answered_at is not None
    assert LedgerEvent.objects.filter(action="inbox.answered", object_id=str(item.pk)).count() == 1
    detail = api("editor").get(f"/api/v1/inbox/{item.pk}").json()
    assert detail["status"] == "answered" and detail["conversation"][0]["status"] == "done"
    account = APPID if platform == "wechat" else UID
    page = httpx.get(f"{sandbox.base_url}/_sandbox/accounts/{platform}/{account}", trust_env=False).text
    # The reply shows under the comment it answers.
    assert page.index("请问停水到几点？") < page.index("您好，停水至下午五点。")


def test_bad_replies_are_refused_with_a_clear_error(comments, people, api):
    weibo, wechat = comments["weibo"], comments["wechat"]
    cases = [
        (weibo, {"body": "<script>alert(1)</script>"}, 422, "empty_body"),
        (weibo, {"body": "长" * 141}, 422, "reply_too_long"),
        (wechat, {"body": "长" * 683}, 422, "reply_too_long"),  # 2049 bytes
        (weibo, {"body": "请拨打13812345678联系"}, 422, "content_blocked"),
        (weibo, {"body": "好\x00"}, 422, "validation_error"),
        (weibo, {"body": "好", "publish_as_qa": True}, 422, "consent_required"),
        (weibo, {"body": 7}, 422, "validation_error"),
    ]
    for item, body, status, code in cases:
        response = api("editor").post(f"/api/v1/inbox/{item.pk}/reply", body)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), body
    assert not Reply.objects.exists() and not ReviewStep.objects.filter(kind="reply").exists()
    # Markup is removed, the text kept.
    response = api("editor").post(f"/api/v1/inbox/{weibo.pk}/reply", {"body": "<b>已转</b>相关部门"})
    assert response.status_code == 202 and response.json()["body"] == "已转相关部门"
    again = api("editor").post(f"/api/v1/inbox/{weibo.pk}/reply", {"body": "再答一次"})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "reply_pending")
    task_id = response.json()["task_id"]
    assert api("reviewer").post(f"/api/v1/reviews/{task_id}/reject", {}).status_code == 422  # no comment
    rejected = api("reviewer").post(f"/api/v1/reviews/{task_id}/reject", {"comment": "请写明时间"})
    assert (rejected.status_code, rejected.json()["reply_status"]) == (200, "rejected")
    assert Notification.objects.filter(user=people["editor"], kind="inbox_reply_rejected").exists()
    assert api("editor").post(f"/api/v1/inbox/{weibo.pk}/reply", {"body": "下午五点恢复。"}).status_code == 202


@pytest.mark.parametrize(
    ("platform", "fault"),
    [
        ("weibo", {"kind": "error_code", "code": 10024, "path": "/2/comments/reply.json"}),  # rate limit: retried
        ("wechat", {"kind": "http_502", "path": "/cgi-bin/comment/reply/add"}),
        # Posted, answer lost: an unknown outcome, settled by looking among the comments.
        ("weibo", {"kind": "posted_but_error", "then": "http_502", "path": "/2/comments/reply.json"}),
    ],
)
def test_a_failed_post_is_retried_and_posted_once(comments, sandbox, people, api, platform, fault):
    item = comments[platform]
    reply_id = api("editor").post(f"/api/v1/inbox/{item.pk}/reply", {"body": "感谢关注。"}).json()["id"]
    approve(api, "reviewer", Reply.objects.get(pk=reply_id).review_step_id)
    sandbox.fault(**fault)
    reply = drive("reply", reply_id)
    assert reply.status == "done", reply.last_error
    assert counts(sandbox, platform)["replies"] == 1


def test_an_unknown_outcome_without_a_look_waits_for_a_person(org, sandbox, accounts, people, api):
    sandbox.wechat_message(APPID, content="办证要带什么？", openid="oUser1", push=False)
    item = message_item(accounts["wechat"], "oUser1", timezone.now())
    reply_id = api("editor").post(f"/api/v1/inbox/{item.pk}/reply", {"body": "请带身份证原件。"}).json()["id"]
    approve(api, "reviewer", Reply.objects.get(pk=reply_id).review_step_id)
    sandbox.fault(kind="posted_but_error", then="http_500", path="/cgi-bin/message/custom/send")
    reply = drive("reply", reply_id)
    assert reply.status == "unknown" and counts(sandbox, "wechat")["custom_messages"] == 1
    assert drive("reply", reply_id).status == "unknown"  # never sent blindly again
    assert counts(sandbox, "wechat")["custom_messages"] == 1
    with pytest.raises(ServiceError) as refused:
        delivery_retry(actor=people["editor"], kind_name="reply", obj=reply)
    assert refused.value.code == "confirm_absent_first"
    # The user said nothing arrived: a person confirms and it is sent again.
    delivery_retry(actor=people["editor"], kind_name="reply", obj=reply, confirmed_absent=True)
    assert drive("reply", reply_id).status == "done"
    assert counts(sandbox, "wechat")["custom_messages"] == 2


def message_item(account, openid, received_at):
    message = {
        "dedup_key": f"m:{openid}:{received_at.timestamp()}",
        "msg_type": "text",
        "content": "办证要带什么？",
        "openid": openid,
        "created_at": received_at,
    }
    return wechat_message_received(account=account, message=message)


def test_wechat_messages_are_answered_within_48_hours_only(org, sandbox, accounts, people, api, clock):
    sandbox.wechat_message(APPID, content="办证要带什么？", openid="oUser2", push=False)
    fresh = message_item(accounts["wechat"], "oUser2", timezone.now())
    stale = message_item(accounts["wechat"], "oUser3", timezone.now() - timedelta(hours=49))
    refused = api("editor").post(f"/api/v1/inbox/{stale.pk}/reply", {"body": "请带身份证。"})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "reply_window_closed" and "其他方式" in refused.json()["error"]["message"]

    reply_id = api("editor").post(f"/api/v1/inbox/{fresh.pk}/reply", {"body": "请带身份证。"}).json()["id"]
    approve(api, "reviewer", Reply.objects.get(pk=reply_id).review_step_id)
    clock.move_to(timezone.now() + timedelta(hours=49))  # the review took too long
    late = drive("reply", reply_id)
    assert (late.status, late.last_error_code) == ("failed", "reply_window_closed")
    assert counts(sandbox, "wechat").get("custom_messages", 0) == 0

    sandbox.wechat_message(APPID, content="还在吗？", openid="oUser2", push=False)
    again = message_item(accounts["wechat"], "oUser2", timezone.now())
    reply_id = api("editor").post(f"/api/v1/inbox/{again.pk}/reply", {"body": "请带身份证原件。"}).json()["id"]
    approve(api, "reviewer", Reply.objects.get(pk=reply_id).review_step_id)
    assert drive("reply", reply_id).status == "done"
    assert counts(sandbox, "wechat")["custom_messages"] == 1


@pytest.mark.parametrize(
    ("platform", "action", "answer", "count"),
    [
        ("weibo", "delete", 202, "comments_deleted"),
        ("wechat", "hide", 202, "unelected"),
        ("weibo", "hide", 409, None),  # Weibo's open API cannot hide a comment
    ],
)
def test_moderation_goes_through_review(comments, sandbox, people, api, platform, action, answer, count):
    item = comments[platform]
    response = api("editor").post(f"/api/v1/inbox/{item.pk}/moderate", {"action": action, "reason": "人身攻击"})
    assert response.status_code == answer, response.content
    if count is None:
        assert response.json()["error"]["code"] == "moderation_unsupported"
        return
    moderation = Moderation.objects.get(pk=response.json()["id"])
    assert drive("moderation", moderation.pk).status == "in_review"
    assert counts(sandbox, platform).get(count, 0) == 0
    refused = approve(api, "editor", moderation.review_step_id)
    assert refused.status_code == 403
    assert approve(api, "reviewer", moderation.review_step_id).status_code == 200
    assert drive("moderation", moderation.pk).status == "done"
    assert counts(sandbox, platform)[count] == 1
    assert LedgerEvent.objects.filter(action="inbox.moderated", object_id=str(item.pk)).exists()


def test_outsiders_get_404_and_auditors_read_only(org, comments, people, api):
    item = comments["weibo"]
    manual = item_enter(actor=SYSTEM, account=org.acct_a1_weibo, text="来电咨询", channel="phone")
    for target in (item, manual):
        for path, body in (("reply", {"body": "好"}), ("moderate", {"action": "delete", "reason": "广告"})):
            outside = api("outsider").post(f"/api/v1/inbox/{target.pk}/{path}", body)
            assert outside.status_code == 404, (path, outside.content)
            auditor = api("auditor_a").post(f"/api/v1/inbox/{target.pk}/{path}", body)
            assert auditor.status_code == 403, (path, auditor.content)
        assert api("auditor_a").get(f"/api/v1/inbox/{target.pk}").status_code == 200
    moderated = api("editor").post(f"/api/v1/inbox/{manual.pk}/moderate", {"action": "delete", "reason": "x"})
    assert (moderated.status_code, moderated.json()["error"]["code"]) == (409, "moderation_unsupported")
    assert not Reply.objects.exists() and not Moderation.objects.exists()


def test_the_public_qa_page_shows_the_answer_without_personal_data(org, people, api, admin_client_for):
    text = "我是王先生，电话13812345678，身份证11010519491231002X，邮箱wang@example.com，请问路灯何时修？"
    item = item_enter(actor=SYSTEM, account=org.acct_a1_weibo, text=text, author="王先生", channel="letter")
    other = item_enter(actor=SYSTEM, account=org.acct_a1_weibo, text="公园几点开门？", channel="phone")
    for target, body, public in ((item, "路灯已于本周修复。", True), (other, "早六点开门。", False)):
        fields = {"body": body, "publish_as_qa": public, "author_consent": public}
        reply_id = api("editor").post(f"/api/v1/inbox/{target.pk}/reply", fields).json()["id"]
        if public:  # decided in the admin's review listing, where the reply's text is shown
            reviewer = admin_client_for(people["reviewer"])
            listing = reviewer.get("/admin/editorial/reviews/")
            assert listing.status_code == 200 and body in listing.content.decode()
            assert body in reviewer.get("/admin/").content.decode()  # the dashboard's panel
            step_id = Reply.objects.get(pk=reply_id).review_step_id
            decided = reviewer.post(f"/admin/editorial/reviews/{step_id}/decide/", {"action": "approve"})
            assert decided.status_code == 302
        else:
            approve(api, "reviewer", Reply.objects.get(pk=reply_id).review_step_id)
        assert drive("reply", reply_id).status == "done"  # answered by letter: nothing is sent
    item.refresh_from_db()
    assert item.status == "answered"
    assert "路灯已于本周修复。" in render_conversation(item)  # the fragment the item detail screen includes

    page = Client().get(f"/qa/{org.county_a1.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "路灯已于本周修复。" in html and "请问路灯何时修？" in html
    for personal in ("王先生", "13812345678", "11010519491231002X", "wang@example.com"):
        assert personal not in html
    assert "早六点开门" not in html  # not published as Q&A
    assert "路灯已于本周修复" in Client().get(f"/qa/{org.province.pk}/", {"q": "路灯"}).content.decode()
    assert "路灯已于本周修复" not in Client().get(f"/qa/{org.county_a1.pk}/", {"q": "医保"}).content.decode()
    assert "路灯" not in Client().get(f"/qa/{org.county_b1.pk}/").content.decode()
    assert Client().get("/qa/999999/").status_code == 404


def test_a_worker_lost_mid_call_is_reconciled_by_the_sweep_not_resent(comments, sandbox, people, api, settings):
    """The reply reached Weibo, then the worker died before recording it: the in-flight marker,
    once its lease is over, makes the sweep's run look on the platform instead of replying again."""
    item = comments["weibo"]
    reply_id = api("editor").post(f"/api/v1/inbox/{item.pk}/reply", {"body": "已转交供水公司。"}).json()["id"]
    approve(api, "reviewer", Reply.objects.get(pk=reply_id).review_step_id)
    get_backend("weibo").reply(  # what the lost worker's call did
        credentials=account_credentials(item.account_id),
        platform_post_id=item.platform_post_id,
        comment_id=item.platform_id.rsplit(":", 1)[-1],
        text="已转交供水公司。",
    )
    lost = timezone.now() - timedelta(seconds=settings.GOVCMS_PUBLISH_LEASE_SECONDS + 1)
    Reply.objects.filter(pk=reply_id).update(status="sending", in_flight_since=lost, attempts=1)
    was = app.conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = app.conf.task_always_eager = True  # the queued task runs here
    try:
        assert deliver_sweep() == 1
    finally:
        app.conf.task_always_eager = was
    reply = Reply.objects.get(pk=reply_id)
    assert reply.status == "done" and reply.platform_reply_id
    assert counts(sandbox, "weibo")["replies"] == 1
