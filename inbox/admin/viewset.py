"""The inbox admin's URLs (one namespace, `inbox_admin`) and its menu item (counts per status)."""

import logging

from django.urls import path
from django.utils.translation import gettext_lazy
from wagtail.admin.viewsets.base import ViewSet

from .configuration import DeadlineView, RuleDeleteView, RuleEditView, RuleFormView, RuleIndexView
from .items import (
    AcknowledgeView,
    AssignView,
    BulkAssignView,
    ComplexView,
    InboxMenuItem,
    ItemDetailView,
    ItemHistoryView,
    ItemIndexView,
    ModerateView,
    ReplyView,
    TransferView,
)
from .transfers import TransferDecideView, TransferListView

logger = logging.getLogger(__name__)


class InboxAdminViewSet(ViewSet):
    name = "inbox_admin"
    url_prefix = "inbox"
    icon = "comment"
    menu_label = gettext_lazy("互动事项")
    menu_name = "inbox"
    menu_order = 91
    add_to_admin_menu = True
    menu_item_class = InboxMenuItem

    def get_urlpatterns(self):
        return [
            path("", ItemIndexView.as_view(), name="items"),
            path("results/", ItemIndexView.as_view(results_only=True), name="items_results"),
            path("bulk-assign/", BulkAssignView.as_view(), name="bulk_assign"),
            path("items/<int:pk>/", ItemDetailView.as_view(), name="item"),
            path("items/<int:pk>/history/", ItemHistoryView.as_view(), name="item_history"),
            path("items/<int:pk>/assign/", AssignView.as_view(), name="assign"),
            path("items/<int:pk>/transfer/", TransferView.as_view(), name="transfer"),
            path("items/<int:pk>/acknowledge/", AcknowledgeView.as_view(), name="acknowledge"),
            path("items/<int:pk>/complex/", ComplexView.as_view(), name="complex"),
            path("items/<int:pk>/reply/", ReplyView.as_view(), name="reply"),
            path("items/<int:pk>/moderate/", ModerateView.as_view(), name="moderate"),
            path("transfers/", TransferListView.as_view(), name="transfers"),
            path("transfers/<int:pk>/<str:decision>/", TransferDecideView.as_view(), name="transfer_decide"),
            path("rules/", RuleIndexView.as_view(), name="rules"),
            path("rules/add/", RuleFormView.as_view(), name="rule_add"),
            path("rules/<int:pk>/", RuleEditView.as_view(), name="rule_edit"),
            path("rules/<int:pk>/delete/", RuleDeleteView.as_view(), name="rule_delete"),
            path("deadlines/", DeadlineView.as_view(), name="deadlines"),
        ]
