"""导出: the user's export jobs with a progress bar and their downloads, and the form that starts one.

Report screens link here with the report and its filters in the query string (`exports_url`),
e.g. `/admin/exports/?report=compliance&agency_id=12&as_of=2026-03-01`: the form comes filled in,
the user picks a format. Jobs still running are polled by a tiny static script through
`GET /api/v1/exports/{id}` (session auth); the page reloads when one finishes. Downloads go
through `oversight.exports` and are served to the requester only (anyone else: 404).
"""

import logging
from urllib.parse import urlencode

from django import forms
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from govcms import policy as org_policy
from govcms.admin.base import beijing_time
from govcms.selectors import access_object
from govcms.services import ServiceError

from .. import exports, policy
from ..models import ExportFormat, ExportReport, ExportStatus

logger = logging.getLogger(__name__)

PENDING = (ExportStatus.QUEUED, ExportStatus.RUNNING)
LISTED = 50


def exports_url(report: str, **params) -> str:
    """The export screen's URL with `report` and its filters filled in (for report screens)."""
    query = {"report": report, **{k: v for k, v in params.items() if v not in (None, "")}}
    return f"{reverse('exports_admin:index')}?{urlencode(query)}"


class ExportForm(forms.Form):
    report = forms.ChoiceField(label=gettext_lazy("报表"), choices=ExportReport.choices)
    format = forms.ChoiceField(label=gettext_lazy("格式"), choices=ExportFormat.choices)
    agency_id = forms.IntegerField(label=gettext_lazy("机构 ID（留空为整个辖区）"), required=False, min_value=1)
    as_of = forms.DateField(label=gettext_lazy("报表日期（合规报表）"), required=False)
    week = forms.RegexField(
        label=gettext_lazy("周次（奖惩名单，如 2026-W10）"), regex=r"^[0-9]{4}-W[0-9]{2}$", required=False
    )
    year = forms.IntegerField(label=gettext_lazy("年度（年度考核）"), required=False, min_value=1970, max_value=2100)


def may_export_anything(user) -> bool:
    return policy.may_read_reports(user) is None or org_policy.may_read_ledger(user) is None


class ExportMenuItem(MenuItem):
    def is_shown(self, request):
        return may_export_anything(request.user)


class ExportListView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "oversight/admin/exports.html"
    page_title = gettext_lazy("导出")
    header_icon = "download"

    def get_context_data(self, form=None, **kwargs):
        rows = [
            {
                "export": e,
                "created_at": beijing_time(e.created_at),
                "finished_at": beijing_time(e.finished_at),
                "pending": e.status in PENDING,
            }
            for e in exports.exports_of(self.request.user)[:LISTED]
        ]
        form = form or ExportForm(initial=self.request.GET.dict())
        return super().get_context_data(rows=rows, form=form, **kwargs)

    def post(self, request):
        form = ExportForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        data = form.cleaned_data
        params = {key: data[key] or None for key in ("agency_id", "as_of", "week", "year")}
        try:
            exports.export_request(actor=request.user, report=data["report"], params=params, fmt=data["format"])
        except ServiceError as error:
            messages.error(request, error.message)
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(request, _("导出已开始，完成后可在下方下载"))
        return redirect("exports_admin:index")


class ExportDownloadView(View):
    """The file of one of the user's finished exports (anyone else's or a missing one: 404)."""

    def get(self, request, pk):
        export = access_object(exports.exports_of(request.user), pk)
        if export.status not in (ExportStatus.DONE, ExportStatus.EXPIRED):  # expired: file_response says so
            messages.error(request, _("导出尚未完成"))
            return redirect("exports_admin:index")
        try:
            return exports.file_response(export)
        except ServiceError as error:
            messages.error(request, error.message)
            return redirect("exports_admin:index")


class ExportAdminViewSet(ViewSet):
    name = "exports_admin"
    url_prefix = "exports"
    icon = "download"
    menu_label = gettext_lazy("导出")
    menu_name = "exports"
    menu_order = 95
    add_to_admin_menu = True
    menu_item_class = ExportMenuItem

    def get_urlpatterns(self):
        return [
            path("", ExportListView.as_view(), name="index"),
            path("<int:pk>/download/", ExportDownloadView.as_view(), name="download"),
        ]
