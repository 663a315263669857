"""统计图表: the workspace's charts drawn on the server as inline SVG (`oversight.charts`): posts
per week over the last 12 weeks, days since the last update per account, interaction response
times (median and p90), and the distribution of compliance scores, for the filtered accounts."""

import logging

from django.conf import settings
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from .. import charts
from ..compliance import Period, compliance
from ..workspace import posting_trend, response_times
from .base import ReportScreen

logger = logging.getLogger(__name__)

SCORE_EDGES = (0, 60, 70, 80, 90, 100, float("inf"))


def chart_svgs(accounts, period: Period, items: list[dict]) -> dict[str, str]:
    """The four charts of `accounts` (their compliance `items` for `period`), safe SVG markup."""
    silence = [(i["name"], i["days_since_update"]) for i in items if i["days_since_update"] is not None]
    times = response_times(accounts, period)
    hours = [
        (_("中位数"), times["median_answer_hours"] or 0),
        (_("90 分位"), times["p90_answer_hours"] or 0),
    ]
    drawn = {
        "trend": charts.bar_chart(posting_trend(accounts), title=_("每周发布量（近 12 周）"), unit=_("条")),
        "silence": charts.bar_chart(
            silence,
            title=_("各账号未更新天数"),
            unit=_("天"),
            highlight_from=settings.GOVCMS_COMPLIANCE_VETO_SILENT_DAYS,
        ),
        "response": charts.bar_chart(hours, title=_("互动响应时长"), unit=_("小时")),
        "scores": charts.bar_chart(
            charts.histogram_bins([i["score"] for i in items], SCORE_EDGES), title=_("得分分布"), unit=_("个账号")
        ),
    }
    # The chart module escapes every label and title it draws.
    return {name: mark_safe(svg) for name, svg in drawn.items()}  # noqa: S308


class ChartsView(ReportScreen, TemplateView):
    template_name = "oversight/admin/charts.html"
    page_title = gettext_lazy("统计图表")
    report = "charts"
    header_icon = "doc-full"

    def get_context_data(self, **kwargs):
        period = Period.ending(self.as_of)
        items = self.scheme_rows(compliance(self.accounts, period)["items"])
        return super().get_context_data(charts=chart_svgs(self.accounts, period, items), **kwargs)
