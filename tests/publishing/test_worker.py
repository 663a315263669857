"""The pipeline through a real Celery worker and Redis: release → worker → sandbox, once; and
scheduled posts that fell due while no worker ran are published once it comes back."""

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from editorial.models import WeiboPostPage
from govcms.celery import app as celery_app
from publishing.models import Publication

ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("CELERY_BROKER_URL")
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.real_clock,
    pytest.mark.skipif(not BROKER, reason="needs a broker: CELERY_BROKER_URL (set by .ci/run)"),
]


@pytest.fixture
def worker_env(sandbox_server, sandbox, settings):
    """Environment for real worker processes on a private queue, using this test's database."""
    if connection.vendor != "postgresql":
        pytest.skip("the worker shares the test database over a real connection: PostgreSQL only")
    queue = f"govcms-test-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "govcms.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "GOVCMS_WECHAT_API_BASE": sandbox_server.base_url,
        "GOVCMS_WEIBO_API_BASE": sandbox_server.base_url,
        "GOVCMS_SITE_URL": "http://127.0.0.1:8000",
        "GOVCMS_CELERY_QUEUE": queue,
    }
    yield env
    celery_app.conf.task_default_queue = "celery"


def start_worker(env, *extra, pool="prefork"):
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "govcms", "worker", "-Q", env["GOVCMS_CELERY_QUEUE"], "-c", "2",
         "-P", pool, "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "warning", *extra],
        cwd=ROOT, env=env,
    )  # fmt: skip


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def worker(worker_env):
    process = start_worker(worker_env)
    yield process
    stop(process)


def wait_for(predicate, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_release_is_published_by_the_worker_once(accounts, release, worker, sandbox):
    post = release(accounts["weibo"], body="【通知】本周六上午停水，请提前储水。")
    assert wait_for(lambda: Publication.objects.filter(post=post, status="published").exists())
    assert WeiboPostPage.objects.get(pk=post.pk).status == "published"
    assert sandbox.state()["weibo"]["5000000101"]["counts"]["shares"] == 1


def test_scheduled_posts_due_while_workers_were_down(accounts, release, sandbox, request):
    """Posts that fell due while no worker ran are released and published once the worker is
    back and beat fires; a second beat tick changes nothing."""
    from editorial.tasks import release_due
    from publishing.tasks import publish_sweep

    # Far enough ahead that releasing three posts on a loaded machine finishes before it.
    soon = timezone.now() + timedelta(seconds=8)
    posts = [release(accounts["weibo"], body=f"【定时】第{n}条通知。", scheduled_at=soon) for n in range(3)]
    assert {WeiboPostPage.objects.get(pk=p.pk).status for p in posts} == {"scheduled"}
    time.sleep((soon - timezone.now()).total_seconds() + 0.5)  # due now, and no worker has run
    assert not Publication.objects.exists()

    request.getfixturevalue("worker")  # the worker comes back
    release_due.delay()  # beat's tick
    assert wait_for(lambda: Publication.objects.filter(status="published").count() == 3)
    release_due.delay()
    publish_sweep.delay()
    time.sleep(2)
    assert Publication.objects.count() == 3
    assert sandbox.state()["weibo"]["5000000101"]["counts"]["shares"] == 3


@pytest.mark.slow
def test_worker_killed_mid_publish_never_publishes_twice(accounts, release, sandbox, worker_env):
    """SIGKILL the worker while it waits for the platform, 20 times on 20 posts: each post ends
    published exactly once (found on the platform by reconciliation) or `unknown` with a reason —
    never twice, never silently lost."""
    import signal

    from publishing.tasks import publish_sweep

    # A look that fails on a loaded machine (the 2 s timeout) is retried after seconds, not the
    # production backoff of 15–30 s, so each round settles well within the wait below.
    env = {**worker_env, "GOVCMS_PUBLISH_LEASE_SECONDS": "4", "GOVCMS_PLATFORM_TIMEOUT": "2",
           "GOVCMS_BROKER_VISIBILITY_TIMEOUT": "6", "GOVCMS_PUBLISH_BACKOFF_BASE": "2",
           # Twenty rounds of sends, looks and resends on one account pass the hourly limit
           # (30 per hour for Weibo); this test is about kills, not about the limit.
           "GOVCMS_PUBLISH_RATE_LIMITS": '{"weibo": [100000, 3600]}'}  # fmt: skip
    outcomes = []
    for n in range(20):
        # The platform takes 3 s and then performs the share anyway (the answer is lost).
        sandbox.fault(kind="timeout", path="/2/statuses/share.json", seconds=3, then="answer")
        process = start_worker(env, pool="solo")
        post = release(accounts["weibo"], body=f"【第{n}条】停电检修通知，请相互转告。")
        assert wait_for(lambda post=post: Publication.objects.filter(post=post, in_flight_since__isnull=False).exists())
        os.kill(process.pid, signal.SIGKILL)  # mid-call: the marker is committed, the answer never recorded
        process.wait()
        process = start_worker(env, pool="solo")
        try:
            time.sleep(4.5)  # the lease runs out
            publish_sweep.delay()
            # A round can take a reconciliation, a lost answer, a look and a second send, each
            # with its backoff: on a loaded 2-core machine that has passed 30 s.
            assert wait_for(
                lambda post=post: Publication.objects.get(post=post).status in ("published", "unknown"), timeout=90
            )
        finally:
            stop(process)
        pub = Publication.objects.get(post=post)
        outcomes.append(pub.status)
        if pub.status == "unknown":
            assert pub.last_error, "an unknown outcome carries its reason"
    shares = sandbox.state()["weibo"]["5000000101"]["counts"]["shares"]
    assert shares == 20, "every post reached the platform exactly once"
    assert outcomes.count("published") + outcomes.count("unknown") == 20
    assert Publication.objects.filter(status="published").count() == outcomes.count("published")
