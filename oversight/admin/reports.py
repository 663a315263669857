"""合规报表, 每周排名 (red and black lists), 年度考核: the compliance engine's reports as admin
tables, filtered by as-of date, agency subtree, platform and scheme version. The numbers are the
engine's (`oversight.compliance`, `oversight.selectors`); the views only label them."""

import logging

from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from govcms.models import Platform

from .. import selectors as reports
from ..compliance import Period, compliance
from .base import ReportScreen, code_label

logger = logging.getLogger(__name__)

PLATFORMS = dict(Platform.choices)


def labelled(item: dict) -> dict:
    """A report row with the Chinese names of its codes and platform, for the table."""
    return {
        **item,
        "platform_label": PLATFORMS.get(item["platform"], item["platform"]),
        "veto_labels": [code_label(c) for c in item["vetoes"]],
        "warning_labels": [code_label(c) for c in item["warnings"]],
        "deduction_labels": [f"{code_label(d['code'])} −{d['points']:g}" for d in item["deductions"]],
    }


class ComplianceView(ReportScreen, TemplateView):
    template_name = "oversight/admin/compliance.html"
    page_title = _("合规报表")
    report = "compliance"

    def export_params(self) -> dict:
        """The same accounts and date as the table: the export screen comes filled in with them."""
        return {"agency_id": self.agency.pk if self.agency else None, "as_of": self.as_of.isoformat()}

    def get_context_data(self, **kwargs):
        report = compliance(self.accounts, Period.ending(self.as_of))
        rows = [labelled(item) for item in self.scheme_rows(report["items"])]
        return super().get_context_data(report=report, rows=rows, **kwargs)


class RankingView(ReportScreen, TemplateView):
    """The ISO week containing the as-of date (this week by default)."""

    template_name = "oversight/admin/ranking.html"
    page_title = _("每周排名")
    report = "ranking"

    def get_context_data(self, **kwargs):
        year, week, _weekday = self.as_of.isocalendar()
        result = reports.ranking(
            self.accounts,
            reports.week_period(year, week),
            jurisdiction_path=reports.list_jurisdiction(self.request.user, self.agency),
        )
        rows = [labelled(item) for item in self.scheme_rows(result["items"])]
        red, black = set(result["red_list"]), set(result["black_list"])
        return super().get_context_data(
            week=f"{year}-W{week:02d}",
            result=result,
            rows=rows,
            red=[r for r in rows if r["account_id"] in red],
            black=[r for r in rows if r["account_id"] in black],
            **kwargs,
        )


class AssessmentView(ReportScreen, TemplateView):
    """The year of the as-of date (this year by default)."""

    template_name = "oversight/admin/assessment.html"
    page_title = _("年度考核")
    report = "assessment"

    def get_context_data(self, **kwargs):
        result = reports.assessment(self.accounts, self.as_of.year)
        return super().get_context_data(result=result, **kwargs)
