"""The auditor workspace in the Wagtail admin (监管工作台), on the compliance fixture (`silent`):
every screen renders in Chinese for city A's auditor with city A's accounts and none of city
B's; an agency filter outside the jurisdiction is 404 like a missing one (and recorded); the
register exports CSV and XLSX into the ledger; findings are confirmed and dismissed; the
dashboard panel costs the same number of queries for one account as for many."""

import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from audit.models import LedgerEvent
from govcms.services import account_transition
from oversight import services
from oversight.admin.dashboard import OversightPanel
from oversight.models import FindingStatus
from tests.factories import UserFactory, account, grant

pytestmark = pytest.mark.django_db

# name → what the screen shows of city A (city B's account 乙一发布 and county 乙一县 never appear)
SCREENS = {
    "oversight_admin:compliance": ("合规报表", "silent14", "连续 14 天未更新"),
    "oversight_admin:ranking": ("每周排名", "silent14", "黑榜"),
    "oversight_admin:assessment": ("年度考核", "甲一县", "平均得分"),
    "oversight_admin:register": ("账号台账", "outsourced", "某传媒公司"),
    "oversight_admin:findings": ("监管发现", "misstated", "严重表述错误"),
    "oversight_admin:charts": ("统计图表", "<svg", "每周发布量"),
}


@pytest.fixture
def auditor_client(silent, admin_client_for):
    return admin_client_for(silent.auditor)


def test_screens_render_in_chinese_for_the_city_auditor(silent, auditor_client, admin_client_for):
    editor = admin_client_for(silent.editor)
    for name, expected in SCREENS.items():
        response = auditor_client.get(reverse(name))
        assert response.status_code == 200, name
        html = response.content.decode()
        assert 'lang="zh-hans"' in html, name
        for text in expected:
            assert text in html, (name, text)
        assert "乙一发布" not in html and "乙一县" not in html, name
        refused = editor.get(reverse(name))  # no report.read: Wagtail's redirect to the dashboard
        assert refused.status_code == 302 and refused.url.rstrip("/") == "/admin", name
    filters_narrow_to_a_subtree_and_a_platform(silent, auditor_client)


def filters_narrow_to_a_subtree_and_a_platform(silent, auditor_client):
    org = silent.org
    html = auditor_client.get(reverse("oversight_admin:register"), {"agency": org.county_a2.pk}).content.decode()
    assert "甲二发布" in html and "silent14" not in html
    html = auditor_client.get(reverse("oversight_admin:register"), {"platform": "wechat"}).content.decode()
    assert "甲一发布公众号" in html and "silent14" not in html


def test_an_agency_outside_is_404_and_bad_filters_are_shown(silent, auditor_client):
    for name in SCREENS:
        for agency in (silent.org.city_b.pk, 999_999_999, 99_999_999_999_999, "x", "-1"):
            assert auditor_client.get(reverse(name), {"agency": agency}).status_code == 404, (name, agency)
    assert auditor_client.get(reverse("oversight_admin:compliance"), {"agency": "1\x00"}).status_code == 400
    refused = LedgerEvent.objects.filter(action="report.refused", actor_id=silent.auditor.pk)
    assert refused.filter(data__agency_id=silent.org.city_b.pk).count() == len(SCREENS)
    bad_filters_are_shown_not_failed(auditor_client)


def bad_filters_are_shown_not_failed(auditor_client):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    for params in ({"as_of": tomorrow}, {"as_of": "2026-02-30"}, {"platform": "<b>x</b>"}, {"scheme": "abc"}):
        response = auditor_client.get(reverse("oversight_admin:compliance"), params)
        assert response.status_code == 200, params
        html = response.content.decode()
        assert "error" in html and "<b>x</b>" not in html, params
        assert "silent14" in html  # the report falls back to today's, whole jurisdiction
    past = auditor_client.get(reverse("oversight_admin:compliance"), {"as_of": "2026-02-01"}).content.decode()
    assert "截至 2026-02-01" in past


def test_register_exports_are_recorded(silent, auditor_client):
    for fmt in ("csv", "xlsx"):
        register_export(silent, auditor_client, fmt)
    assert auditor_client.get(reverse("oversight_admin:register"), {"format": "pdf"}).status_code == 404


def register_export(silent, auditor_client, fmt):
    response = auditor_client.get(reverse("oversight_admin:register"), {"format": fmt})
    assert response.status_code == 200
    if fmt == "csv":
        text = response.content.decode("utf-8-sig")
    else:
        book = load_workbook(io.BytesIO(response.content))
        text = "\n".join(
            ",".join(str(c) for c in row if c is not None) for row in book.active.iter_rows(values_only=True)
        )
    assert "silent14" in text and "某传媒公司" in text and "乙一发布" not in text
    event = LedgerEvent.objects.filter(action="report.exported", actor_id=silent.auditor.pk).latest("seq")
    assert event.data["report"] == "register" and event.data["format"] == fmt and event.data["rows"] >= 10


def test_findings_are_confirmed_and_dismissed(silent, auditor_client):
    accounts = silent.accounts
    first = services.finding_record(actor=silent.auditor, account=accounts["silent9"], kind="content", evidence="错字")
    second = services.finding_record(actor=silent.auditor, account=accounts["silent10"], kind="fake_engagement")
    url = "oversight_admin:finding_decide"
    response = auditor_client.post(reverse(url, args=[first.pk, "confirm"]), {"comment": "属实"})
    assert response.status_code == 302
    auditor_client.post(reverse(url, args=[second.pk, "dismiss"]), {"comment": "误报"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.decision_comment) == (FindingStatus.CONFIRMED, "属实")
    assert second.status == FindingStatus.DISMISSED
    # decided once: a second decision is refused by the service and shown as a message
    auditor_client.post(reverse(url, args=[first.pk, "dismiss"]))
    first.refresh_from_db()
    assert first.status == FindingStatus.CONFIRMED
    # another city's finding is not found
    outsider = UserFactory(username="ws_auditor_b")
    grant(outsider, "auditor", silent.org.city_b)
    theirs = services.finding_record(actor=outsider, account=silent.org.acct_b1_wechat, kind="content")
    assert auditor_client.post(reverse(url, args=[theirs.pk, "confirm"])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == FindingStatus.OPEN


def test_dashboard_panel_shows_the_figures_in_constant_queries(silent, auditor_client):
    html = auditor_client.get("/admin/").content.decode()
    assert "监管概况" in html and "今日被否决账号" in html and reverse("oversight_admin:register") in html

    lone = UserFactory(username="ws_lone_auditor")
    grant(lone, "auditor", silent.org.county_a2)  # one account (甲二发布)

    def queries(user) -> int:
        with CaptureQueriesContext(connection) as captured:
            figures = OversightPanel(user).get_context_data()["figures"]
        return len(captured), figures

    few, figures = queries(lone)
    assert figures["accounts"] == 1
    many, figures = queries(silent.auditor)
    assert figures["accounts"] >= 13 and figures["vetoed"] >= 3 and figures["warned"] >= 1
    assert figures["logins"] and figures["logins"][0]["actor"] == silent.auditor.username
    for n in range(3):
        acct = account(silent.org.county_a2, name=f"新增{n}", exemption_reason="测试")
        account_transition(actor=silent.admin, account=acct, to="operating", reason="开通")
    more, _figures = queries(silent.auditor)
    assert few == many == more


def test_the_compliance_screen_offers_its_export_with_its_filters(silent, auditor_client):
    """合规报表's 导出 button opens the export screen filled in with the table's agency and date."""
    from html import unescape

    as_of = (timezone.localdate() - timedelta(days=5)).isoformat()
    county = silent.org.county_a1.pk
    filters = {"agency": county, "as_of": as_of}
    html = auditor_client.get(reverse("oversight_admin:compliance"), filters).content.decode()
    link = unescape(re.search(r'<a[^>]*data-govcms="report-export"[^>]*>', html).group())
    assert f'href="/admin/exports/?report=compliance&agency_id={county}&as_of={as_of}"' in link, link
    form = auditor_client.get(f"/admin/exports/?report=compliance&agency_id={county}&as_of={as_of}").content.decode()
    assert f'value="{as_of}"' in form and f'value="{county}"' in form
    plain = auditor_client.get(reverse("oversight_admin:ranking")).content.decode()
    assert 'data-govcms="report-export"' not in plain, "only where the export takes the screen's filters"
