"""Collection through a real Celery worker and Redis against the sandbox over HTTP: comments on a
published WeChat article and Weibo post arrive once, also when collection runs overlap and after
an outage during which more comments came; a message the sandbox pushes twice to the WeChat
callback (a live server) makes one item, and a push signed with the wrong token makes none."""

import os

import pytest
from django.db import connection

from govcms import services as org_services
from govcms.capabilities import SYSTEM
from inbox.models import CollectionCursor, InboxItem
from inbox.tasks import collect_sweep
from tests.inbox.conftest import seed_comments
from tests.publishing.test_worker import wait_for

BROKER = os.environ.get("CELERY_BROKER_URL")
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.real_clock,
    pytest.mark.skipif(not BROKER, reason="needs a broker: CELERY_BROKER_URL (set by .ci/run)"),
]


def counts(published):
    return {p: InboxItem.objects.filter(publication=pub).count() for p, pub in published.items()}


@pytest.mark.slow
def test_comments_arrive_once_through_overlapping_runs_and_an_outage(worker_env, published, sandbox, request):
    seed_comments(sandbox, published["wechat"], [f"公众号留言{n}" for n in range(60)])  # two comment/list pages
    seed_comments(sandbox, published["weibo"], [f"微博评论{n}" for n in range(30)])
    # Slow platform answers keep the first runs inside their fetch while the others arrive.
    for path in ("/cgi-bin/comment/list", "/2/comments/show.json"):
        sandbox.fault(kind="timeout", path=path, seconds=1, then="answer", times=2)
    request.getfixturevalue("worker")  # two processes
    for _ in range(3):  # beat ticks closer together than a run takes: the runs overlap
        collect_sweep.delay()
    assert wait_for(lambda: counts(published) == {"wechat": 60, "weibo": 30}, timeout=60), counts(published)

    # An outage of both platforms' comment APIs, during which more comments come.
    for path in ("/cgi-bin/comment/list", "/2/comments/show.json"):
        sandbox.fault(kind="http_502", path=path, times=-1)
    seed_comments(sandbox, published["wechat"], ["停机期间的留言一", "停机期间的留言二"])
    seed_comments(sandbox, published["weibo"], ["停机期间的评论"])
    collect_sweep.delay()
    assert wait_for(lambda: CollectionCursor.objects.exclude(last_error="").count() == 2, timeout=30)
    assert counts(published) == {"wechat": 60, "weibo": 30}
    sandbox.clear_faults()
    seed_comments(sandbox, published["weibo"], ["恢复后的评论"])
    collect_sweep.delay()
    collect_sweep.delay()
    assert wait_for(lambda: counts(published) == {"wechat": 62, "weibo": 32}, timeout=60), counts(published)
    assert wait_for(lambda: CollectionCursor.objects.filter(last_error="").count() == 2, timeout=30)
    collect_sweep.delay()  # a run with nothing new stores nothing
    wait_for(lambda: False, timeout=2)
    assert counts(published) == {"wechat": 62, "weibo": 32}
    texts = list(InboxItem.objects.values_list("text", flat=True))
    assert len(texts) == len(set(texts)) == 94


def test_a_message_pushed_twice_by_the_sandbox_makes_one_item(org, sandbox, live_server):
    if connection.vendor != "postgresql":
        pytest.skip("the live server shares the test database: PostgreSQL only")
    account = org.acct_a1_wechat
    org_services.credential_set(
        actor=SYSTEM, account=account, appid="wxinbox000000002", secret="s", callback_token="tk1"
    )
    url = f"{live_server.url}/api/v1/platform-callbacks/wechat/{account.pk}"
    sandbox.wechat_account("wxinbox000000002", "s", callback_url=url, callback_token="tk1")
    sent = sandbox.wechat_message("wxinbox000000002", content="路灯坏了，请尽快修复。", times=2)
    assert [(d["http_status"], d["answer"]) for d in sent["deliveries"]] == [(200, "success")] * 2
    (item,) = InboxItem.objects.all()
    assert (item.platform_id, item.text, item.author) == (
        f"m:{sent['msg_id']}",
        "路灯坏了，请尽快修复。",
        sent["openid"],
    )

    # The same push signed with another token (a forger's) is refused and stored nowhere.
    sandbox.wechat_account("wxinbox000000002", "s", callback_url=url, callback_token="forged")
    forged = sandbox.wechat_message("wxinbox000000002", content="伪造的消息")
    (delivery,) = forged["deliveries"]
    assert "http_status" not in delivery and "403" in delivery["error"]
    assert InboxItem.objects.count() == 1
