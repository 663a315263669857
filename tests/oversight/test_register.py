"""The account register (账号台账) has one builder (`oversight.selectors.register_rows`): the API's
JSON, the export job's file and the workspace screen's download carry the same rows; another
city's agency is 404 and recorded; its cost does not grow with the number of accounts."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import LedgerEvent
from oversight import selectors
from oversight.exports import export_build
from tests.factories import account

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("export_root")]


def csv_rows(content: bytes) -> dict[str, list[str]]:
    return {r[1]: r for r in list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[1:]}


def test_api_export_and_screen_carry_the_same_register(silent, api, admin_client_for):
    client = api("ov_auditor")
    city = silent.org.city_a.pk
    answer = client.get("/api/v1/reports/register", agency_id=city)
    assert answer.status_code == 200
    items = {i["name"]: i for i in answer.json()["items"]}
    assert set(items) >= set(silent.accounts) and "乙一发布" not in items
    outsourced, acct = items["outsourced"], silent.accounts["outsourced"]
    filing = acct.transitions.get().filing_number
    assert (outsourced["unit"], outsourced["operating_unit"], outsourced["outsourced"]) == (
        silent.org.county_a1.title,
        "某传媒公司",
        True,
    )
    assert (outsourced["contract_end"], outsourced["filing_number"]) == (str(acct.contract_end), filing)
    assert [(h["from_status"], h["to_status"]) for h in outsourced["history"]] == [("applied", "operating")]

    created = client.post("/api/v1/exports", {"report": "register", "params": {"agency_id": city}, "format": "csv"})
    export_build(created.json()["id"])
    job = client.get(f"/api/v1/exports/{created.json()['id']}").json()
    from_job = csv_rows(b"".join(client.get(job["download_url"]).streaming_content))
    screen = admin_client_for(silent.auditor)
    from_screen = csv_rows(screen.get(reverse("oversight_admin:register"), {"format": "csv", "agency": city}).content)
    assert from_job == from_screen  # one builder, one writer
    want = {i["name"]: [str(i["account_id"]), i["filing_number"], i["status_label"]] for i in items.values()}
    assert {name: [r[0], r[10], r[11]] for name, r in from_job.items()} == want
    exported = LedgerEvent.objects.filter(action="report.exported", data__report="register")
    assert sorted(e.data.get("via", "job") for e in exported) == ["admin", "job"]

    wechat = client.get("/api/v1/reports/register", agency_id=city, platform="wechat").json()["items"]
    assert all(i["platform"] == "wechat" for i in wechat) and len(wechat) < len(items)


def test_another_city_is_not_found_and_recorded(silent, api):
    city_b = silent.org.city_b.pk
    assert api("ov_auditor").get("/api/v1/reports/register", agency_id=city_b).status_code == 404
    assert LedgerEvent.objects.filter(action="report.refused", object_id=str(city_b), data__report="register").exists()
    assert api("ov_editor").get("/api/v1/reports/register").status_code == 403


def test_register_rows_cost_the_same_for_more_accounts(silent):
    accounts = selectors.report_accounts(silent.auditor)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            rows = selectors.register_rows(accounts)
        assert rows
        return len(captured)

    before = queries()
    for n in range(5):
        account(silent.org.county_a2, name=f"more{n}", exemption_reason="测试")
    assert queries() == before == 3
