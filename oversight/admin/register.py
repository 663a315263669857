"""账号台账: every account of the jurisdiction (or an agency's subtree, a platform) with its
unit, operating unit, outsourcing contract and security agreement dates, latest filing number,
status and filed status history; exported as CSV or XLSX (`?format=csv|xlsx`), each export
recorded in the ledger (`report.exported`) with the file's hash."""

import logging

from django.http import Http404, HttpResponse
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from ..documents import CONTENT_TYPES, render
from ..exports import record_export, register_document
from ..selectors import register_rows
from .base import ReportScreen

logger = logging.getLogger(__name__)

FORMATS = ("csv", "xlsx")


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
        document = register_document(register_rows(self.accounts))
        content = render(document, fmt)
        params = {"agency_id": self.agency.pk if self.agency else None, "platform": self.filters.get("platform")}
        rows = len(document.rows)
        record_export(request.user, report="register", fmt=fmt, params=params, rows=rows, content=content, via="admin")
        response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="register.{fmt}"'
        return response

    def get_context_data(self, **kwargs):
        query = self.request.GET.copy()
        exports = {}
        for fmt in FORMATS:
            query["format"] = fmt
            exports[fmt] = f"?{query.urlencode()}"
        return super().get_context_data(rows=register_rows(self.accounts), exports=exports, **kwargs)
