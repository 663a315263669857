"""A post's history (履历) and the buttons that lead to it and to the read-only view."""

from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.widgets.button import BaseButton, Button, ListingButton

from govcms.admin.history import HistoryView
from govcms.selectors import access_object, can_see_path

from .. import selectors
from ..history import post_history
from ..models import POST_MODELS

POST_ACTION_LABELS = {
    "post.created": gettext_lazy("创建内容"),
    "post.updated": gettext_lazy("修改内容"),
    "post.checked": gettext_lazy("内容检查"),
    "post.check_overridden": gettext_lazy("签发人强制提交"),
    "post.submitted": gettext_lazy("提交审核"),
    "post.approved": gettext_lazy("审核通过"),
    "post.rejected": gettext_lazy("审核退回"),
    "post.released": gettext_lazy("签发发布"),
    "post.fast_tracked": gettext_lazy("快速通道发布"),
    "check.save": gettext_lazy("保存时检查"),
    "check.submit": gettext_lazy("提交时检查"),
    "check.api": gettext_lazy("手动检查"),
    "check.override": gettext_lazy("强制提交时检查"),
    "publication.queued": gettext_lazy("排队发布"),
    "publication.published": gettext_lazy("已发布到平台"),
    "publication.failed": gettext_lazy("发布失败"),
    "publication.unknown": gettext_lazy("发布结果未知"),
    "publication.retry": gettext_lazy("重新发布"),
    "publication.withdrawn": gettext_lazy("已从平台撤回"),
    "publication.withdraw_failed": gettext_lazy("撤回失败"),
    "publication.deleted_on_platform": gettext_lazy("已在平台上被删除"),
    "review.approved": gettext_lazy("审核通过"),
    "review.rejected": gettext_lazy("审核退回"),
    "review.reminded": gettext_lazy("审核到期提醒"),
    "review.escalated": gettext_lazy("审核超时升级"),
    "wagtail.workflow.start": gettext_lazy("启动审核流程"),
    "wagtail.workflow.approve": gettext_lazy("流程步骤通过"),
    "wagtail.workflow.reject": gettext_lazy("流程步骤退回"),
    "wagtail.workflow.cancel": gettext_lazy("取消审核流程"),
}
SOURCE_LABELS = {"checks": gettext_lazy("内容检查")}


class PostHistoryView(HistoryView):
    """Revisions, check runs, review decisions and the ledger of one post, for whoever can see it."""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.post = access_object(selectors.posts_visible_to(request.user), kwargs["pk"])

    def get_page_subtitle(self):
        return self.post.title

    def get_breadcrumbs_items(self):
        return [
            *WagtailAdminTemplateMixin.breadcrumbs_items,
            # The read-only view: whoever sees the history may read the post, not all may edit it.
            {"url": reverse("editorial_post_read:detail", args=[self.post.pk]), "label": self.post.title},
            {"url": "", "label": self.page_title},
        ]

    def get_entries(self):
        # Labelled here: `history_table` labels the organisation's actions and shows others as given.
        return [
            {
                **entry,
                "action": POST_ACTION_LABELS.get(entry["action"], entry["action"]),
                "source": SOURCE_LABELS.get(entry["source"], entry["source"]),
            }
            for entry in post_history(self.post)
        ]


class PostAdminViewSet(ViewSet):
    name = "editorial_posts"
    url_prefix = "editorial/posts"

    def get_urlpatterns(self):
        return [path("<int:pk>/history/", PostHistoryView.as_view(), name="history")]


def is_visible_post(page, user) -> bool:
    specific_class = page.specific_class
    return specific_class is not None and issubclass(specific_class, POST_MODELS) and can_see_path(user, page.path)


def post_header_buttons(*, page, user) -> list[Button]:
    """The history and read-only buttons on a post's edit and explore headers, for whoever can see the post."""
    if not is_visible_post(page, user):
        return []
    return [
        Button(_("履历"), url=reverse("editorial_posts:history", args=[page.pk]), icon_name="history", priority=80),
        read_only_button(page),
    ]


def read_only_button(page, *, listing: bool = False) -> BaseButton:
    """The way in to a post's read-only view: the only one an auditor has (they may not edit)."""
    url = reverse("editorial_post_read:detail", args=[page.pk])
    if listing:
        return ListingButton(_("查看内容（只读）"), url=url, priority=5)
    return Button(_("查看内容（只读）"), url=url, icon_name="view", priority=85)
