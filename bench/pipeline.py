"""1,000 posts through the real Celery worker to the platform sandbox, against the same HTTP calls
made in a plain loop, in the same run.

    CELERY_BROKER_URL=redis://127.0.0.1:6379/0 DATABASE_URL=postgres://postgres@127.0.0.1:5432/govcms \\
        DJANGO_SETTINGS_MODULE=govcms.settings.test .venv/bin/python bench/pipeline.py [N]

Both sides publish N distinct Weibo posts through the same backend code; the pipeline side goes
release → Publication row → broker → worker (2 processes) → sandbox, with every attempt recorded
and the ledger written. Prints throughput, overhead per post, the ratio, and duplicates on the
sandbox (must be 0). Uses a throwaway test database and a private queue.
"""

import os
import platform
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govcms.settings.test")
os.environ["GOVCMS_PUBLISH_RATE_LIMITS"] = '{"weibo": [100000, 3600]}'
QUEUE = f"govcms-bench-{uuid.uuid4().hex[:8]}"
os.environ["GOVCMS_CELERY_QUEUE"] = QUEUE

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from bench.scratch import scratch_database  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000


def main() -> None:
    if not settings.CELERY_BROKER_URL or connection.vendor != "postgresql":
        sys.exit("needs CELERY_BROKER_URL and a PostgreSQL DATABASE_URL (the worker shares the database)")
    from sandbox.server import SandboxServer

    with scratch_database("govcms_bench_pipeline"):
        sandbox = SandboxServer()
        sandbox.start()
        try:
            run(sandbox)
        finally:
            sandbox.stop()


def run(sandbox) -> None:
    from django.contrib.auth import get_user_model

    from editorial.services import post_create
    from govcms import services
    from govcms.celery import app
    from publishing.backends import base
    from publishing.backends.registry import get_backend
    from publishing.models import Publication
    from publishing.services import build_item
    from publishing.tasks import publish_publication
    from sandbox.client import SandboxControl

    settings.GOVCMS_WEIBO_API_BASE = sandbox.base_url
    settings.GOVCMS_SITE_URL = "http://127.0.0.1:8000"
    control = SandboxControl(sandbox.base_url)
    for uid, token in (("6000000001", "bench-token-loop"), ("6000000002", "bench-token-pipe")):
        control.weibo_account(uid, access_token=token, safe_domain="127.0.0.1", hourly_limit=10 * N)
    root = get_user_model().objects.create_superuser("bench-root", password="bench-password-1")
    province = services.agency_create(
        actor=root, parent=None, name="基准省", region_code="330000", level="province", category="government_office"
    )
    account = services.account_create(
        actor=root, agency=province, platform="weibo", name="基准微博",
        credentials={"access_token": "bench-token-pipe", "uid": "6000000002"},
    )  # fmt: skip
    started = time.perf_counter()
    pubs = []
    for i in range(N):
        post = post_create(actor=root, account=account, kind="weibo", title=f"稿{i}", body=f"【基准】第{i}条通知。")
        pubs.append(Publication(post=post, revision=post.get_latest_revision(), account=account, platform="weibo"))
    Publication.objects.bulk_create(pubs)
    pubs = list(Publication.objects.order_by("pk"))
    print(f"prepared {N} posts in {time.perf_counter() - started:.1f} s")

    # Baseline: the same backend, the same kind of item, a plain loop.
    backend = get_backend("weibo")
    loop_credentials = base.Credentials(access_token="bench-token-loop", uid="6000000001")
    items = [build_item(pub)[0] for pub in pubs]
    started = time.perf_counter()
    for item in items:
        backend.publish(credentials=loop_credentials, item=base.WeiboStatus(text=item.text.replace("基准", "循环")))
    loop_seconds = time.perf_counter() - started

    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "GOVCMS_WEIBO_API_BASE": sandbox.base_url,
        "GOVCMS_SITE_URL": "http://127.0.0.1:8000",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "govcms", "worker", "-Q", QUEUE, "-c", "2", "--without-gossip",
         "--without-mingle", "--without-heartbeat", "-l", "error"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    app.conf.task_default_queue = QUEUE
    try:
        time.sleep(3)  # worker start-up is not part of the measurement
        started = time.perf_counter()
        for pub in pubs:
            publish_publication.delay(pub.pk)
        while Publication.objects.filter(status="published").count() < N:
            if time.perf_counter() - started > 30 * 60:
                raise SystemExit("timed out")
            time.sleep(0.2)
        pipe_seconds = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    counts = control.state()["weibo"]
    duplicates = counts["6000000002"]["counts"]["shares"] - N
    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, PostgreSQL + Redis, worker -c 2")
    for label, seconds in (("plain loop", loop_seconds), ("pipeline", pipe_seconds)):
        print(
            f"{label:<10}: {N} posts in {seconds:.1f} s = {N / seconds:.0f} posts/s ({seconds / N * 1000:.1f} ms/post)"
        )
    overhead = (pipe_seconds - loop_seconds) / N * 1000
    print(f"overhead per post {overhead:.1f} ms; ratio pipeline/loop {pipe_seconds / loop_seconds:.2f}")
    print(f"duplicates on the sandbox: {duplicates}")


if __name__ == "__main__":
    main()
