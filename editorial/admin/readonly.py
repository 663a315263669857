"""Read-only admin views of a post for whoever may see it, auditors first of all: the current
draft, each revision as previewed, and the differences between two revisions.

Wagtail's own draft, revision and compare views need edit or publish rights, which an auditor
must never hold; these are the same views with the jurisdiction as the only condition (anything
outside it is 404, as everywhere) and no way to change anything.
"""

import logging

from django.urls import path, re_path, reverse
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.views.pages.revisions import RevisionsCompareView, RevisionsView
from wagtail.admin.viewsets.base import ViewSet

from govcms.admin.base import beijing_time
from govcms.selectors import access_object

from .. import selectors
from ..models import WechatArticlePage

logger = logging.getLogger(__name__)


def visible_post(user, pk):
    """The post `pk` as its specific page, or 404 outside the caller's jurisdiction."""
    return access_object(selectors.posts_visible_to(user), pk)


class PostReadView(WagtailAdminTemplateMixin, TemplateView):
    """The post's current draft as text, with its revisions to view and compare."""

    template_name = "editorial/admin/post_read.html"
    header_icon = "doc-empty-inverse"
    page_title = gettext_lazy("查看内容（只读）")

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.post = visible_post(request.user, kwargs["pk"])

    def get_page_subtitle(self):
        return self.post.title

    def get_breadcrumbs_items(self):
        return [*WagtailAdminTemplateMixin.breadcrumbs_items, {"url": "", "label": self.post.title}]

    def get_context_data(self, **kwargs):
        revisions = list(self.post.revisions.order_by("-created_at", "-id").select_related("user"))
        rows = [
            {
                "id": revision.pk,
                "at": beijing_time(revision.created_at),
                "user": revision.user.username if revision.user else "",
                "view_url": reverse("editorial_post_read:revision", args=[self.post.pk, revision.pk]),
                "compare_url": reverse("editorial_post_read:compare", args=[self.post.pk, previous.pk, revision.pk])
                if previous
                else "",
                "live": revision.pk == self.post.live_revision_id,
            }
            for revision, previous in zip(revisions, [*revisions[1:], None], strict=True)
        ]
        return super().get_context_data(
            post=self.post,
            draft=self.post.get_latest_revision_as_object(),
            is_wechat=isinstance(self.post, WechatArticlePage),
            revisions=rows,
            history_url=reverse("editorial_posts:history", args=[self.post.pk]),
            **kwargs,
        )


class PostRevisionView(RevisionsView):
    """One revision rendered as its preview (what reviewers saw)."""

    def get_object(self):
        return visible_post(self.request.user, self.pk)


class PostRevisionsCompareView(RevisionsCompareView):
    """Field-by-field differences between two revisions, with no edit button."""

    edit_url_name = None
    history_url_name = "editorial_post_read:detail"
    history_label = gettext_lazy("查看内容（只读）")

    def get_object(self, queryset=None):
        return visible_post(self.request.user, self.pk)


class PostReadViewSet(ViewSet):
    name = "editorial_post_read"
    url_prefix = "editorial/read"

    def get_urlpatterns(self):
        return [
            path("<int:pk>/", PostReadView.as_view(), name="detail"),
            # Wagtail's RevisionsView takes the page as `page_id`.
            path("<int:page_id>/revisions/<int:revision_id>/", PostRevisionView.as_view(), name="revision"),
            re_path(
                r"^(?P<pk>\d+)/compare/(?P<revision_id_a>\d+)\.\.\.(?P<revision_id_b>\d+)/$",
                PostRevisionsCompareView.as_view(),
                name="compare",
            ),
        ]
