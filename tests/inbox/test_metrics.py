"""Inbox metrics of a seeded month match hand-computed values, and asking about the same month
again after more activity gives the same numbers (only `overdue_now` is about the asking moment)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from inbox.models import InboxItem
from inbox.selectors import metrics
from inbox.services import item_acknowledge, item_enter

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=SH)


def seeded(editor, account, received, *, acknowledged=None, answered=None):
    item = item_enter(actor=editor, account=account, text="来电咨询", channel="phone", received_at=received)
    InboxItem.objects.filter(pk=item.pk).update(acknowledged_at=acknowledged, answered_at=answered)
    return InboxItem.objects.get(pk=item.pk)


def test_a_seeded_month(org, staff, clock, api):
    clock.move_to(at(2026, 4, 10, 10, 0))
    editor, account = staff["editor"], org.acct_a1_weibo
    a = seeded(editor, account, at(2026, 3, 2, 9, 0), acknowledged=at(2026, 3, 2, 15), answered=at(2026, 3, 3, 9, 0))
    seeded(editor, account, at(2026, 3, 5, 10, 0), acknowledged=at(2026, 3, 5, 11), answered=at(2026, 3, 6, 12, 0))
    seeded(editor, account, at(2026, 3, 10, 8, 0), acknowledged=at(2026, 3, 11, 9), answered=at(2026, 3, 20, 8, 0))
    d = seeded(editor, account, at(2026, 3, 20, 9, 0), acknowledged=at(2026, 4, 2, 9), answered=at(2026, 4, 2, 9, 0))
    e = seeded(editor, account, at(2026, 3, 30, 9, 0))
    seeded(editor, account, at(2026, 2, 27, 9, 0), answered=at(2026, 3, 2, 9, 0))  # received before the month
    seeded(editor, org.acct_a1_wechat, at(2026, 3, 3, 9, 0))  # another account
    # Five working days after receipt (the receiving day not counted), to the close of office hours;
    # 4–6 April 2026 is 清明.
    assert a.due_at == at(2026, 3, 9, 17, 30)
    assert d.due_at == at(2026, 3, 27, 17, 30)
    assert e.due_at == at(2026, 4, 7, 17, 30)

    march = {"since": at(2026, 3, 1), "until": at(2026, 4, 1)}
    expected = {
        "received": 5,
        "acknowledged": 3,  # the fourth was acknowledged in April
        "answered": 3,
        "answered_in_time": 2,  # the third took 240 hours, past its due time
        "median_answer_hours": 26.0,  # of 24, 26 and 240
        "p90_answer_hours": 240.0,  # nearest rank: the 3rd of 3
        "overdue_now": 1,  # the last one, due 7 April and still unanswered on the 10th
        "overdue_at_end": 1,  # the fourth: due 27 March, unanswered on 1 April
    }
    qs = InboxItem.objects.filter(account=account)
    assert metrics(qs, **march) == expected

    # More activity: the last one is answered (and acknowledged), new items arrive in April.
    item_acknowledge(actor=editor, item=e)
    InboxItem.objects.filter(pk=e.pk).update(answered_at=at(2026, 4, 10, 10, 0))
    seeded(editor, account, at(2026, 4, 9, 9, 0), answered=at(2026, 4, 9, 10, 0))
    assert metrics(qs, **march) == {**expected, "overdue_now": 0}

    response = api("editor").get(
        "/api/v1/inbox/metrics",
        account_id=account.pk,
        since=march["since"].isoformat(),
        until=march["until"].isoformat(),
    )
    assert response.status_code == 200 and response.json() == {**expected, "overdue_now": 0}
    april = (
        api("editor")
        .get(
            "/api/v1/inbox/metrics",
            agency_id=org.county_a1.pk,
            since="2026-04-01T00:00:00+08:00",
            until="2026-05-01T00:00:00+08:00",
        )
        .json()
    )
    assert (april["received"], april["answered"], april["median_answer_hours"]) == (1, 1, 1.0)


def test_metrics_input_errors_and_scope(org, staff, make_user, api):
    client = api("editor")
    base = {"since": "2026-03-01T00:00:00+08:00", "until": "2026-04-01T00:00:00+08:00"}
    assert client.get("/api/v1/inbox/metrics", **base).status_code == 422  # neither account nor agency
    swapped = {"since": base["until"], "until": base["since"]}
    assert client.get("/api/v1/inbox/metrics", account_id=org.acct_a1_weibo.pk, **swapped).status_code == 422
    make_user("editor_b", "editor", org.county_b1)
    outsider = api("editor_b")
    assert outsider.get("/api/v1/inbox/metrics", account_id=org.acct_a1_weibo.pk, **base).status_code == 404
