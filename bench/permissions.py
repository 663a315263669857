"""Permission resolution cost for an auditor as the jurisdiction grows from 50 to 500 accounts.

    DJANGO_SETTINGS_MODULE=govcms.settings.test .venv/bin/python bench/permissions.py

For GET /api/v1/accounts and the Wagtail admin explorer of the auditor's city, prints the query
count and median response time at 50 accounts (the baseline, same run) and at 500, with the
ratios. Query counts must not grow; time grows only with the rows serialised. Runs in a
throwaway test database (created and destroyed by Django's test machinery).
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

from django.db import connection  # noqa: E402

from bench.scratch import scratch_database  # noqa: E402

REPEATS = 15
ACCOUNTS_PER_COUNTY = 10


def measure(client, url, headers=None):
    """(query count of one request, median seconds over REPEATS requests)."""
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    # An execute wrapper, not CaptureQueriesContext: each request clears the debug query log.
    with connection.execute_wrapper(count):
        response = client.get(url, headers=headers or {})
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        client.get(url, headers=headers or {})
        times.append(time.perf_counter() - start)
    return len(executed), statistics.median(times)


def main() -> None:
    with scratch_database("govcms_bench_permissions"):
        run()


def run() -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from govcms import services

    root_user = get_user_model().objects.create_superuser("bench-root", password="bench-password-1")
    auditor = get_user_model().objects.create_user("bench-auditor", password="bench-password-1")
    province = services.agency_create(
        actor=root_user,
        parent=None,
        name="基准省",
        region_code="330000",
        level="province",
        category="government_office",
    )
    city = services.agency_create(
        actor=root_user,
        parent=province,
        name="基准市",
        region_code="330100",
        level="city",
        category="government_office",
    )
    services.role_assign(actor=root_user, user=auditor, role="auditor", agency=city)
    county_no = 0

    def grow_to(total: int) -> None:
        nonlocal county_no
        from govcms.models import AccountPage

        while AccountPage.objects.count() < total:
            county_no += 1
            county = services.agency_create(
                actor=root_user, parent=city, name=f"基准县{county_no}", region_code="330102",
                level="county", category="government_office",
            )  # fmt: skip
            for i in range(ACCOUNTS_PER_COUNTY):
                services.account_create(
                    actor=root_user, agency=county, platform="weibo" if i % 2 else "wechat",
                    name=f"基准账号{county_no}-{i}", exemption_reason="基准测试",
                )  # fmt: skip

    api = Client()
    token = api.post(
        "/api/v1/auth/token",
        {"username": "bench-auditor", "password": "bench-password-1"},
        content_type="application/json",
    ).json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    admin = Client()
    admin.force_login(auditor)

    results = {}
    for total in (50, 500):
        started = time.perf_counter()
        grow_to(total)
        build = time.perf_counter() - started
        results[total] = {
            "api": measure(api, "/api/v1/accounts?limit=500", bearer),
            "explorer": measure(admin, f"/admin/pages/{city.pk}/"),
        }
        print(f"built {total} accounts (+{build:.1f} s)")

    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, {connection.vendor}")
    for view in ("api", "explorer"):
        (q_small, t_small), (q_large, t_large) = results[50][view], results[500][view]
        label = "GET /api/v1/accounts" if view == "api" else "admin explorer (city)"
        print(
            f"{label:<24} queries 50→500 accounts: {q_small} → {q_large} (ratio {q_large / q_small:.2f}); "
            f"median time {t_small * 1000:.1f} ms → {t_large * 1000:.1f} ms (ratio {t_large / t_small:.2f})"
        )


if __name__ == "__main__":
    main()
