"""A post's history (履历) and the buttons that lead to it and to the read-only view."""

from django.urls import path, reverse
from django.utils.translation import gettext as _
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.widgets.button import BaseButton, Button, ListingButton

from govcms.admin.history import HistoryView
from govcms.selectors import access_object, can_see_path

from .. import selectors
from ..history import post_history
from ..models import POST_MODELS


class PostHistoryView(HistoryView):
    """Revisions, check runs, review decisions and the ledger of one post, for whoever can see it."""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.post = access_object(selectors.posts_visible_to(request.user), kwargs["pk"])
        self.model = self.post.specific_class

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
        return post_history(self.post)


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
