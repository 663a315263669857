"""The review queue costs a constant number of queries, whatever the number of pending items."""

import pytest
from django.db import connection
from django.utils import timezone

from editorial.models import ReviewStep
from editorial.services import post_create
from tests.factories import account

pytestmark = pytest.mark.django_db


def queries(fn):
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = fn()
    assert response.status_code == 200
    assert executed
    return len(executed), response.json()["items"]


def pending(org, editor, n):
    """`n` open first steps on posts spread over fresh accounts of city A."""
    now = timezone.now()
    for i in range(n):
        acct = account(
            org.county_a2, platform="weibo", name=f"队列账号{ReviewStep.objects.count()}-{i}", exemption_reason="测试"
        )
        post = post_create(actor=editor, account=acct, kind="weibo", title="稿", body="今日天气晴。")
        ReviewStep.objects.create(
            post=post, post_path=post.path, step_name="初审", step_index=1, steps_total=2, roles_text=",reviewer,",
            requested_by=editor, submitted_at=now, due_at=now,
        )  # fmt: skip


def test_awaiting_review_query_count_is_constant(org, make_user, api):
    editor = make_user("ed", "editor", org.city_a)
    make_user("rev", "reviewer", org.city_a)
    client = api("rev")
    client.get("/api/v1/me")  # the token's first use records its last-use time (once per 5 minutes)
    pending(org, editor, 3)
    small, items = queries(lambda: client.get("/api/v1/reviews?limit=500"))
    assert len(items) == 3
    pending(org, editor, 20)
    large, items = queries(lambda: client.get("/api/v1/reviews?limit=500"))
    assert len(items) == 23
    assert large == small
