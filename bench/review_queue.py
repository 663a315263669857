""" "Awaiting my review" for a reviewer with 5,000 pending items over 200 accounts.

    DJANGO_SETTINGS_MODULE=govcms.settings.test .venv/bin/python bench/review_queue.py

Prints the query count of GET /api/v1/reviews (first page and a 500-item page) at 500 and at
5,000 pending items, and its median response time against one raw SQL query returning the same
ids (the baseline, same run). The 200 accounts and one post per account are made through the
services; the 5,000 open steps are bulk-inserted rows of the queue table (the queue reads only
that table), spread over the accounts. Runs in a throwaway test database.
"""

import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govcms.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from bench.scratch import count_queries, scratch_database, timed  # noqa: E402

ACCOUNTS = 200
REPEATS = 15


def main() -> None:
    with scratch_database("govcms_bench_queue"):
        run()


def run() -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from editorial.models import ReviewStep
    from editorial.services import post_create
    from govcms import services

    User = get_user_model()
    root = User.objects.create_superuser("bench-root", password="bench-password-1")
    editor = User.objects.create_user("bench-editor", password="bench-password-1")
    reviewer = User.objects.create_user("bench-reviewer", password="bench-password-1")
    province = services.agency_create(
        actor=root, parent=None, name="基准省", region_code="330000", level="province", category="government_office"
    )
    started = time.perf_counter()
    posts = []
    for n in range(ACCOUNTS):
        account = services.account_create(
            actor=root, agency=province, platform="weibo", name=f"基准账号{n}", exemption_reason="基准测试"
        )
        posts.append(post_create(actor=editor, account=account, kind="weibo", title=f"稿件{n}", body="今日天气晴。"))
    print(f"built {ACCOUNTS} accounts with one post each in {time.perf_counter() - started:.1f} s")
    services.role_assign(actor=root, user=reviewer, role="reviewer", agency=province)

    client = Client()
    token = client.post(
        "/api/v1/auth/token",
        {"username": "bench-reviewer", "password": "bench-password-1"},
        content_type="application/json",
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    raw_sql = (
        "SELECT s.id FROM editorial_reviewstep s WHERE s.open AND s.post_path LIKE %s "
        "AND s.roles_text LIKE %s AND (s.requested_by_id IS NULL OR s.requested_by_id <> %s) "
        "ORDER BY s.due_at, s.id LIMIT %s"
    )

    def add_steps(total: int) -> None:
        now = timezone.now()
        have = ReviewStep.objects.count()
        ReviewStep.objects.bulk_create(
            ReviewStep(
                post=posts[i % ACCOUNTS],
                post_path=posts[i % ACCOUNTS].path,
                step_name="初审",
                step_index=1,
                steps_total=2,
                roles_text=",reviewer,",
                requested_by=editor,
                submitted_at=now,
                due_at=now,
            )  # fmt: skip
            for i in range(have, total)
        )

    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, {connection.vendor}")
    for total in (500, 5_000):
        add_steps(total)
        for limit in (50, 500):
            url = f"/api/v1/reviews?limit={limit}"
            response = client.get(url, headers=headers)
            assert response.status_code == 200
            api_ids = [item["task_id"] for item in response.json()["items"]]

            def raw(limit=limit):
                with connection.cursor() as cursor:
                    cursor.execute(raw_sql, [province.path + "%", "%,reviewer,%", reviewer.pk, limit])
                    return [row[0] for row in cursor.fetchall()]

            assert raw() == api_ids, "the baseline must return the same ids"
            queries = count_queries(lambda url=url: client.get(url, headers=headers))
            api_time = timed(lambda url=url: client.get(url, headers=headers), REPEATS)
            raw_time = timed(raw, REPEATS)
            print(
                f"{total:>5} pending, page of {limit:>3}: {queries} queries; API {api_time * 1000:.1f} ms vs raw SQL "
                f"{raw_time * 1000:.2f} ms → ratio {api_time / raw_time:.1f}"
            )


if __name__ == "__main__":
    main()
