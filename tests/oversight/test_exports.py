"""Exports on the acceptance fixture: the CSV, XLSX and PDF of a report carry the JSON's numbers
(Chinese included), every report exports, a file is its requester's only, another city's agency
is 404, and every built file is in the ledger with its hash. The worker's body
(`oversight.exports.export_build`) runs here in the test's process; the real worker is in
test_exports_worker.py."""

import csv
import hashlib
import io
import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from audit.models import LedgerEvent
from oversight.exports import export_build
from oversight.labels import code_label
from oversight.models import Export

from .conftest import PAST

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def export_root(settings, tmp_path):
    settings.GOVCMS_EXPORT_ROOT = tmp_path
    settings.GOVCMS_EXPORT_CHUNK_ROWS = 3
    return tmp_path


def pdf_text(content: bytes) -> str:
    """The PDF's text without white space. pypdf decodes the two-byte codes of the embedded CID
    font (fpdf2 writes its encoding as an embedded CMap) as a NUL and the character, so NULs go
    too; the characters themselves come from the font's ToUnicode map."""
    return re.sub(r"[\s\x00]+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


def exported(client, report, fmt, **params) -> tuple[dict, bytes]:
    """POST the export, run the job's body as the worker would, GET its status and its file."""
    created = client.post("/api/v1/exports", {"report": report, "params": params, "format": fmt})
    assert created.status_code == 202, created.content
    export_build(created.json()["id"])
    status = client.get(f"/api/v1/exports/{created.json()['id']}").json()
    assert (status["status"], status["progress"]) == ("done", 100), status
    download = client.get(status["download_url"])
    assert download.status_code == 200
    return status, b"".join(download.streaming_content)


def test_every_format_carries_the_json_numbers(silent, api):
    client = api("ov_auditor")
    params = {"agency_id": silent.org.city_a.pk, "as_of": PAST.isoformat()}
    report = client.get("/api/v1/reports/compliance", **params).json()
    # Rule codes appear by their Chinese names, as on the screens.
    want = [
        (i["account_id"], i["name"], i["score"], "; ".join(map(code_label, i["warnings"]))) for i in report["items"]
    ]
    assert len(want) == 10 and len({w[2] for w in want}) > 2

    status, content = exported(client, "compliance", "csv", **params)
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["账号 ID", "账号名称", "平台"]
    assert {r[2] for r in rows[1:]} <= {"微博", "微信公众号"}
    assert [(int(r[0]), r[1], float(r[10]), r[7]) for r in rows[1:]] == want

    status_x, content = exported(client, "compliance", "xlsx", **params)
    cells = list(load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[10], r[7] or "") for r in cells] == want

    status_p, content = exported(client, "compliance", "pdf", **params)
    text = pdf_text(content)
    assert "政务新媒体合规报表" in text and "得分分布" in text and "账号名称" in text
    position = 0
    for account_id, name, score, _warnings in want:  # every row, in order, with its score
        found = text.find(f"{account_id}{name}", position)
        assert found > position, (account_id, name)
        assert f"{score:g}" in text[found : found + 300]
        position = found
    bands = re.search(r"得分分布((?:\d+)+)", text)
    assert bands is not None  # the chart's bar values, drawn before the table

    # The same PDF synchronously from the report's own URL.
    direct = client.get("/api/v1/reports/compliance", format="pdf", **params)
    assert direct["Content-Type"] == "application/pdf" and pdf_text(direct.content).count(want[0][1]) >= 1

    exported_events = LedgerEvent.objects.filter(action="report.exported")
    # The jobs' events name their export; the synchronous PDF's names none (it may have the same bytes).
    events = {e.data["sha256"]: e for e in exported_events.exclude(object_id="")}
    for status in (status, status_x, status_p):
        event = events[status["sha256"]]
        assert (event.actor, event.object_id, event.data["params"]["as_of"]) == (
            "ov_auditor",
            str(status["id"]),
            PAST.isoformat(),
        )
    assert hashlib.sha256(content).hexdigest() == status_p["sha256"]
    assert exported_events.count() == 4  # three jobs and the synchronous PDF
    requested = LedgerEvent.objects.filter(action="export.requested").values_list("data__format", flat=True)
    assert sorted(requested) == ["csv", "pdf", "xlsx"]


def test_ranking_assessment_register_and_ledger_export(silent, api):
    client = api("ov_auditor")
    city = silent.org.city_a.pk
    ranking = client.get("/api/v1/reports/ranking", agency_id=city).json()
    _status, content = exported(client, "ranking", "pdf", agency_id=city)
    text = pdf_text(content)
    assert "每周奖惩名单" in text and "红榜" in text and "黑榜" in text
    first = ranking["items"][0]
    assert f"1{first['account_id']}{first['name']}" in text

    assessment = client.get("/api/v1/reports/assessment", agency_id=city).json()
    _status, content = exported(client, "assessment", "xlsx", agency_id=city)
    cells = list(load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[2], r[5]) for r in cells] == [
        (i["agency_id"], i["accounts"], i["average_score"]) for i in assessment["items"]
    ]

    _status, content = exported(client, "register", "csv", agency_id=city)
    rows = {r[1]: r for r in csv.reader(io.StringIO(content.decode("utf-8-sig")))}
    outsourced = rows["outsourced"]
    acct = silent.accounts["outsourced"]
    assert outsourced[3:8] == [
        silent.org.county_a1.title,
        "某传媒公司",
        "是",
        str(acct.contract_start),
        str(acct.contract_end),
    ]
    assert outsourced[10] == acct.transitions.get().filing_number and "已备案运营" in outsourced[12]
    # Every account of the city, whatever its status (the fixture's own accounts are still applied).
    assert set(rows) >= set(silent.accounts) | {silent.org.acct_a1_weibo.title}

    _status, content = exported(client, "ledger", "csv")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["序号", "时间", "操作人", "动作"]
    assert any(r[:1] and r[0].startswith("链校验：校验通过") for r in rows)
    actions = {r[3] for r in rows[1:] if len(r) > 3}
    assert "finding.recorded" in actions


def test_an_export_is_its_requesters_and_stays_in_the_jurisdiction(silent, api, make_user, export_root):
    make_user("ov_auditor_b", "auditor", silent.org.city_b)
    mine, theirs = api("ov_auditor"), api("ov_auditor_b")
    status, _content = exported(mine, "register", "xlsx", agency_id=silent.org.city_a.pk)
    for path in (f"/api/v1/exports/{status['id']}", status["download_url"]):
        assert theirs.get(path).status_code == 404
    missing = theirs.get(f"/api/v1/exports/{status['id'] + 1000}")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"

    refused = mine.post(
        "/api/v1/exports", {"report": "compliance", "params": {"agency_id": silent.org.city_b.pk}, "format": "csv"}
    )
    assert refused.status_code == 404
    assert LedgerEvent.objects.filter(action="report.refused", object_id=str(silent.org.city_b.pk)).exists()
    assert Export.objects.count() == 1
    bad = [
        {"report": "gossip", "format": "csv"},
        {"report": "compliance", "format": "docx"},
        {"report": "compliance", "format": "csv", "params": {"as_of": "2099-01-01"}},
        {"report": "ranking", "format": "csv", "params": {"week": "2026-W99"}},
        {"report": "assessment", "format": "csv", "params": {"year": 2999}},
    ]
    assert [mine.post("/api/v1/exports", body).status_code for body in bad] == [422] * 5
    assert api("ov_editor").post("/api/v1/exports", {"report": "compliance", "format": "csv"}).status_code == 403
    # A job not built yet has no download.
    queued = mine.post("/api/v1/exports", {"report": "compliance", "format": "csv"}).json()
    assert (queued["status"], queued["download_url"]) == ("queued", None)
    assert mine.get(f"/api/v1/exports/{queued['id']}/file").status_code == 409
    # A file removed from the export directory is a clear 410, not a server error.
    for path in export_root.rglob("*.xlsx"):
        path.unlink()
    gone = mine.get(status["download_url"])
    assert (gone.status_code, gone.json()["error"]["code"]) == (410, "export_file_missing")


def test_the_export_screen(silent, admin_client_for, make_user):
    from oversight.admin.exports import exports_url

    browser = admin_client_for(silent.auditor)
    url = exports_url("compliance", agency_id=silent.org.city_a.pk, as_of=PAST.isoformat())
    page = browser.get(url).content.decode()
    assert 'value="compliance" selected' in page and f'value="{PAST.isoformat()}"' in page
    form = {"report": "compliance", "format": "xlsx", "agency_id": silent.org.city_a.pk, "as_of": PAST.isoformat()}
    assert browser.post("/admin/exports/", form).status_code == 302
    export = Export.objects.get()
    listing = browser.get("/admin/exports/").content.decode()
    assert "data-export-pending" in listing and "<progress" in listing and "oversight/exports.js" in listing
    export_build(export.pk)
    listing = browser.get("/admin/exports/").content.decode()
    download = f"/admin/exports/{export.pk}/download/"
    assert download in listing and "data-export-pending" not in listing
    content = b"".join(browser.get(download).streaming_content)
    assert hashlib.sha256(content).hexdigest() == Export.objects.get().sha256
    other = admin_client_for(make_user("ov_auditor_b2", "auditor", silent.org.city_b))
    assert other.get(download).status_code == 404
    assert "还没有导出" in other.get("/admin/exports/").content.decode()  # nobody else's jobs
    outside = dict(form, agency_id=silent.org.city_b.pk)
    assert browser.post("/admin/exports/", outside).status_code == 404
