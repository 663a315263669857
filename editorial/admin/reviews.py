"""待我审核: the caller's review items, with approve / reject in place for items that have no
content editor to decide in (after-the-fact reviews, withdrawals).

Same shape as the organisation screens (`govcms.admin`): fetch through a scoped selector (anything
outside the caller's jurisdiction is 404), call one service, and show a refused write (ServiceError)
as a message or form error, never a 500.
"""

from django import forms
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import View
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.sidebar import LinkMenuItem
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic import BaseListingView
from wagtail.admin.viewsets.base import ViewSet

from govcms.admin.base import beijing_time, display_name
from govcms.selectors import access_object, path_q, scope_paths
from govcms.services import ServiceError

from .. import selectors, services
from ..models import ReviewKind, ReviewStep


class ReviewDecisionForm(forms.Form):
    """Approve or reject one item from the review listing; `review_act` requires the comment of a rejection."""

    action = forms.ChoiceField(choices=[("approve", gettext_lazy("通过")), ("reject", gettext_lazy("退回"))])
    comment = forms.CharField(label=gettext_lazy("意见"), required=False, max_length=2000)


def awaiting_review(user):
    """The caller's review items, with what each listing row shows, in a constant number of queries."""
    return selectors.review_steps_awaiting(user).select_related("post")


class DueColumn(Column):
    """The due time in Beijing time, flagged when it has passed."""

    cell_template_name = "editorial/admin/due_cell.html"

    def __init__(self, *args, now, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["overdue"] = bool(instance.due_at and instance.due_at <= self.now)
        return context


# Items with no content editor to decide in: the after-the-fact review, withdrawal requests and
# inbox replies / moderation requests (their text is the step's note, shown in the listing).
DECIDED_IN_LISTING = {ReviewKind.POST_REVIEW, ReviewKind.WITHDRAWAL, ReviewKind.REPLY}


def step_title(step) -> str:
    """A reply review names the account and the text to approve; other items their post."""
    if step.kind == ReviewKind.REPLY:
        return f"{step.post.title}：{step.note[:80]}"
    return step.post.title


class DecisionColumn(Column):
    """Approve / reject in place for items without a Wagtail task (the after-the-fact review);
    publish steps are decided in the page editor, where the reviewer reads the content."""

    cell_template_name = "editorial/admin/decision_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        request = parent_context["request"]
        context.update(
            decide_here=instance.kind in DECIDED_IN_LISTING,
            decide_url=reverse("editorial_reviews:decide", args=[instance.pk]),
            edit_url=reverse("wagtailadmin_pages:edit", args=[instance.post_id]),
            # Cells render outside the request context, so the token is handed over explicitly.
            csrf_token=get_token(request),
        )
        return context


class ReviewIndexView(BaseListingView):
    page_title = gettext_lazy("待我审核")
    header_icon = "tasks"
    paginate_by = 50
    index_url_name = "editorial_reviews:index"
    index_results_url_name = "editorial_reviews:index_results"
    verbose_name_plural = gettext_lazy("待审核内容")

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.now = timezone.now()

    def get_base_queryset(self):
        return awaiting_review(self.request.user)

    @cached_property
    def no_results_message(self):
        return _("暂无待您审核的内容。")

    @cached_property
    def columns(self):
        now = self.now
        return [
            TitleColumn(
                "post",
                label=_("内容"),
                accessor=step_title,
                get_url=lambda step: reverse("wagtailadmin_pages:edit", args=[step.post_id]),
            ),
            Column("kind", label=_("类型"), accessor="get_kind_display"),
            Column("step", label=_("步骤"), accessor=lambda s: f"{s.step_name}（{s.step_index}/{s.steps_total}）"),
            Column("requested_by", label=_("提交人"), accessor=lambda s: display_name(s.requested_by)),
            Column("submitted_at", label=_("提交时间（北京时间）"), accessor=lambda s: beijing_time(s.submitted_at)),
            DueColumn("due_at", label=_("截止时间（北京时间）"), accessor=lambda s: beijing_time(s.due_at), now=now),
            DecisionColumn("decision", label=_("审核")),
        ]


class ReviewDecisionView(View):
    """POST approve/reject on an item of the listing: 404 outside the caller's jurisdiction, the
    service's refusals (own submission, second step, no role, closed, missing comment) as messages."""

    http_method_names = ["post"]

    def post(self, request, pk):
        visible = ReviewStep.objects.filter(path_q(scope_paths(request.user), "post_path"))
        step = access_object(visible.select_related("post"), pk)
        form = ReviewDecisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("未知审核动作"))
        elif step.kind not in DECIDED_IN_LISTING:
            messages.error(request, _("发布审核请在内容编辑页面中处理。"))
        else:
            action, comment = form.cleaned_data["action"], form.cleaned_data["comment"]
            try:
                services.review_act(step=step, user=request.user, action=action, comment=comment)
            except ServiceError as error:
                messages.error(request, error.message)
            else:
                done = _("已通过") if action == "approve" else _("已退回")
                values = {"title": step.post.title, "step": step.step_name, "done": done}
                messages.success(request, _("《%(title)s》%(step)s：%(done)s") % values)
        return redirect("editorial_reviews:index")


class ReviewsMenuItem(MenuItem):
    """Shown to whoever holds a reviewing role; the label carries the number of waiting items."""

    def is_shown(self, request):
        return bool(scope_paths(request.user, selectors.REVIEW_ROLES))

    def render_component(self, request):
        count = selectors.review_steps_awaiting(request.user).count()
        label = f"{self.label}（{count}）" if count else self.label
        return LinkMenuItem(
            self.name, label, self.url, icon_name=self.icon_name, classname=self.classname, attrs=self.attrs
        )


class ReviewViewSet(ViewSet):
    name = "editorial_reviews"
    url_prefix = "editorial/reviews"
    icon = "tasks"
    menu_label = gettext_lazy("待我审核")
    menu_name = "editorial_reviews"
    menu_order = 90
    add_to_admin_menu = True
    menu_item_class = ReviewsMenuItem

    def get_urlpatterns(self):
        return [
            path("", ReviewIndexView.as_view(), name="index"),
            path("results/", ReviewIndexView.as_view(results_only=True), name="index_results"),
            path("<int:pk>/decide/", ReviewDecisionView.as_view(), name="decide"),
        ]
