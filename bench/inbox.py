"""The inbox listing API with 100,000 items over 500 accounts, against hand-written SQL.

    DJANGO_SETTINGS_MODULE=govcms.settings.test .venv/bin/python bench/inbox.py

Builds 500 accounts through the services (five counties of 100 accounts under one city), then
bulk-inserts 100,000 inbox items spread over them (the listing reads only the item rows, their
accounts' and agencies' paths and the assignees). For a city-level agency admin (who sees every
account through the path prefix) and a county-level one, it prints the query count of
GET /api/v1/inbox (pages of 50 and 500, at 10,000 and at 100,000 items: constant means it does
not grow with either), and the median API time against one hand-written SQL query returning the
same page's fields, `json.dumps`-ed (the baseline, same run; target ratio ≤ 3). Runs in a
throwaway PostgreSQL test database.
"""

import json
import os
import platform
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govcms.settings.test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from bench.scratch import count_queries, timed  # noqa: E402

COUNTIES = 5
ACCOUNTS_PER_COUNTY = 100
ITEMS = 100_000
REPEATS = 15
TARGET = 3.0

# The page of GET /api/v1/inbox, by hand: the same rows, the same fields, the derived status.
RAW_SQL = """
SELECT i.id, i.account_id, i.platform, i.kind, i.channel, i.author, i.text, i.received_at,
       i.ack_due_at, i.due_at,
       CASE WHEN i.status IN ('open', 'acknowledged', 'overdue') AND i.due_at <= %s THEN 'overdue'
            ELSE i.status END,
       u.username, i.agency_id, i.publication_id
FROM inbox_inboxitem i
JOIN wagtailcore_page ap ON ap.id = i.account_id
LEFT JOIN wagtailcore_page gp ON gp.id = i.agency_id
LEFT JOIN auth_user u ON u.id = i.assignee_id
WHERE ap.path LIKE %s OR gp.path LIKE %s
ORDER BY i.received_at DESC, i.id DESC
LIMIT %s
"""
FIELDS = ["id", "account_id", "platform", "kind", "channel", "author", "text", "received_at", "ack_due_at"]
FIELDS += ["due_at", "status", "assignee", "agency_id", "publication_id"]


def main() -> None:
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        raise SystemExit("bench/inbox.py measures PostgreSQL: set DATABASE_URL")
    setup_test_environment()
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = "govcms_bench_inbox"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run() -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from govcms import services
    from govcms.capabilities import SYSTEM
    from inbox.models import InboxItem

    User = get_user_model()
    province = services.agency_create(
        actor=SYSTEM, parent=None, name="基准省", region_code="330000", level="province", category="government_office"
    )
    city = services.agency_create(
        actor=SYSTEM, parent=province, name="基准市", region_code="330100", level="city", category="government_office"
    )
    started = time.perf_counter()
    counties, accounts = [], []
    for c in range(COUNTIES):
        county = services.agency_create(
            actor=SYSTEM,
            parent=city,
            name=f"基准县{c}",
            region_code=f"3301{c + 1:02d}",
            level="county",
            category="other",
        )
        counties.append(county)
        for n in range(ACCOUNTS_PER_COUNTY):
            accounts.append(
                services.account_create(
                    actor=SYSTEM, agency=county, platform="weibo", name=f"基准账号{c}-{n}", exemption_reason="基准测试"
                )
            )
    print(f"built {len(accounts)} accounts in {time.perf_counter() - started:.1f} s")

    readers = {}
    for name, scope in (("city", city), ("county", counties[0])):
        user = User.objects.create_user(f"bench-{name}", password="bench-password-1")
        services.role_assign(actor=SYSTEM, user=user, role="agency_admin", agency=scope)
        readers[name] = (user, scope)
    handler = User.objects.create_user("bench-handler", password="bench-password-1")

    def add_items(total: int) -> None:
        now = timezone.now()
        have = InboxItem.objects.count()
        rows = []
        for i in range(have, total):
            account = accounts[i % len(accounts)]
            received = now - timedelta(minutes=i)
            rows.append(
                InboxItem(
                    account=account,
                    platform="weibo",
                    kind="comment",
                    platform_id=f"c:{i}",
                    author=f"网友{i % 997}",
                    text=f"第 {i} 条评论：路灯不亮，请尽快维修。",
                    received_at=received,
                    status=("open", "acknowledged", "answered")[i % 3],
                    ack_due_at=received + timedelta(days=1),
                    due_at=received + timedelta(days=7),
                    agency_id=counties[(i % len(accounts)) // ACCOUNTS_PER_COUNTY].pk,
                    assignee=handler if i % 4 == 0 else None,
                )
            )
            if len(rows) == 5_000:
                InboxItem.objects.bulk_create(rows)
                rows = []
        InboxItem.objects.bulk_create(rows)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE inbox_inboxitem")

    client = Client()
    tokens = {}
    for name in readers:
        response = client.post(
            "/api/v1/auth/token",
            {"username": f"bench-{name}", "password": "bench-password-1"},
            content_type="application/json",
        )
        tokens[name] = {"Authorization": f"Bearer {response.json()['token']}"}

    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, {connection.vendor}")
    ratios = []
    for total in (10_000, ITEMS):
        started = time.perf_counter()
        add_items(total)
        print(f"{total:,} items (inserted in {time.perf_counter() - started:.1f} s)")
        for name, (_user, scope) in readers.items():
            for limit in (50, 500):
                url = f"/api/v1/inbox?limit={limit}"
                headers = tokens[name]
                response = client.get(url, headers=headers)
                assert response.status_code == 200, response.content[:300]
                api_items = response.json()["items"]

                def raw(limit=limit, scope=scope):
                    with connection.cursor() as cursor:
                        prefix = scope.path + "%"
                        cursor.execute(RAW_SQL, [timezone.now(), prefix, prefix, limit])
                        rows = [dict(zip(FIELDS, row, strict=True)) for row in cursor.fetchall()]
                    return json.dumps({"items": rows}, default=str, ensure_ascii=False)

                raw_items = json.loads(raw())["items"]
                assert [r["id"] for r in raw_items] == [i["id"] for i in api_items], "the baseline's page differs"
                assert len(api_items) == limit
                queries = count_queries(lambda url=url, headers=headers: client.get(url, headers=headers))
                api_time = timed(lambda url=url, headers=headers: client.get(url, headers=headers), REPEATS)
                raw_time = timed(raw, REPEATS)
                ratio = api_time / raw_time
                ratios.append(ratio)
                print(
                    f"  {name:>6} admin, page of {limit:>3}: {queries} queries; API {api_time * 1000:.1f} ms vs "
                    f"SQL + json.dumps {raw_time * 1000:.1f} ms → ratio {ratio:.2f}"
                )
    print(f"\nworst ratio {max(ratios):.2f} (target ≤ {TARGET:.0f})")


if __name__ == "__main__":
    main()
