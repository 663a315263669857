"""Comment collection against the sandbox over HTTP (in-process; the real worker is in
test_worker_collection): once per comment, incremental, resuming after an outage."""

import threading

import pytest
from django.db import connection

from audit.models import LedgerEvent
from govcms.models import Notification
from inbox.models import CollectionCursor, InboxItem
from inbox.services import comments_collect
from inbox.tasks import collect_sweep
from tests.inbox.conftest import seed_comments

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("platform", ["wechat", "weibo"])
def test_comments_arrive_once_and_incrementally(
    published, sandbox, platform, staff, django_capture_on_commit_callbacks
):
    pub = published[platform]
    seed_comments(sandbox, pub, ["请问停水到几点？", "<b>谢谢</b>提醒\x07"])
    with django_capture_on_commit_callbacks(execute=True):
        assert comments_collect(pub.pk).new == 2
    assert comments_collect(pub.pk).new == 0  # nothing new: nothing stored again
    seed_comments(sandbox, pub, ["第三条"])
    assert comments_collect(pub.pk).new == 1
    items = list(InboxItem.objects.filter(publication=pub).order_by("received_at", "id"))
    assert [i.text for i in items] == ["请问停水到几点？", "谢谢提醒", "第三条"]
    assert {i.kind for i in items} == {"comment"} and {i.account_id for i in items} == {pub.account_id}
    assert all(i.author and i.due_at > i.received_at and i.ack_due_at <= i.due_at for i in items)
    assert len({i.platform_id for i in items}) == 3
    assert LedgerEvent.objects.filter(action="inbox.collected", object_id=str(pub.pk)).count() == 2
    assert Notification.objects.filter(user=staff["editor"], kind="inbox_new").exists()


def test_an_outage_loses_nothing(published, sandbox):
    pub = published["weibo"]
    seed_comments(sandbox, pub, ["一", "二"])
    assert comments_collect(pub.pk).new == 2
    since = CollectionCursor.objects.get(publication=pub).since_id
    sandbox.fault(kind="http_502", path="/2/comments/show.json", times=-1)
    seed_comments(sandbox, pub, ["三", "四"])
    result = comments_collect(pub.pk)
    assert result.action == "failed"
    cursor = CollectionCursor.objects.get(publication=pub)
    assert cursor.since_id == since and "502" in cursor.last_error
    sandbox.clear_faults()
    seed_comments(sandbox, pub, ["五"])
    assert comments_collect(pub.pk).new == 3
    assert sorted(InboxItem.objects.filter(publication=pub).values_list("text", flat=True)) == sorted("一二三四五")
    assert CollectionCursor.objects.get(publication=pub).last_error == ""


def test_the_sweep_queues_every_published_item(published, sandbox, settings):
    from govcms.celery import app

    was = app.conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = app.conf.task_always_eager = True  # the queued tasks run here
    for pub in published.values():
        seed_comments(sandbox, pub, ["在吗"])
    try:
        assert collect_sweep() == 2
    finally:
        app.conf.task_always_eager = was
    assert InboxItem.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_overlapping_runs_store_once(published, sandbox):
    """Two runs at once (threads, two connections): one holds the cursor's lock, the other
    finds it busy or, arriving after, nothing new; the rows are stored once either way."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL only")
    pub = published["wechat"]
    seed_comments(sandbox, pub, [f"评论{n}" for n in range(60)])  # two pages of comment/list
    sandbox.fault(kind="timeout", path="/cgi-bin/comment/list", seconds=1, then="answer")
    results = []

    def run():
        try:
            results.append(comments_collect(pub.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.action for r in results) == ["busy", "collected"]
    assert sum(r.new for r in results) == 60
    assert InboxItem.objects.filter(publication=pub).count() == 60
