"""/api/v1/inbox: items entered by hand, the list and the detail, inside the jurisdiction only."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import LedgerEvent
from inbox.models import InboxItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org, make_user, staff):
    return {
        **staff,
        "auditor_a": make_user("auditor_a", "auditor", org.city_a),
        "editor_b": make_user("editor_b", "editor", org.county_b1),
    }


def enter(client, account, **fields):
    body = {"account_id": account.pk, "text": "市民来电反映：小区路灯不亮。", "author": "王先生", "channel": "phone"}
    return client.post("/api/v1/inbox", {**body, **fields})


def test_an_editor_enters_an_item_by_hand(org, people, api):
    received = (timezone.now() - timedelta(hours=2)).isoformat()
    response = enter(api("editor"), org.acct_a1_weibo, received_at=received)
    assert response.status_code == 201, response.content
    item = response.json()
    assert (item["kind"], item["channel"], item["status"], item["author"]) == ("manual", "phone", "open", "王先生")
    assert item["agency_id"] == org.county_a1.pk and item["due_at"] > item["ack_due_at"] > received
    stored = InboxItem.objects.get(pk=item["id"])
    assert stored.created_by == people["editor"] and stored.platform_id == ""
    event = LedgerEvent.objects.get(action="inbox.entered", object_id=str(stored.pk))
    assert event.actor == "editor" and event.scope == org.acct_a1_weibo.path

    detail = api("editor").get(f"/api/v1/inbox/{item['id']}").json()
    assert detail["text"] == "市民来电反映：小区路灯不亮。" and detail["history"][0]["action"] == "inbox.entered"


def test_bad_input_is_a_clear_422(org, people, api):
    client = api("editor")
    future = (timezone.now() + timedelta(days=1)).isoformat()
    cases = [
        ({"channel": "platform"}, 422),
        ({"text": "长" * 2001}, 422),
        ({"text": ""}, 422),
        ({"text": "<b></b>"}, 422),  # nothing left once the markup is gone
        ({"received_at": future}, 422),
        ({"received_at": "2026-03-04T10:00:00"}, 422),  # no offset
    ]
    for fields, status in cases:
        response = enter(client, org.acct_a1_weibo, **fields)
        assert response.status_code == status, (fields, response.content)
        assert response.json()["error"]["code"]
    assert not InboxItem.objects.exists()


def test_other_counties_see_nothing_and_auditors_only_read(org, people, api):
    item = enter(api("editor"), org.acct_a1_weibo).json()
    outsider = api("editor_b")
    assert outsider.get(f"/api/v1/inbox/{item['id']}").status_code == 404
    assert outsider.get(f"/api/v1/inbox/{item['id'] + 1000}").status_code == 404
    assert outsider.get("/api/v1/inbox").json()["items"] == []
    assert enter(outsider, org.acct_a1_weibo).status_code == 404  # the account is outside too
    auditor = api("auditor_a")
    assert [i["id"] for i in auditor.get("/api/v1/inbox").json()["items"]] == [item["id"]]
    assert auditor.get(f"/api/v1/inbox/{item['id']}").status_code == 200
    assert enter(auditor, org.acct_a1_weibo).status_code == 403
    assert InboxItem.objects.count() == 1


def test_list_filters_and_overdue(org, people, api, clock):
    client = api("editor")
    first = enter(client, org.acct_a1_weibo).json()
    second = enter(client, org.acct_a1_wechat, channel="letter").json()

    def ids(**query):
        return [i["id"] for i in client.get("/api/v1/inbox", **query).json()["items"]]

    assert ids() == [second["id"], first["id"]]
    assert ids(account_id=org.acct_a1_wechat.pk) == [second["id"]]
    assert ids(agency_id=org.county_a1.pk) == [second["id"], first["id"]]
    assert ids(status="overdue") == []
    clock.move_to(timezone.now() + timedelta(days=14))  # past five working days
    client = api("editor")  # a fresh token: the first one has expired meanwhile
    assert ids(status="overdue") == [second["id"], first["id"]]
    assert ids(status="open") == []
    assert client.get("/api/v1/inbox", status="bogus").status_code == 422
