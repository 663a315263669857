"""The inbox in the real Wagtail admin (Django test client): listing filters, counts per status in
the menu, bulk assign, the item page and its actions, transfers, rules and deadlines; 404 for
another county's users, read-only for auditors."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from inbox.models import DeadlinePolicy, InboxItem, InboxTransfer, Reply, RoutingRule
from inbox.services import item_enter
from tests.factories import agency

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(org, handlers):
    def enter(text, account=org.acct_a1_weibo, **fields):
        item = item_enter(actor=handlers["signer"], account=account, text=text, channel="phone")
        if fields:
            InboxItem.objects.filter(pk=item.pk).update(**fields)
        return item

    return {
        "open": enter("路灯不亮"),
        "ack": enter("噪音扰民", status="acknowledged", acknowledged_at=timezone.now()),
        "late": enter("积水未处理", due_at=timezone.now() - timedelta(hours=1)),
        "wechat": enter("公众号留言", account=org.acct_a1_wechat),
        "other_county": enter("甲二县的事", account=org.acct_a2_weibo),
        "b1": item_enter(actor=handlers["editor_b"], account=org.acct_b1_wechat, text="乙一县的事", channel="letter"),
    }


def listed(client, **query):
    response = client.get("/admin/inbox/", query)
    assert response.status_code == 200
    return sorted(i.pk for i in response.context["object_list"])


def test_listing_filters_counts_and_bulk_assign(org, depts, handlers, items, admin_client_for):
    client = admin_client_for(handlers["editor"])
    a1 = sorted(items[k].pk for k in ("open", "ack", "late", "wechat"))
    assert listed(client) == a1  # county A1 only
    assert listed(client, status="overdue") == [items["late"].pk]
    assert listed(client, status="open") == sorted([items["open"].pk, items["wechat"].pk])
    assert listed(client, status="acknowledged") == [items["ack"].pk]
    assert listed(client, account=org.acct_a1_wechat.pk) == [items["wechat"].pk]
    assert listed(client, agency=org.county_a1.pk) == a1
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert listed(client, due_before=tomorrow) == [items["late"].pk]
    # A filter naming something outside the jurisdiction is invalid, not a way to look.
    assert listed(client, account=org.acct_b1_wechat.pk) == a1

    home = client.get("/admin/").content.decode()
    assert json.dumps("互动事项（待处理 2 · 已受理 1 · 已逾期 1）")[1:-1] in home  # the sidebar's JSON

    response = client.post(
        "/admin/inbox/bulk-assign/",
        {
            "ids": [items["open"].pk, items["late"].pk, items["b1"].pk],
            "username": "rev_editor",
            "next": "/admin/inbox/",
        },
    )
    assert response.status_code == 302
    assigned = InboxItem.objects.filter(assignee=handlers["rev_editor"])
    assert sorted(assigned.values_list("pk", flat=True)) == sorted([items["open"].pk, items["late"].pk])
    assert listed(client, assignee=handlers["rev_editor"].pk) == sorted([items["open"].pk, items["late"].pk])
    # Someone who cannot handle the items is refused for each (a message), nothing assigned.
    client.post("/admin/inbox/bulk-assign/", {"ids": [items["ack"].pk], "username": "editor_b"})
    assert InboxItem.objects.get(pk=items["ack"].pk).assignee_id is None


def test_item_page_actions_and_scope(org, depts, handlers, items, admin_client_for):
    item = items["open"]
    url = f"/admin/inbox/items/{item.pk}/"
    editor = admin_client_for(handlers["editor"])
    page = editor.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "路灯不亮" in html and "尚无答复" in html and "人工录入" in html

    assert editor.post(f"{url}assign/", {"assignee": handlers["rev_editor"].pk}).status_code == 302
    assert editor.post(f"{url}acknowledge/").status_code == 302
    assert editor.post(f"{url}complex/").status_code == 302
    assert editor.post(f"{url}transfer/", {"agency": depts["edu"].pk, "reason": "学校周边"}).status_code == 302
    item.refresh_from_db()
    assert (item.agency_id, item.assignee_id, item.is_complex, item.status) == (
        depts["edu"].pk,
        None,
        True,
        "acknowledged",
    )
    history = editor.get(url).content.decode()
    for line in ("分派给 rev_editor", "受理", "标记为复杂事项", "转办至 甲一县教育局：学校周边"):
        assert line in history
    # A reply drafted on the page goes to the reply review, and the page lists it.
    assert editor.post(f"{url}reply/", {"body": "已转教育局办理，请留意答复。"}).status_code == 302
    reply = Reply.objects.get(item=item)
    assert (reply.status, reply.requested_by) == ("in_review", handlers["editor"])
    assert "已转教育局办理，请留意答复。" in editor.get(url).content.decode()

    # Another county: 404 for the page and every action; auditors read, and may not act.
    outsider = admin_client_for(handlers["editor_b"])
    for suffix in ("", "assign/", "transfer/", "acknowledge/", "complex/", "reply/", "moderate/"):
        response = outsider.post(f"{url}{suffix}") if suffix else outsider.get(url)
        assert response.status_code == 404, suffix
    auditor = admin_client_for(handlers["auditor_a"])
    page = auditor.get(url)
    assert page.status_code == 200 and f"{url}assign/" not in page.content.decode()
    assert auditor.post(f"{url}complex/").status_code in (302, 403)
    assert auditor.post(f"{url}reply/", {"body": "审计不应答复"}).status_code in (302, 403)
    assert InboxItem.objects.get(pk=item.pk).is_complex is True  # unchanged
    assert Reply.objects.filter(item=item).count() == 1


def test_transfer_accepted_in_the_admin(org, handlers, items, admin_client_for):
    item = items["open"]
    editor = admin_client_for(handlers["editor"])
    editor.post(f"/admin/inbox/items/{item.pk}/transfer/", {"agency": org.county_a2.pk, "reason": "属甲二县"})
    transfer = InboxTransfer.objects.get(item=item)
    receiving = admin_client_for(handlers["admin_a2"])
    page = receiving.get("/admin/inbox/transfers/").content.decode()
    assert "路灯不亮" in page and "属甲二县" in page
    assert (
        admin_client_for(handlers["editor_b"]).post(f"/admin/inbox/transfers/{transfer.pk}/accept/").status_code == 404
    )
    assert editor.post(f"/admin/inbox/transfers/{transfer.pk}/accept/").status_code == 302  # refused: to the dashboard
    assert InboxTransfer.objects.get(pk=transfer.pk).status == "pending"
    assert receiving.post(f"/admin/inbox/transfers/{transfer.pk}/accept/", {"note": ""}).status_code == 302
    item.refresh_from_db()
    assert item.agency_id == org.county_a2.pk
    assert receiving.get(f"/admin/inbox/items/{item.pk}/").status_code == 200


def test_rules_and_deadlines_screens(org, depts, handlers, admin_client_for):
    admin = admin_client_for(handlers["admin_a1"])
    form = {
        "account": org.acct_a1_weibo.pk,
        "name": "学校",
        "priority": 10,
        "keywords": "学校",
        "agency": depts["edu"].pk,
        "assignee": "edu_editor",
        "active": "on",
    }
    assert admin.post("/admin/inbox/rules/add/", form).status_code == 302
    rule = RoutingRule.objects.get()
    assert (rule.agency_id, rule.assignee.username) == (depts["edu"].pk, "edu_editor")
    response = admin.post("/admin/inbox/rules/add/", {**form, "assignee": "editor_b"})
    assert response.status_code == 200 and RoutingRule.objects.count() == 1  # refused, shown on the form
    assert "学校" in admin.get("/admin/inbox/rules/").content.decode()
    assert admin_client_for(handlers["admin_b1"]).get(f"/admin/inbox/rules/{rule.pk}/").status_code == 404
    assert admin_client_for(handlers["editor"]).get("/admin/inbox/rules/").status_code in (302, 403)

    response = admin.post(
        "/admin/inbox/deadlines/", {"agency": org.county_a1.pk, "ack_days": 2, "answer_days": 4, "complex_days": 12}
    )
    assert response.status_code == 302
    assert DeadlinePolicy.objects.get(agency=org.county_a1).answer_days == 4
    foreign = admin.post(
        "/admin/inbox/deadlines/", {"agency": org.county_b1.pk, "ack_days": 1, "answer_days": 2, "complex_days": 3}
    )
    assert foreign.status_code == 200 and not DeadlinePolicy.objects.filter(agency=org.county_b1).exists()
    assert admin.post(f"/admin/inbox/rules/{rule.pk}/delete/").status_code == 302
    assert not RoutingRule.objects.exists()


def test_transfer_offers_own_jurisdiction_and_other_governments_only(org, handlers, items, admin_client_for, api):
    """The transfer form lists the item's jurisdiction (its departments too) and other
    jurisdictions' governments, never another jurisdiction's departments; posting one anyway, in
    the admin or the API, is refused like an unknown agency and moves nothing."""
    item = items["open"]
    b1_dept = agency(org.county_b1, name="乙一县教育局", level="department", category="education", region_code="330201")
    editor = admin_client_for(handlers["editor"])
    page = editor.get(f"/admin/inbox/items/{item.pk}/").content.decode()
    for offered in ("甲一县教育局", "甲一县卫健局", "甲二县", "乙一县", "乙市"):
        assert f">{offered}</option>" in page, offered
    assert "乙一县教育局" not in page
    before = InboxItem.objects.get(pk=item.pk).agency_id
    refused = editor.post(f"/admin/inbox/items/{item.pk}/transfer/", {"agency": b1_dept.pk, "reason": "试试"})
    assert refused.status_code == 302
    client = api(handlers["editor"].username)
    answer = client.post(f"/api/v1/inbox/{item.pk}/transfer", {"agency_id": b1_dept.pk, "reason": "试试"})
    missing = client.post(f"/api/v1/inbox/{item.pk}/transfer", {"agency_id": 987654321, "reason": "试试"})
    codes = [(r.status_code, r.json()["error"]["code"]) for r in (answer, missing)]
    assert codes == [(422, "unknown_agency")] * 2
    assert InboxItem.objects.get(pk=item.pk).agency_id == before
    assert not InboxTransfer.objects.filter(item=item).exists()
