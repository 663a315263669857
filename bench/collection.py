"""Comment collection against a plain HTTP loop, over the platform sandbox.

    DJANGO_SETTINGS_MODULE=govcms.settings.test .venv/bin/python bench/collection.py [PUBLICATIONS] [PER]

Shares PUBLICATIONS (default 200) Weibo statuses on the sandbox, seeds PER (default 50) reader
comments on each (10,000 in all) and records a publication for each. Then, in the same run:
- the baseline: a plain httpx loop asking `comments/show` for the same pages (200 a page, as the
  backend asks) and decoding them, nothing stored;
- govcms: `inbox.services.comments_collect` for every publication (the collection task's body:
  cursor row lock, fetch, sanitise, route, deadlines, ON CONFLICT insert, cursor, ledger event).
It prints both times and the ratio, then collects again (nothing new may be stored) and checks
that exactly PUBLICATIONS × PER items exist with no platform id twice. Runs in a throwaway test
database (PostgreSQL as DATABASE_URL names, or SQLite).
"""

import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govcms.settings.test")

import django  # noqa: E402

django.setup()

from bench.scratch import scratch_database  # noqa: E402

PUBLICATIONS = int(sys.argv[1]) if len(sys.argv) > 1 else 200
PER = int(sys.argv[2]) if len(sys.argv) > 2 else 50
ROUNDS = 3
UID, TOKEN = "5000000901", "bench-token-collection"


def main() -> None:
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("inbox").setLevel(logging.WARNING)
    from sandbox.server import SandboxServer

    with scratch_database("govcms_bench_collection"):
        sandbox = SandboxServer()
        sandbox.start()
        try:
            run(sandbox)
        finally:
            sandbox.stop()


def run(sandbox) -> None:
    import httpx
    from django.conf import settings
    from django.db import connection

    from editorial import services as ed
    from govcms import services
    from govcms.capabilities import SYSTEM
    from inbox.models import InboxItem
    from inbox.services import comments_collect
    from publishing.models import Publication
    from sandbox.client import SandboxControl

    settings.GOVCMS_WEIBO_API_BASE = sandbox.base_url
    control = SandboxControl(sandbox.base_url)
    control.weibo_account(UID, access_token=TOKEN, safe_domain="127.0.0.1", hourly_limit=10**9)

    province = services.agency_create(
        actor=SYSTEM, parent=None, name="基准省", region_code="330000", level="province", category="government_office"
    )
    county = services.agency_create(
        actor=SYSTEM, parent=province, name="基准县", region_code="330101", level="county", category="other"
    )
    account = services.account_create(
        actor=SYSTEM, agency=county, platform="weibo", name="基准微博", exemption_reason="基准测试"
    )
    services.credential_set(actor=SYSTEM, account=account, access_token=TOKEN, uid=UID)
    author = services.user_create(actor=SYSTEM, username="bench-editor", password="bench-password-1")
    services.role_assign(actor=SYSTEM, user=author, role="editor", agency=county)

    started = time.perf_counter()
    http = httpx.Client(base_url=sandbox.base_url, timeout=10)
    status_ids = []
    for n in range(PUBLICATIONS):
        shared = http.post(
            "/2/statuses/share.json",
            data={"access_token": TOKEN, "status": f"【基准】第{n}条通知 http://127.0.0.1:8000/p/{n}/"},
        )
        shared.raise_for_status()
        status_id = shared.json()["id"]
        status_ids.append(status_id)
        for c in range(PER):
            control.weibo_comment(status_id, text=f"第{c}条评论：路灯不亮，请尽快维修。", user_name=f"网友{c}")
        post = ed.post_create(actor=author, account=account, kind="weibo", title=f"基准{n}", body=f"第{n}条通知")
        Publication.objects.create(
            post=post,
            revision=post.latest_revision,
            account=account,
            platform="weibo",
            status="published",
            platform_post_id=str(status_id),
        )
    pubs = list(Publication.objects.order_by("pk").values_list("pk", flat=True))
    print(f"seeded {len(pubs)} statuses × {PER} comments in {time.perf_counter() - started:.1f} s")

    def baseline() -> int:
        fetched = 0
        for status_id in status_ids:
            page = 1
            while True:
                answer = http.get(
                    "/2/comments/show.json",
                    params={"access_token": TOKEN, "id": status_id, "count": 200, "page": page},
                ).json()
                batch = answer["comments"]
                fetched += len(batch)
                if len(batch) < 200:
                    break
                page += 1
        return fetched

    # Alternate, so background load hits both alike; govcms collects everything in its first
    # round (the later rounds measure an incremental pass that finds nothing new).
    plain_times, first_collect, again_times = [], None, []
    for round_ in range(ROUNDS):
        start = time.perf_counter()
        assert baseline() == PUBLICATIONS * PER
        plain_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        results = [comments_collect(pk) for pk in pubs]
        elapsed = time.perf_counter() - start
        if round_ == 0:
            first_collect = elapsed
            assert sum(r.new for r in results) == PUBLICATIONS * PER, [r for r in results if r.action != "collected"]
        else:
            again_times.append(elapsed)
            assert sum(r.new for r in results) == 0
    stored = InboxItem.objects.count()
    distinct = InboxItem.objects.values("account_id", "platform_id").distinct().count()
    plain = statistics.median(plain_times)
    print(f"database: {connection.vendor}; machine: {os.cpu_count()} CPUs, {platform.platform()}")
    print(
        f"collection: {stored:,} comments from {len(pubs)} publications in {first_collect:.2f} s"
        f" vs plain httpx loop {plain:.2f} s → ratio {first_collect / plain:.2f}"
    )
    print(
        f"incremental pass (nothing new): {statistics.median(again_times):.2f} s"
        f" → ratio {statistics.median(again_times) / plain:.2f}"
    )
    print(f"duplicates: {stored - distinct} (stored {stored:,}, distinct platform ids {distinct:,})")
    if stored != PUBLICATIONS * PER or stored != distinct:
        raise SystemExit("collection stored the wrong number of items")


if __name__ == "__main__":
    main()
