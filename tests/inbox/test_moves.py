"""Assign and transfer through /api/v1/inbox: inside the jurisdiction at once, across it pending
until the receiving agency's admin accepts or declines; history and ledger; 404 for another
county's users, 403 for auditors."""

import pytest

from audit.models import LedgerEvent
from inbox.models import InboxItem

pytestmark = pytest.mark.django_db


def enter(client, account, text="市民来电：小区路灯不亮。"):
    response = client.post("/api/v1/inbox", {"account_id": account.pk, "text": text, "channel": "phone"})
    assert response.status_code == 201, response.content
    return response.json()["id"]


def actions(item_id):
    return list(
        LedgerEvent.objects.filter(object_type="inboxitem", object_id=str(item_id)).values_list("action", flat=True)
    )


def test_assign_and_transfer_inside_then_across_the_jurisdiction(org, depts, handlers, api):
    editor = api("editor")
    item_id = enter(editor, org.acct_a1_weibo)
    url = f"/api/v1/inbox/{item_id}"

    # Assign: only someone who can handle the agency's items; everyone else is "unknown".
    for username in ("edu_editor", "editor_b", "nobody", "auditor_a"):
        response = editor.post(f"{url}/assign", {"username": username})
        assert (response.status_code, response.json()["error"]["code"]) == (422, "unknown_user"), username
    response = editor.post(f"{url}/assign", {"username": "editor"})
    assert response.status_code == 200 and response.json()["assignee"] == "editor"

    # Inside the county: a department takes it at once; the assignee is cleared.
    response = editor.post(f"{url}/transfer", {"agency_id": depts["edu"].pk, "reason": "涉及学校周边"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["agency_id"], body["assignee"], body["pending_transfer"]) == (depts["edu"].pk, None, None)
    edu = api("edu_editor")  # the department's editor now sees and handles it
    assert edu.post(f"{url}/assign", {"username": "edu_editor"}).json()["assignee"] == "edu_editor"

    # Across: the next county must accept; meanwhile the item stays and a second request waits.
    response = edu.post(f"{url}/transfer", {"agency_id": org.county_a2.pk, "reason": "属甲二县管辖"})
    assert response.status_code == 200, response.content
    pending = response.json()["pending_transfer"]
    assert response.json()["agency_id"] == depts["edu"].pk and pending["status"] == "pending"
    again = edu.post(f"{url}/transfer", {"agency_id": org.county_b1.pk, "reason": "再转"})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "transfer_pending")

    receiving = api("admin_a2")
    assert receiving.get(url).status_code == 404  # not theirs before they accept
    listed = receiving.get("/api/v1/inbox/transfers", status="pending").json()["items"]
    assert [(t["id"], t["item_id"], t["text"]) for t in listed] == [
        (pending["id"], item_id, "市民来电：小区路灯不亮。")
    ]
    assert edu.post(f"/api/v1/inbox/transfers/{pending['id']}/accept", {}).status_code == 403  # not the receiver
    accepted = receiving.post(f"/api/v1/inbox/transfers/{pending['id']}/accept", {"note": "已接收"})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert receiving.post(f"/api/v1/inbox/transfers/{pending['id']}/accept", {}).status_code == 409
    item = InboxItem.objects.get(pk=item_id)
    assert (item.agency_id, item.assignee_id) == (org.county_a2.pk, None)
    detail = receiving.get(url).json()
    assert detail["agency_id"] == org.county_a2.pk

    assert actions(item_id) == [
        "inbox.entered",
        "inbox.assigned",
        "inbox.transferred",
        "inbox.assigned",
        "inbox.transfer_requested",
        "inbox.transfer_accepted",
    ]
    summaries = [h["summary"] for h in detail["history"]]
    assert summaries[1] == "分派给 editor" and "甲一县教育局" in summaries[2] and "涉及学校周边" in summaries[2]
    assert "甲二县" in summaries[4] and summaries[5].startswith("转办已接收")
    reasons = list(item.history.order_by("history_date").values_list("history_change_reason", flat=True))
    assert reasons[-1] == f"transfer {pending['id']} accepted" and len(reasons) == 5
    accepted_event = LedgerEvent.objects.get(action="inbox.transfer_accepted")
    assert accepted_event.actor == "admin_a2" and accepted_event.data["to_agency_id"] == org.county_a2.pk


def test_a_declined_transfer_leaves_the_item(org, handlers, api, django_capture_on_commit_callbacks):
    editor = api("editor")
    item_id = enter(editor, org.acct_a1_weibo)
    pending = editor.post(
        f"/api/v1/inbox/{item_id}/transfer", {"agency_id": org.county_b1.pk, "reason": "疑似乙一县事项"}
    ).json()["pending_transfer"]
    decider = api("admin_b1")
    with django_capture_on_commit_callbacks(execute=True):
        declined = decider.post(f"/api/v1/inbox/transfers/{pending['id']}/decline", {"reason": "不属本县"})
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert InboxItem.objects.get(pk=item_id).agency_id == org.county_a1.pk
    assert actions(item_id)[-1] == "inbox.transfer_declined"
    assert handlers["editor"].govcms_notifications.filter(kind="inbox_transfer").exists()
    # Declined, a new transfer may be asked for.
    again = editor.post(f"/api/v1/inbox/{item_id}/transfer", {"agency_id": org.county_a2.pk, "reason": "改转甲二县"})
    assert again.json()["pending_transfer"]["status"] == "pending"


def test_other_counties_get_404_and_auditors_403(org, depts, handlers, api):
    editor = api("editor")
    item_id = enter(editor, org.acct_a1_weibo)
    other = enter(editor, org.acct_a1_weibo, text="另一件")
    pending = editor.post(
        f"/api/v1/inbox/{other}/transfer", {"agency_id": org.county_a2.pk, "reason": "转甲二县"}
    ).json()["pending_transfer"]
    url = f"/api/v1/inbox/{item_id}"
    outsider = api("editor_b")
    requests = [
        ("get", url, None),
        ("post", f"{url}/assign", {"username": "editor_b"}),
        ("post", f"{url}/transfer", {"agency_id": org.county_b1.pk, "reason": "我来办"}),
        ("post", f"{url}/complex", {"is_complex": True}),
        ("post", f"/api/v1/inbox/transfers/{pending['id']}/accept", {}),
        ("post", f"/api/v1/inbox/transfers/{pending['id']}/decline", {"reason": "不要"}),
    ]
    for method, path, body in requests:
        response = outsider.get(path) if method == "get" else outsider.post(path, body)
        assert response.status_code == 404, (path, response.content)
    assert outsider.get("/api/v1/inbox/transfers").json()["items"] == []
    auditor = api("auditor_a")
    assert auditor.get(url).status_code == 200
    assert [t["id"] for t in auditor.get("/api/v1/inbox/transfers").json()["items"]] == [pending["id"]]
    for method, path, body in requests[1:]:
        response = auditor.post(path, body)
        assert response.status_code == 403, (path, response.content)
    bad = [
        ({"agency_id": 999999, "reason": "x"}, 422),
        ({"agency_id": org.county_a1.pk, "reason": "x"}, 422),  # already there
        ({"agency_id": depts["edu"].pk, "reason": ""}, 422),
        ({"agency_id": depts["edu"].pk, "reason": "<b></b>"}, 422),
        ({"agency_id": "abc", "reason": "x"}, 422),
    ]
    for body, status in bad:
        response = editor.post(f"{url}/transfer", body)
        assert response.status_code == status, (body, response.content)
    assert actions(item_id) == ["inbox.entered"]
