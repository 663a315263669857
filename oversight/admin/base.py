"""Pieces shared by the auditor workspace screens (监管工作台): the reports gate, the filter form
(as-of date, agency subtree, platform, scheme), the Chinese names of the rule codes, and the
links between the screens.

The agency filter is looked up among the agencies the user sees; outside or missing → 404, the
attempt recorded as `report.refused` (as the API does), then the reports policy decides."""

import logging
from datetime import date

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.widgets import AdminDateInput

from govcms import capabilities, selectors
from govcms.models import Platform

from .. import policy, services
from .. import selectors as reports
from ..labels import code_label  # noqa: F401  (the screens' import)
from ..models import Scheme
from .exports import exports_url

logger = logging.getLogger(__name__)


def screens() -> list[dict]:
    """The workspace's screens, for the links at the top of each and on the dashboard panel."""
    return [
        {"url": reverse(f"oversight_admin:{name}"), "label": label}
        for name, label in (
            ("compliance", _("合规报表")),
            ("ranking", _("每周排名")),
            ("assessment", _("年度考核")),
            ("register", _("账号台账")),
            ("findings", _("监管发现")),
            ("charts", _("统计图表")),
        )
    ]


class ReportFilterForm(forms.Form):
    """The filters of the report screens; every field optional (the whole jurisdiction, today)."""

    as_of = forms.DateField(label=_("截至日期"), required=False, widget=AdminDateInput)
    agency = forms.IntegerField(label=_("机构"), required=False, min_value=1, widget=forms.Select)
    platform = forms.ChoiceField(label=_("平台"), required=False)
    scheme = forms.IntegerField(label=_("考核方案"), required=False, min_value=1, widget=forms.Select)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        agencies = selectors.agencies_visible_to(user).values_list("pk", "title", "depth")
        self.fields["agency"].widget.choices = [("", _("全部辖区"))] + [
            (pk, "　" * max(depth - 3, 0) + title) for pk, title, depth in agencies
        ]
        self.fields["platform"].choices = [("", _("全部平台")), *Platform.choices]
        schemes = Scheme.objects.filter(
            selectors.path_q(capabilities.scope_paths(user, "report.read"), "jurisdiction__path")
            | Q(jurisdiction__isnull=True)
        ).order_by("jurisdiction_id", "preset", "version")
        self.fields["scheme"].widget.choices = [("", _("全部方案"))] + [(s.pk, str(s)) for s in schemes]

    def clean_as_of(self):
        value = self.cleaned_data["as_of"]
        if value is not None and value > timezone.localdate():
            raise forms.ValidationError(_("报表日期不能晚于今天"))
        return value


def report_agency(user, agency_id: int | None, report: str):
    """The agency whose subtree the screen covers (None: the user's whole jurisdiction) after the
    reports policy: outside or missing → Http404 (recorded), refused → PermissionDenied."""
    agency = None
    if agency_id is not None:
        try:
            agency = selectors.access_object(selectors.agencies_visible_to(user), agency_id)
        except Http404:
            services.report_refused(actor=user, report=report, agency_id=agency_id)
            raise
    refusal = policy.may_read_reports(user, agency)
    if refusal is not None:
        if refusal.outside:
            raise Http404
        raise PermissionDenied
    return agency


class ReportScreen(WagtailAdminTemplateMixin):
    """A workspace screen: gated by the reports policy, with the filter form in its context and
    `self.filters` (cleaned; empty values when invalid), `self.agency` and `self.accounts` (the
    accounts the screen covers, platform filter applied) set before `get_context_data`."""

    report = ""  # the name recorded when the agency filter is refused
    header_icon = "table"

    def dispatch(self, request, *args, **kwargs):
        if policy.may_read_reports(request.user) is not None:
            raise PermissionDenied
        self.form = ReportFilterForm(request.GET or None, user=request.user)
        self.filters = self.form.cleaned_data if self.form.is_bound and self.form.is_valid() else {}
        # The agency filter goes to the scope check even when another filter is invalid: a bad
        # or foreign id is 404, never the whole jurisdiction.
        agency_id = request.GET.get("agency") or None
        if agency_id is not None and not (agency_id.isdigit() and len(agency_id) <= 18):
            raise Http404
        self.agency = report_agency(request.user, int(agency_id) if agency_id else None, self.report)
        accounts = reports.report_accounts(request.user, self.agency)
        if self.filters.get("platform"):
            accounts = accounts.filter(platform=self.filters["platform"])
        self.accounts = accounts
        return super().dispatch(request, *args, **kwargs)

    @property
    def as_of(self) -> date:
        return self.filters.get("as_of") or timezone.localdate()

    def scheme_rows(self, items: list[dict]) -> list[dict]:
        """`items` of a compliance report narrowed to the chosen scheme version, if any."""
        scheme = self.filters.get("scheme")
        return [i for i in items if i["scheme"]["id"] == scheme] if scheme else items

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("oversight_admin:compliance"), "label": _("监管工作台")},
            {"url": "", "label": self.get_page_title()},
        ]

    def export_params(self) -> dict | None:
        """The filters this screen's export takes (see `exports_url`), or None: no export offered."""
        return None

    def get_context_data(self, **kwargs):
        params = self.export_params()
        export_url = exports_url(self.report, **params) if params is not None else ""
        return super().get_context_data(form=self.form, screens=screens(), export_url=export_url, **kwargs)
