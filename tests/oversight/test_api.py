"""The supervision API on the acceptance fixture: reports in the caller's jurisdiction only
(another subtree is 404 and in the ledger), CSV and XLSX with the JSON's numbers (PDF: test_exports.py), schemes and
findings through their policies, bad input as clear 4xx."""

import csv
import io

import pytest
from openpyxl import load_workbook

from audit.models import LedgerEvent
from oversight.labels import code_label
from oversight.models import Scheme

from .conftest import PAST

pytestmark = pytest.mark.django_db


def test_reports_stay_in_the_auditors_city(silent, api):
    client = api("ov_auditor")
    city_a, city_b = silent.org.city_a, silent.org.city_b
    everything = client.get("/api/v1/reports/compliance").json()
    assert {i["name"] for i in everything["items"]} == set(silent.accounts)  # B1's account is not there
    answers = {
        path: client.get(path, agency_id=city_b.pk).status_code
        for path in ("/api/v1/reports/compliance", "/api/v1/reports/ranking", "/api/v1/reports/assessment")
    }
    assert set(answers.values()) == {404}
    refused = LedgerEvent.objects.filter(action="report.refused", object_id=str(city_b.pk))
    assert sorted(e.data["report"] for e in refused) == ["assessment", "compliance", "ranking"]
    assert client.get(f"/api/v1/schemes/agency-{city_b.pk}").status_code == 404
    assert client.put(f"/api/v1/schemes/agency-{city_b.pk}", {"pass_line": 50}).status_code == 404
    mine = client.get("/api/v1/reports/compliance", agency_id=city_a.pk, as_of=PAST.isoformat()).json()
    assert mine["as_of"] == PAST.isoformat()
    assert {i["name"]: i["score"] for i in mine["items"]}["silent15"] == 90.5
    assert api("ov_editor").get("/api/v1/reports/compliance").status_code == 403
    assert client.get("/api/v1/reports/ranking").json()["list_scheme"]["scope"] == f"agency-{city_a.pk}"
    ranking = client.get("/api/v1/reports/ranking", agency_id=city_a.pk).json()
    assert ranking["red_list"] and set(ranking["black_list"]) >= {
        i["account_id"] for i in ranking["items"] if i["vetoes"]
    }
    assessment = client.get("/api/v1/reports/assessment", agency_id=city_a.pk).json()
    (county,) = assessment["items"]
    assert (county["agency_id"], county["accounts"], county["agency_passed"]) == (silent.org.county_a1.pk, 10, False)

    _csv_and_xlsx_carry_the_json_numbers(silent, api)


def _csv_and_xlsx_carry_the_json_numbers(silent, api):
    client = api("ov_auditor")
    params = {"agency_id": silent.org.city_a.pk, "as_of": PAST.isoformat()}
    report = client.get("/api/v1/reports/compliance", **params).json()
    # The documents name the rule codes in Chinese, as the screens do.
    want = [
        (
            str(i["account_id"]),
            i["score"],
            "; ".join(map(code_label, i["vetoes"])),
            "; ".join(map(code_label, i["warnings"])),
        )
        for i in report["items"]
    ]
    text = client.get("/api/v1/reports/compliance", format="csv", **params).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["账号 ID", "账号名称", "平台"]
    assert [(r[0], float(r[10]), r[6], r[7]) for r in rows[1:]] == want
    book = load_workbook(io.BytesIO(client.get("/api/v1/reports/compliance", format="xlsx", **params).content))
    cells = list(book.active.iter_rows(min_row=2, values_only=True))
    assert [(str(r[0]), float(r[10]), r[6] or "", r[7] or "") for r in cells] == want
    exports = LedgerEvent.objects.filter(action="report.exported").order_by("seq")
    assert [e.data["format"] for e in exports] == ["csv", "xlsx"] and all(len(e.data["sha256"]) == 64 for e in exports)
    pdf = client.get("/api/v1/reports/compliance", format="pdf", **params)
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")  # its text: test_exports.py


BAD = [
    ("/api/v1/reports/compliance", {"as_of": "2099-01-01"}),
    ("/api/v1/reports/compliance", {"as_of": "1800-01-01"}),
    ("/api/v1/reports/compliance", {"as_of": "yesterday"}),
    ("/api/v1/reports/compliance", {"format": "docx"}),
    ("/api/v1/reports/ranking", {"week": "2026-W99"}),
    ("/api/v1/reports/ranking", {"week": "2026-10"}),
    ("/api/v1/reports/ranking", {"week": "2099-W01"}),
    ("/api/v1/reports/ranking", {"week": "2026-W10\x00"}),
    ("/api/v1/reports/assessment", {"year": "3000"}),
    ("/api/v1/reports/compliance", {"agency_id": "99999999999999999999"}),
    ("/api/v1/findings", {"status": "maybe"}),
]


def test_bad_report_parameters_are_clear_422(org, make_user, api):
    make_user("ov_light_auditor", "auditor", org.city_a)
    client = api("ov_light_auditor")
    answers = [(path, params, client.get(path, **params)) for path, params in BAD]
    wrong = [(path, params, r.status_code) for path, params, r in answers if r.status_code != 422]
    assert wrong == []
    assert all(r.json()["error"]["code"] for _path, _params, r in answers)


def test_schemes_and_findings_through_the_api(silent, api):
    client = api("ov_auditor")
    scope = f"/api/v1/schemes/agency-{silent.org.county_a1.pk}"
    inherited = client.get(scope).json()
    assert inherited["inherited"] and inherited["in_force"]["scope"] == f"agency-{silent.org.city_a.pk}"
    bad = client.put(scope, {"deductions": [{"code": "no_such_rule", "points": 1}]})
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_scheme")
    assert client.put(scope, {"pass_line": 90, "excellent_line": 80}).status_code == 422
    done = client.put(scope, {"pass_line": 70, "red_list_size": 3}).json()
    assert (done["in_force"]["version"], done["in_force"]["pass_line"], done["inherited"]) == (1, 70.0, False)
    assert done["in_force"]["deductions"] == Scheme.objects.get(jurisdiction=silent.org.city_a).deductions
    again = client.put(scope, {"preset": "national"}).json()
    assert [v["version"] for v in again["versions"]] == [2, 1] and again["in_force"]["deductions"] == []
    report = client.get("/api/v1/reports/compliance", agency_id=silent.org.county_a1.pk).json()
    assert report["schemes"] == [{k: again["in_force"][k] for k in ("id", "scope", "version", "name")}]
    assert api("ov_editor").put(scope, {"pass_line": 10}).status_code == 403
    _findings_open_and_are_decided_once(silent, api)


def _findings_open_and_are_decided_once(silent, api):
    client = api("ov_auditor")
    acct = silent.accounts["silent9"]
    created = client.post("/api/v1/findings", {"account_id": acct.pk, "kind": "security_incident", "evidence": "泄密"})
    assert created.status_code == 201 and created.json()["status"] == "open"
    fid = created.json()["id"]
    assert client.post(f"/api/v1/findings/{fid}/confirm", {"comment": "属实"}).json()["status"] == "confirmed"
    assert client.post(f"/api/v1/findings/{fid}/dismiss", {}).status_code == 409
    report = client.get("/api/v1/reports/compliance", agency_id=silent.org.city_a.pk).json()
    assert {i["name"]: i["vetoes"] for i in report["items"]}["silent9"] == ["security_incident"]
    listed = client.get("/api/v1/findings", status="confirmed").json()["items"]
    assert {f["account_id"] for f in listed} == {acct.pk, silent.accounts["misstated"].pk}
    outside = silent.org.acct_b1_wechat.pk
    assert client.post("/api/v1/findings", {"account_id": outside, "kind": "content"}).status_code == 404
    assert api("ov_editor").post("/api/v1/findings", {"account_id": acct.pk, "kind": "content"}).status_code == 403
    bad = client.post("/api/v1/findings", {"account_id": acct.pk, "kind": "rumour"})
    assert bad.status_code == 422
