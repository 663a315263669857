"""The history (履历) screens of agencies, campaigns, inbox items and cases: reached from the
object's own page, in Chinese (actions by their label, changed fields by their verbose name, never
the raw keys), scoped as the API's history is (another county: 404, as a missing id); and an
account's outsourcing details, edited in the page editor, show in its history."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.test.utils.form_data import querydict_from_html

from audit.models import LedgerEvent
from editorial.services import campaign_create
from govcms.capabilities import SYSTEM
from inbox.moves import item_assign
from inbox.services import item_enter
from oversight.cases import case_open, case_respond
from oversight.services import finding_record

pytestmark = pytest.mark.django_db


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_history_screens_speak_chinese_and_are_scoped(org, make_user, admin_client_for):
    editor = make_user("editor", "editor", org.county_a1)
    make_user("admin_a1", "agency_admin", org.county_a1)
    outsider = admin_client_for(make_user("outsider", "editor", org.county_b1))
    item = item_assign(
        actor=editor,
        item=item_enter(actor=editor, account=org.acct_a1_weibo, text="路灯不亮", author="张先生", channel="phone"),
        assignee=editor,
    )
    campaign = campaign_create(actor=SYSTEM, agency=org.county_a1, name="防汛专题")
    case = case_open(actor=SYSTEM, account=org.acct_a1_weibo, disposition="rectify")
    case_respond(actor=SYSTEM, case=case, rectification="已整改完毕")

    editor_client = admin_client_for(editor)
    admin_client = admin_client_for(make_user("admin_a1_b", "agency_admin", org.county_a1))
    screens = [
        # (who reads it, the screen and its object, the object's own page that links to it, what it must say)
        (
            editor_client,
            "govcms_agencies:history",
            org.county_a1.pk,
            reverse("wagtailadmin_pages:edit", args=[org.county_a1.pk]),
            ["新建机构", "行政区划代码", "审计台账", "页面日志"],
            ["agency.created", "region_code"],
        ),
        (
            editor_client,
            "editorial_campaigns:history",
            campaign.pk,
            reverse("editorial_campaigns:detail", args=[campaign.pk]),
            ["新建联动专题", "创建", "防汛专题"],
            ["campaign.created"],
        ),
        (
            editor_client,
            "inbox_admin:item_history",
            item.pk,
            reverse("inbox_admin:item", args=[item.pk]),
            ["分派", "分派给 editor", "承办人", "人工录入"],
            ["inbox.assigned", "inbox.entered", "assignee"],
        ),
        (
            admin_client,  # who answers the case may read it
            "oversight_admin:case_history",
            case.pk,
            None,  # there is no case screen in the admin yet
            ["立案问责", "提交整改答复", "整改情况", "状态"],
            ["case.opened", "case.responded", "rectification"],
        ),
    ]
    for client, name, pk, own_page, wanted, raw in screens:
        url = reverse(name, args=[pk])
        body = page(client, url)
        assert "履历" in body
        for text in wanted:
            assert text in body, (url, text)
        for key in raw:
            assert key not in body, (url, key)
        if own_page is not None:
            assert url in page(client, own_page), own_page
        # Another county's editor: exactly a missing object's answer.
        assert outsider.get(url).status_code == 404
        missing = reverse(name, args=[999999])
        assert outsider.get(missing).status_code == 404 and client.get(missing).status_code == 404

    # A case is for its parties only: the editor sees the account but may not read the case (as the API).
    case_url = reverse("oversight_admin:case_history", args=[case.pk])
    assert editor_client.get(case_url).status_code in (302, 403)
    assert outsider.get(case_url).status_code == 404


def test_account_outsourcing_changes_show_in_its_history(org, make_user, admin_client_for, api):
    make_user("boss", "agency_admin", org.county_a1)
    client = admin_client_for(make_user("boss_admin", "agency_admin", org.county_a1))
    account = org.acct_a1_weibo
    edit_url = reverse("wagtailadmin_pages:edit", args=[account.pk])
    form = querydict_from_html(page(client, edit_url), form_id="page-edit-form")
    today = timezone.localdate()
    form.setlist("outsourced", ["on"])
    form.setlist("operating_unit", ["杭州某某传媒有限公司"])
    form.setlist("contract_start", [today.isoformat()])
    form.setlist("contract_end", [(today + datetime.timedelta(days=365)).isoformat()])
    form.setlist("security_agreement_signed_on", [today.isoformat()])
    form.setlist("security_agreement_expires_on", [(today + datetime.timedelta(days=730)).isoformat()])
    response = client.post(edit_url, {key: form.getlist(key) for key in form})
    assert response.status_code == 302, response.content.decode()[:3000]

    event = LedgerEvent.objects.filter(action="account.changed", object_id=str(account.pk)).latest("seq")
    assert event.data["outsourced"] == {"old": False, "new": True}
    assert event.data["contract_start"] == {"old": None, "new": today.isoformat()}
    assert event.data["security_agreement_expires_on"]["new"] == (today + datetime.timedelta(days=730)).isoformat()
    assert "title" not in event.data or isinstance(event.data["title"], str)

    body = page(client, reverse("govcms_accounts:history", args=[account.pk]))
    assert "修改账号" in body
    assert "委托第三方运维: 否 → 是" in body
    assert f"运维合同开始: - → {today.isoformat()}" in body
    assert "保密协议签订日期" in body and "保密协议到期日期" in body and "运维单位" in body

    entries = api("boss").get(f"/api/v1/history/account/{account.pk}").json()
    changed = [e for e in entries if e["action"] == "account.changed"]
    assert changed and changed[-1]["label"] == "修改账号"
    assert changed[-1]["changes"]["contract_end"]["new"] == (today + datetime.timedelta(days=365)).isoformat()


def test_a_case_history_is_reached_from_its_finding(org, make_user, admin_client_for):
    auditor = make_user("auditor", "auditor", org.city_a)
    finding = finding_record(actor=auditor, account=org.acct_a1_weibo, kind="content", evidence="错字")
    case = case_open(actor=auditor, account=org.acct_a1_weibo, disposition="rectify", finding=finding)
    other = finding_record(actor=auditor, account=org.acct_a1_weibo, kind="content", evidence="漏字")
    client = admin_client_for(auditor)
    body = page(client, reverse("oversight_admin:findings"))
    url = reverse("oversight_admin:case_history", args=[case.pk])
    assert body.count(url) == 1 and f"问责案件 #{case.pk} 履历" in body
    assert f"#{other.pk}" in body  # the control: a finding without a case, listed without a link
    assert "立案问责" in page(client, url)
