"""One history view per object: `GET /api/v1/history/{object_type}/{id}` for agencies, campaigns,
inbox items and accountability cases (posts, accounts and memberships have their own tests)."""

import pytest

from editorial.services import campaign_create
from govcms.capabilities import SYSTEM
from inbox.moves import item_assign
from inbox.services import item_enter
from oversight.cases import case_open, case_respond

pytestmark = pytest.mark.django_db


def test_history_of_agencies_campaigns_inbox_items_and_cases(org, make_user, api):
    editor = make_user("editor", "editor", org.county_a1)
    make_user("outsider", "editor", org.county_b1)
    make_user("auditor", "auditor", org.city_a)
    make_user("admin_a1", "agency_admin", org.county_a1)
    item = item_enter(actor=editor, account=org.acct_a1_weibo, text="路灯不亮", author="张先生", channel="phone")
    item = item_assign(actor=editor, item=item, assignee=editor)
    campaign = campaign_create(actor=SYSTEM, agency=org.county_a1, name="防汛专题")
    case = case_open(actor=SYSTEM, account=org.acct_a1_weibo, disposition="rectify")
    case_respond(actor=SYSTEM, case=case, rectification="已整改")

    timeline = api("editor").get(f"/api/v1/history/inboxitem/{item.pk}")
    assert timeline.status_code == 200
    entries = timeline.json()
    assert [e["source"] for e in entries].count("history") >= 2  # created, then assigned
    assigned = [e for e in entries if e["action"] == "inbox.assigned"]
    assert assigned and assigned[0]["summary"].startswith("分派给")

    agency = api("editor").get(f"/api/v1/history/agency/{org.county_a1.pk}").json()
    assert any(e["source"] == "page_log" for e in agency)
    assert api("editor").get(f"/api/v1/history/campaign/{campaign.pk}").status_code == 200

    steps = [e["action"] for e in api("auditor").get(f"/api/v1/history/case/{case.pk}").json()]
    assert "case.opened" in steps and "case.responded" in steps and "created" in steps
    # Each entry says what it was in words, in the request's language (zh-hans by default).
    labels = {e["action"]: e["label"] for e in api("auditor").get(f"/api/v1/history/case/{case.pk}").json()}
    assert labels["case.opened"] == "立案问责" and labels["created"] == "创建"
    auditor = api("auditor")
    english = auditor.client.get(
        f"/api/v1/history/case/{case.pk}", headers={**auditor._headers(), "Accept-Language": "en"}
    ).json()
    assert {e["action"]: e["label"] for e in english}["case.opened"] == "Case opened"

    # Another county's user: 404 for each, exactly as for a missing id.
    outsider = api("outsider")
    places = (("inboxitem", item.pk), ("agency", org.county_a1.pk), ("campaign", campaign.pk), ("case", case.pk))
    for object_type, pk in places:
        assert outsider.get(f"/api/v1/history/{object_type}/{pk}").status_code == 404
        assert outsider.get(f"/api/v1/history/{object_type}/999999").status_code == 404
    # The case as GET /cases/{id} shows it: the same visibility.
    for user in ("editor", "auditor", "outsider"):
        expected = api(user).get(f"/api/v1/cases/{case.pk}").status_code
        assert api(user).get(f"/api/v1/history/case/{case.pk}").status_code == expected
