"""The workspace's URLs (one namespace, `oversight_admin`) and its menu item (监管工作台), shown to
whoever may read reports."""

import logging

from django.urls import path
from django.utils.translation import gettext_lazy
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSet

from .. import policy
from .cases import CaseHistoryView
from .charts import ChartsView
from .findings import FindingDecideView, FindingListView
from .register import RegisterView
from .reports import AssessmentView, ComplianceView, RankingView

logger = logging.getLogger(__name__)


class WorkspaceMenuItem(MenuItem):
    def is_shown(self, request):
        return policy.may_read_reports(request.user) is None


class OversightAdminViewSet(ViewSet):
    name = "oversight_admin"
    url_prefix = "oversight"
    icon = "table"
    menu_label = gettext_lazy("监管工作台")
    menu_name = "oversight"
    menu_order = 92
    add_to_admin_menu = True
    menu_item_class = WorkspaceMenuItem

    def get_urlpatterns(self):
        return [
            path("", ComplianceView.as_view(), name="compliance"),
            path("ranking/", RankingView.as_view(), name="ranking"),
            path("assessment/", AssessmentView.as_view(), name="assessment"),
            path("register/", RegisterView.as_view(), name="register"),
            path("findings/", FindingListView.as_view(), name="findings"),
            path("findings/<int:pk>/<str:decision>/", FindingDecideView.as_view(), name="finding_decide"),
            path("charts/", ChartsView.as_view(), name="charts"),
            path("cases/<int:pk>/history/", CaseHistoryView.as_view(), name="case_history"),
        ]
