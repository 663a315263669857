"""Report exports (导出): the five reports as documents, and export jobs.

`report_params` checks an export's parameters and resolves its agency (another jurisdiction's or a
missing agency → 404, the attempt in the ledger as `report.refused`, like the reports themselves);
`table` builds the report as a `documents.Table` for the requester, through the same selectors as
the JSON API (so every format carries the JSON's numbers). `export_request` queues a job (ledger
`export.requested`); `export_build` (the Celery task's body) builds the file with progress
committed per chunk, stores it in the private `GOVCMS_EXPORT_ROOT`, and records `report.exported`
with the file's SHA-256 — the same event a synchronous download (`render_now`) records.

Reports: compliance (as of a date), ranking (an ISO week, with the red and black lists),
assessment (a year, per agency), register (账号台账: units, operating unit, contract and agreement
dates, filing number, status and status history) and ledger (the jurisdiction's events and the
chain's verification result).
"""

import hashlib
import logging
import secrets
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import ledger
from audit.models import LedgerEvent
from govcms import policy as org_policy
from govcms import selectors
from govcms.capabilities import SYSTEM, require
from govcms.models import AgencyPage
from govcms.services import ServiceError

from . import policy
from . import selectors as reports
from .compliance import Period, compliance
from .documents import CONTENT_TYPES, Table, render
from .labels import code_label, platform_label
from .models import Export, ExportFormat, ExportReport, ExportStatus
from .services import report_refused

logger = logging.getLogger(__name__)

# Score bands of the distribution chart (display only: the lower bound of each bar).
SCORE_BANDS = (0, 50, 60, 70, 80, 90)
# Share of the progress bar spent computing the report before rows are written.
COMPUTED = 10
LEDGER_CHART_ACTIONS = 10


# --- parameters ----------------------------------------------------------------------------------


def _bad(code: str, message: str) -> ServiceError:
    return ServiceError(code, message, status=422)


def report_params(actor, report: str, raw: dict) -> tuple[AgencyPage | None, dict]:
    """(agency, normalised params) of an export of `report` asked by `actor` with `raw`
    (agency_id, as_of, week, year). 404 for an agency outside the jurisdiction (recorded), 422
    for a bad value, the policy's refusal when `actor` may not export the report."""
    if report not in ExportReport.values:
        raise _bad("invalid_report", _("未知的报表"))
    agency = None
    agency_id = raw.get("agency_id")
    if agency_id is not None:
        try:
            agency = selectors.access_object(selectors.agencies_visible_to(actor), agency_id)
        except Http404:
            report_refused(actor=actor, report=report, agency_id=agency_id)
            raise
    require(policy.may_export(actor, report, agency))
    params = {"agency_id": agency.pk if agency else None}
    today = timezone.localdate()
    if report == ExportReport.COMPLIANCE:
        as_of = raw.get("as_of") or today
        if as_of > today:
            raise _bad("invalid_as_of", _("报表日期不能晚于今天"))
        params["as_of"] = as_of.isoformat()
    elif report == ExportReport.RANKING:
        try:
            params["week"], _period = reports.parse_week(raw.get("week"))
        except ValueError as error:
            raise _bad("invalid_week", str(error)) from error
    elif report == ExportReport.ASSESSMENT:
        year = raw.get("year") or today.year
        if year > today.year:
            raise _bad("invalid_year", _("年度不能晚于今年"))
        params["year"] = year
    return agency, params


def _agency(params: dict) -> AgencyPage | None:
    agency_id = params.get("agency_id")
    return AgencyPage.objects.get(pk=agency_id) if agency_id is not None else None


# --- the reports as tables -----------------------------------------------------------------------


def score_chart(scores: list[float]) -> tuple[str, list[tuple[str, float]]]:
    """The score distribution: how many scores fall in each band of SCORE_BANDS."""
    bands = Counter(max(b for b in SCORE_BANDS if s >= b) if s >= 0 else SCORE_BANDS[0] for s in scores)
    labels = [f"{low}–{high - 1}" for low, high in zip(SCORE_BANDS, SCORE_BANDS[1:], strict=False)]
    labels.append(f"≥{SCORE_BANDS[-1]}")
    return _("得分分布"), [(label, bands.get(low, 0)) for label, low in zip(labels, SCORE_BANDS, strict=True)]


def _schemes(schemes: list[dict]) -> str:
    return _("考核方案：%(s)s") % {"s": "、".join(f"{s['name']} v{s['version']}" for s in schemes) or "—"}


COMPLIANCE_COLUMNS = (
    ("account_id", "账号 ID"),
    ("name", "账号名称"),
    ("platform", "平台"),
    ("agency_id", "机构 ID"),
    ("last_post_at", "最近发布时间"),
    ("days_since_update", "未更新天数"),
    ("vetoes", "否决项"),
    ("warnings", "预警项"),
    ("deductions", "扣分"),
    ("bonus", "加分"),
    ("score", "得分"),
    ("passed", "是否合格"),
    ("scheme", "考核方案版本"),
)


def compliance_cell(key: str, value):
    """A compliance row's value as a document cell: codes by their Chinese names as the screens
    show them (`oversight.labels`), lists joined with "; ", the scheme as `scope vN`."""
    if key in ("vetoes", "warnings"):
        return "; ".join(code_label(code) for code in value)
    if key == "deductions":
        return "; ".join(f"{code_label(d['code'])}:{d['points']:g}" for d in value)
    if key == "platform":
        return platform_label(value)
    if key == "scheme":
        return f"{value['scope']} v{value['version']}"
    return value


def compliance_table(actor, agency, params: dict) -> Table:
    as_of = date.fromisoformat(params["as_of"])
    report = compliance(reports.report_accounts(actor, agency), Period.ending(as_of))
    return Table(
        title=_("政务新媒体合规报表（%(d)s）") % {"d": as_of.isoformat()},
        header=[label for _key, label in COMPLIANCE_COLUMNS],
        rows=[[compliance_cell(key, item[key]) for key, _label in COMPLIANCE_COLUMNS] for item in report["items"]],
        notes=[
            _("统计区间：%(s)s 至 %(u)s") % {"s": f"{report['since']:%Y-%m-%d}", "u": as_of},
            _schemes(report["schemes"]),
        ],
        chart=score_chart([i["score"] for i in report["items"]]),
        widths=[4, 8, 4, 4, 7, 4, 8, 10, 8, 3, 3, 3, 6],
    )


def ranking_table(actor, agency, params: dict) -> Table:
    label, period = reports.parse_week(params["week"])
    result = reports.ranking(
        reports.report_accounts(actor, agency), period, jurisdiction_path=reports.list_jurisdiction(actor, agency)
    )
    red, black = set(result["red_list"]), set(result["black_list"])

    def listed(account_id):
        return _("红榜") if account_id in red else _("黑榜") if account_id in black else ""

    rows = [
        [i["rank"], i["account_id"], i["name"], platform_label(i["platform"]), i["score"], i["figures"]["posts"],
         i["responsiveness"], compliance_cell("vetoes", i["vetoes"]), compliance_cell("warnings", i["warnings"]),
         listed(i["account_id"])]
        for i in result["items"]
    ]  # fmt: skip
    return Table(
        title=_("每周奖惩名单（%(w)s）") % {"w": label},
        header=["名次", "账号 ID", "账号名称", "平台", "得分", "发布数", "按时答复率", "否决项", "预警项", "榜单"],
        rows=rows,
        notes=[_schemes(result["schemes"])],
        chart=score_chart([i["score"] for i in result["items"]]),
        widths=[3, 3, 8, 4, 3, 3, 4, 8, 10, 3],
    )


def assessment_table(actor, agency, params: dict) -> Table:
    result = reports.assessment(reports.report_accounts(actor, agency), params["year"])
    rows = [
        [i["agency_id"], i["name"], i["accounts"], i["passed"], i["vetoed"], i["average_score"], i["agency_passed"]]
        for i in result["items"]
    ]
    return Table(
        title=_("%(y)s 年度考核") % {"y": params["year"]},
        header=["机构 ID", "机构名称", "账号数", "合格数", "否决数", "平均得分", "机构是否合格"],
        rows=rows,
        notes=[_("截至 %(d)s") % {"d": result["as_of"]}, _schemes(result["schemes"])],
        chart=score_chart([i["average_score"] for i in result["items"]]),
        widths=[3, 10, 3, 3, 3, 3, 4],
    )


def register_document(rows: list[dict]) -> Table:
    """The register's rows (`selectors.register_rows`) as a document: the export job's and the
    workspace screen's download alike (dates and yes/no written by `documents`)."""
    table_rows = [
        [r["account_id"], r["name"], r["platform_label"], r["unit"], r["operating_unit"],
         r["outsourced"], r["contract_start"], r["contract_end"],
         r["security_agreement_signed_on"], r["security_agreement_expires_on"],
         r["filing_number"], r["status_label"],
         " → ".join(f"{t['to_label']}({timezone.localtime(t['at']):%Y-%m-%d} {t['filing_number']})"
                    for t in r["history"])]
        for r in rows
    ]  # fmt: skip
    counts = Counter(r["status_label"] for r in rows)
    return Table(
        title=_("政务新媒体账号台账"),
        header=[
            "账号 ID",
            "账号名称",
            "平台",
            "开办单位",
            "运维单位",
            "委托运维",
            "合同开始",
            "合同结束",
            "保密协议签订",
            "保密协议到期",
            "备案号",
            "状态",
            "状态变更记录",
        ],  # fmt: skip
        rows=table_rows,
        notes=[_("截至 %(t)s") % {"t": f"{timezone.localtime():%Y-%m-%d %H:%M}"}],
        chart=(_("账号状态"), sorted(counts.items())),
        widths=[3, 7, 3, 7, 6, 3, 4, 4, 4, 4, 5, 3, 12],
    )


def register_table(actor, agency, params: dict) -> Table:
    return register_document(reports.register_rows(reports.report_accounts(actor, agency)))


def ledger_table(actor, agency, params: dict) -> Table:
    require(org_policy.may_read_ledger(actor))
    paths = [agency.path] if agency is not None else org_policy.ledger_paths(actor)
    events = LedgerEvent.objects.filter(ledger.scope_q(paths))
    if paths != [""]:
        events = events.exclude(scope="")
    rows = [
        [e.seq, e.at, e.actor, e.action, e.object_type, e.object_id, e.hash]
        for e in events.order_by("seq").only("seq", "at", "actor", "action", "object_type", "object_id", "hash")
    ]
    result = ledger.verify()
    verdict = _("校验通过") if result.ok else _("校验未通过")
    notes = [
        _("链校验：%(v)s；共校验 %(n)d 条事件、%(a)d 个锚点；首个异常序号：%(b)s；问题 %(p)d 项")
        % {
            "v": verdict,
            "n": result.events_checked,
            "a": result.anchors_checked,
            "b": result.first_bad_seq if result.first_bad_seq is not None else "—",
            "p": len(result.problems),
        }
    ]
    notes += [f"{p.kind} seq={p.seq} day={p.day}" for p in result.problems[:20]]
    actions = Counter(row[3] for row in rows).most_common(LEDGER_CHART_ACTIONS)
    return Table(
        title=_("审计日志导出"),
        header=["序号", "时间", "操作人", "动作", "对象类型", "对象 ID", "哈希"],
        rows=rows,
        notes=notes,
        chart=(_("事件数（按动作）"), actions),
        widths=[2, 4, 4, 6, 4, 3, 16],
        notes_in_csv=True,
    )


TABLES = {
    ExportReport.COMPLIANCE: compliance_table,
    ExportReport.RANKING: ranking_table,
    ExportReport.ASSESSMENT: assessment_table,
    ExportReport.REGISTER: register_table,
    ExportReport.LEDGER: ledger_table,
}


def table(actor, report: str, params: dict) -> Table:
    """`report` with normalised `params` as a document table, for `actor` (policy asked again:
    a job built later answers for the requester's assignments then)."""
    agency = _agency(params)
    require(policy.may_export(actor, report, agency))
    return TABLES[report](actor, agency, params)


# --- recording -----------------------------------------------------------------------------------


@transaction.atomic
def record_export(actor, *, report: str, fmt: str, params: dict, rows: int, content: bytes, export=None, **data) -> str:
    """Record in the ledger that `actor` exported `report` with `params` (`report.exported`: the
    rows and the file's SHA-256, filed under the exporter's jurisdictions); returns the hash.
    Every export path records through here: jobs, synchronous downloads, the workspace screens
    (`data` adds what the caller knows, e.g. `via`)."""
    digest = hashlib.sha256(content).hexdigest()
    ledger.record(
        action="report.exported",
        actor=actor,
        obj=export,
        data={"report": report, "format": fmt, "params": params, "rows": rows, "sha256": digest,
              **({"as_of": params["as_of"]} if "as_of" in params else {}), **data},
        scope=ledger.person_scope(selectors.user_jurisdiction_paths(actor)),
    )  # fmt: skip
    return digest


@transaction.atomic
def render_now(actor, report: str, params: dict, fmt: str) -> tuple[bytes, str]:
    """The document at once (for a small report asked for synchronously) and its file name; in
    the ledger with its hash, like a job's file."""
    document = table(actor, report, params)
    content = render(document, fmt)
    record_export(actor, report=report, fmt=fmt, params=params, rows=len(document.rows), content=content)
    return content, download_name(report, params, fmt)


def download_name(report: str, params: dict, fmt: str) -> str:
    day = params.get("as_of") or params.get("week") or params.get("year") or f"{timezone.localdate():%Y-%m-%d}"
    return f"{report}-{day}.{fmt}"


# --- jobs ----------------------------------------------------------------------------------------


def exports_of(actor) -> QuerySet[Export]:
    """The exports `actor` requested (nobody else's: a file is served only to its requester)."""
    if getattr(actor, "pk", None) is None:
        return Export.objects.none()
    return Export.objects.filter(requester=actor)


def export_request(*, actor, report: str, params: dict, fmt: str) -> Export:
    """Queue an export of `report` (raw `params`, see `report_params`) as `fmt`; built by the
    worker after the commit."""
    if fmt not in ExportFormat.values:
        raise _bad("invalid_format", _("格式应为 csv、xlsx 或 pdf"))
    _agency_, normalised = report_params(actor, report, params)
    with transaction.atomic():
        export = Export.objects.create(requester=actor, report=report, params=normalised, format=fmt)
        ledger.record(
            action="export.requested",
            actor=actor,
            obj=export,
            data={"report": report, "format": fmt, "params": normalised},
            scope=ledger.person_scope(selectors.user_jurisdiction_paths(actor)),
        )
        from .tasks import export_build as build_task

        transaction.on_commit(lambda: build_task.delay(export.pk))
    return export


def export_path(export: Export) -> Path:
    return Path(settings.GOVCMS_EXPORT_ROOT) / export.file_name


def file_response(export: Export) -> FileResponse:
    """The export's file, streamed, as an attachment with its report's name and content type
    (410 `export_expired` once the retention period deleted it, 410 `export_file_missing` when
    the file was removed from the export directory otherwise)."""
    if export.status == ExportStatus.EXPIRED:
        raise ServiceError(
            "export_expired",
            _("导出文件已超过保留期限（%(days)d 天）并已删除，请重新导出")
            % {"days": settings.GOVCMS_EXPORT_RETENTION_DAYS},
            status=410,
        )
    path = export_path(export)
    if not export.file_name or not path.is_file():
        raise ServiceError("export_file_missing", _("导出文件已不存在，请重新导出"), status=410)
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=download_name(export.report, export.params, export.format),
        content_type=CONTENT_TYPES[export.format],
    )


def _progress(export: Export, percent: int) -> None:
    # A plain UPDATE outside any transaction: committed at once, so the requester's page sees it.
    Export.objects.filter(pk=export.pk).update(progress=percent)


def export_build(export_id: int) -> Export:
    """Build export `export_id`'s file (once: a done or failed job is left alone). Progress is
    committed as rows are written; the file is written before the job is marked done, with the
    ledger's `report.exported` in the same transaction. A failure marks the job failed."""
    export = Export.objects.select_related("requester").get(pk=export_id)
    if export.status in (ExportStatus.DONE, ExportStatus.FAILED):
        return export
    Export.objects.filter(pk=export.pk).update(status=ExportStatus.RUNNING, progress=0)
    try:
        document = table(export.requester, export.report, export.params)
        _progress(export, COMPUTED)
        content = render(
            document, export.format, progress=lambda done: _progress(export, COMPUTED + int((95 - COMPUTED) * done))
        )
        export.file_name = f"{timezone.localdate():%Y/%m}/{export.pk}-{secrets.token_hex(8)}.{export.format}"
        path = export_path(export)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        with transaction.atomic():
            export.sha256 = record_export(
                export.requester,
                report=export.report,
                fmt=export.format,
                params=export.params,
                rows=len(document.rows),
                content=content,
                export=export,
            )
            export.status, export.progress, export.rows = ExportStatus.DONE, 100, len(document.rows)
            export.finished_at = timezone.now()
            export.save(update_fields=["file_name", "sha256", "status", "progress", "rows", "finished_at"])
    except Exception as error:  # noqa: BLE001 — any failure is the job's, shown to its requester
        logger.exception("Export %s failed", export.pk)
        message = error.message if isinstance(error, ServiceError) else _("导出失败，请稍后重试")
        Export.objects.filter(pk=export.pk).update(
            status=ExportStatus.FAILED, error=str(message)[:500], finished_at=timezone.now()
        )
        export.refresh_from_db()
    return export


# --- retention -----------------------------------------------------------------------------------


def exports_expire(*, now=None) -> int:
    """Delete the files of done exports that finished more than `GOVCMS_EXPORT_RETENTION_DAYS`
    ago; returns how many. Each job, row-locked in its own transaction, becomes expired
    (`expired_at`; `sha256` and the row stay, so the hash in the ledger still names a job) with
    one `export.expired` event (actor SYSTEM, filed like the request under the requester's
    jurisdictions). The file is unlinked last inside the transaction: if the commit fails the
    job is still done and the next run deletes again (a missing file is no error)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.GOVCMS_EXPORT_RETENTION_DAYS)
    due = Export.objects.filter(status=ExportStatus.DONE, finished_at__lt=cutoff).order_by("pk")
    expired = 0
    for export_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            export = (
                Export.objects.select_for_update()
                .select_related("requester")
                .filter(pk=export_id, status=ExportStatus.DONE)
                .first()
            )
            if export is None:  # expired meanwhile by another run
                continue
            ledger.record(
                action="export.expired",
                actor=SYSTEM,
                obj=export,
                data={
                    "report": export.report,
                    "format": export.format,
                    "sha256": export.sha256,
                    "finished_at": export.finished_at,
                    "retention_days": settings.GOVCMS_EXPORT_RETENTION_DAYS,
                },
                scope=ledger.person_scope(selectors.user_jurisdiction_paths(export.requester)),
            )
            path = export_path(export) if export.file_name else None
            export.status, export.expired_at, export.file_name = ExportStatus.EXPIRED, now, ""
            export.save(update_fields=["status", "expired_at", "file_name"])
            if path is not None:
                path.unlink(missing_ok=True)
        expired += 1
    if expired:
        logger.info("Deleted the files of %d expired exports", expired)
    return expired
