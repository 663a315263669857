"""The publishing admin's URLs (one namespace, `publishing_admin`, for both of its screens) and menu item."""

from django.urls import path
from django.utils.translation import gettext_lazy
from wagtail.admin.viewsets.base import ViewSet

from .publications import ConfirmAbsentRetryView, ProblemIndexView, ProblemsMenuItem, PublicationDetailView, RetryView
from .weibo_auth import WeiboAuthorizeView, WeiboCallbackView


class PublishingAdminViewSet(ViewSet):
    name = "publishing_admin"
    url_prefix = "publishing"
    icon = "warning"
    menu_label = gettext_lazy("发布问题")
    menu_name = "publishing_problems"
    menu_order = 92
    add_to_admin_menu = True
    menu_item_class = ProblemsMenuItem

    def get_urlpatterns(self):
        return [
            path("problems/", ProblemIndexView.as_view(), name="problems"),
            path("problems/results/", ProblemIndexView.as_view(results_only=True), name="problems_results"),
            path("publications/<int:pk>/", PublicationDetailView.as_view(), name="publication"),
            path("publications/<int:pk>/retry/", RetryView.as_view(), name="retry"),
            path("publications/<int:pk>/confirm-absent/", ConfirmAbsentRetryView.as_view(), name="confirm_absent"),
            path("weibo/authorize/<int:account_id>/", WeiboAuthorizeView.as_view(), name="weibo_authorize"),
            path("weibo/callback/", WeiboCallbackView.as_view(), name="weibo_callback"),
        ]
