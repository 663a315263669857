"""Export jobs (导出): ask for a report as CSV, XLSX or PDF (202 with the job's id), follow its
progress, download the file. A job and its file are its requester's only: anyone else gets 404,
as for a missing job. The parameters' agency must lie in the requester's jurisdiction (404 and
`report.refused` in the ledger otherwise, like the reports); every built file is in the ledger
with its SHA-256 (`report.exported`)."""

import logging
from typing import Literal

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from govcms import selectors
from govcms.capabilities import require
from oversight import exports, policy
from oversight.models import Export, ExportStatus

from .errors import ApiError
from .oversight import Day
from .schemas import Id, Text

logger = logging.getLogger(__name__)
router = Router(tags=["oversight"])


class ExportParams(Schema):
    agency_id: Id | None = None
    as_of: Day | None = Field(None, description="compliance: the report's day (default today)")
    week: Text | None = Field(None, max_length=8, description="ranking: ISO week YYYY-Www (default this week)")
    year: int | None = Field(None, ge=1970, le=2100, description="assessment: the year (default this year)")


class ExportIn(Schema):
    report: Literal["compliance", "ranking", "assessment", "register", "ledger"]
    params: ExportParams = Field(default_factory=ExportParams)
    format: Literal["csv", "xlsx", "pdf"]


def export_out(export: Export) -> dict:
    done = export.status == ExportStatus.DONE
    return {
        "id": export.pk,
        "report": export.report,
        "params": export.params,
        "format": export.format,
        "status": export.status,
        "progress": export.progress,
        "rows": export.rows,
        "sha256": export.sha256 or None,
        "error": export.error or None,
        "created_at": export.created_at,
        "finished_at": export.finished_at,
        "expired_at": export.expired_at,
        "download_url": reverse("api-v1:export_file", args=[export.pk]) if done else None,
    }


def _mine(request, export_id: int) -> Export:
    export = selectors.access_object(Export.objects.all(), export_id)
    require(policy.may_fetch_export(request.auth, export))
    return export


@router.post("/exports", response={202: dict}, summary="Export a report as CSV, XLSX or PDF (a background job)")
def export_create(request, payload: ExportIn):
    export = exports.export_request(
        actor=request.auth, report=payload.report, params=payload.params.dict(), fmt=payload.format
    )
    export.refresh_from_db()  # built already when tasks run in-process
    return Status(202, export_out(export))


@router.get("/exports/{export_id}", url_name="export_get", summary="An export job's status, progress and download URL")
def export_get(request, export_id: Id):
    return export_out(_mine(request, export_id))


@router.get("/exports/{export_id}/file", url_name="export_file", summary="Download an export's file (its requester)")
def export_file(request, export_id: Id):
    export = _mine(request, export_id)
    if export.status not in (ExportStatus.DONE, ExportStatus.EXPIRED):  # expired: 410 export_expired
        raise ApiError(409, "export_not_ready", _("导出尚未完成"), {"status": export.status})
    return exports.file_response(export)
