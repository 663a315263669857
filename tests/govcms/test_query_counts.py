"""Permission resolution costs a constant number of queries, whatever the number of accounts."""

import pytest
from django.db import connection

from tests.factories import account, agency

pytestmark = pytest.mark.django_db


def grow(org, n):
    """Add `n` accounts spread over new counties in city A."""
    for i in range(n):
        county = agency(org.city_a, name=f"扩展县{i}", region_code=f"3301{i % 90 + 10:02d}")
        account(county, platform="weibo" if i % 2 else "wechat")


def count_queries(fn):
    """Queries one request runs (an execute wrapper: each request clears the debug query log)."""
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = fn()
    assert response.status_code == 200, response.content[:300]
    assert executed, "the request ran no query: the counter is not counting"
    return len(executed)


def test_account_list_and_explorer_queries_do_not_grow(org, make_user, api, admin_client_for):
    auditor = make_user("aud", "auditor", org.city_a)
    client = api("aud")
    admin = admin_client_for(auditor)
    list_url = "/api/v1/accounts?limit=500"
    explore_url = f"/admin/pages/{org.city_a.pk}/"

    client.get(list_url), admin.get(explore_url)  # warm per-process caches (content types, site)
    small_api, small_admin = count_queries(lambda: client.get(list_url)), count_queries(lambda: admin.get(explore_url))
    grow(org, 12)
    assert len(client.get(list_url).json()["items"]) == 15
    large_api, large_admin = count_queries(lambda: client.get(list_url)), count_queries(lambda: admin.get(explore_url))
    assert large_api == small_api
    assert large_admin == small_admin


def test_membership_and_agency_lists_constant(org, make_user, api):
    make_user("boss", "agency_admin", org.city_a)
    client = api("boss")
    client.get("/api/v1/memberships")
    small = (
        count_queries(lambda: client.get("/api/v1/memberships")),
        count_queries(lambda: client.get("/api/v1/agencies")),
    )
    for i in range(8):
        make_user(f"ed{i}", "editor", org.county_a1)
    grow(org, 4)
    large = (
        count_queries(lambda: client.get("/api/v1/memberships")),
        count_queries(lambda: client.get("/api/v1/agencies")),
    )
    assert large == small
