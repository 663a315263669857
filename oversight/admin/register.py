"""账号台账: every account of the jurisdiction (or an agency's subtree, a platform) with its
unit, operating unit, outsourcing contract and security agreement dates, latest filing number,
status and filed status history; exported as CSV or XLSX (`?format=csv|xlsx`), each export
recorded in the ledger (`report.exported`) with the file's hash."""

import logging

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from govcms.admin.base import beijing_time
from govcms.spreadsheets import spreadsheet_file

from ..workspace import register, report_exported
from .base import ReportScreen

logger = logging.getLogger(__name__)

FORMATS = ("csv", "xlsx")


def _day(value) -> str:
    return value.isoformat() if value else ""


def register_table(rows) -> tuple[list[str], list[list]]:
    """(header, rows) of the register as exported: the screen's columns, history as text."""
    header = [
        _("账号 ID"),
        _("账号名称"),
        _("平台"),
        _("主管单位"),
        _("运维单位"),
        _("委托第三方运维"),
        _("运维合同开始"),
        _("运维合同结束"),
        _("保密协议签订日期"),
        _("保密协议到期日期"),
        _("备案号"),
        _("状态"),
        _("状态变更记录"),
    ]
    table = [
        [
            row.pk,
            row.title,
            row.get_platform_display(),
            row.parent_title,
            row.operating_unit,
            _("是") if row.outsourced else _("否"),
            _day(row.contract_start),
            _day(row.contract_end),
            _day(row.security_agreement_signed_on),
            _day(row.security_agreement_expires_on),
            row.filing_number,
            row.get_status_display(),
            "; ".join(
                f"{beijing_time(t.at)} {t.get_from_status_display()}→{t.get_to_status_display()} {t.filing_number}"
                for t in row.history
            ),
        ]
        for row in rows
    ]
    return header, table


class RegisterView(ReportScreen, TemplateView):
    template_name = "oversight/admin/register.html"
    page_title = gettext_lazy("账号台账")
    report = "register"

    def get(self, request, *args, **kwargs):
        fmt = request.GET.get("format")
        if fmt is None:
            return super().get(request, *args, **kwargs)
        if fmt not in FORMATS:
            raise Http404
        header, table = register_table(register(self.accounts))
        content, content_type = spreadsheet_file(header, table, fmt, sheet="register")
        report_exported(
            actor=request.user,
            report="register",
            fmt=fmt,
            rows=len(table),
            content=content,
            agency_id=self.agency.pk if self.agency else None,
        )
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="register.{fmt}"'
        return response

    def get_context_data(self, **kwargs):
        query = self.request.GET.copy()
        exports = {}
        for fmt in FORMATS:
            query["format"] = fmt
            exports[fmt] = f"?{query.urlencode()}"
        return super().get_context_data(rows=register(self.accounts), exports=exports, **kwargs)
