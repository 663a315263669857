"""Wagtail admin screens of the editorial area: the review listing (待我审核), lexicon import
(词库导入), campaigns (联动专题) and a post's history (履历).

Same shape as `govcms.admin_views`: fetch through a scoped selector (anything outside the caller's
jurisdiction is 404), call one service, and show a refused write (ServiceError) as a message or
form error, never a 500.
"""

import uuid

from django.core.exceptions import PermissionDenied
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView, View
from wagtail.admin import messages
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.ui.sidebar import LinkMenuItem
from wagtail.admin.ui.tables import Column, StatusTagColumn, Table, TitleColumn
from wagtail.admin.views.generic import BaseListingView, WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.widgets.button import BaseButton, Button, HeaderButton, ListingButton

from govcms.admin_views import FormPageMixin, HistoryView, beijing_time
from govcms.models import AgencyPage, Role
from govcms.selectors import access_object, can_see_path, path_q, scope_paths
from govcms.services import ServiceError

from . import selectors, services
from .admin_forms import CampaignCreateForm, LexiconUploadForm, ReviewDecisionForm
from .admin_readonly import PostReadViewSet
from .checks import engine
from .checks.importers import parse_lexicon_file
from .history import post_history
from .models import POST_MODELS, PostStatus, ReviewKind, ReviewStep

# --- 待我审核 (the review listing) ---------------------------------------------------------------


def display_name(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


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


# Items with no content editor to decide in: the after-the-fact review and withdrawal requests.
DECIDED_IN_LISTING = {ReviewKind.POST_REVIEW, ReviewKind.WITHDRAWAL}


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
                accessor="post.title",
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


# --- 词库导入 (lexicon import) ---------------------------------------------------------------------

LEXICON_IMPORT_PERMISSIONS = ("editorial.add_lexiconentry", "editorial.change_lexiconentry")
IMPORT_SESSION_KEY = "editorial_lexicon_import"
# The preview lists this many problems; a file with more is better fixed and re-uploaded anyway.
PREVIEW_ERROR_LIMIT = 500


def can_import_lexicon(user) -> bool:
    """Importing adds entries and changes existing ones, so it needs both permissions."""
    return user.has_perms(LEXICON_IMPORT_PERMISSIONS)


def lexicon_index_url() -> str:
    return reverse("wagtailsnippets_editorial_lexiconentry:list")


class LexiconImportMixin:
    def dispatch(self, request, *args, **kwargs):
        if not can_import_lexicon(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [
            *WagtailAdminTemplateMixin.breadcrumbs_items,
            {"url": lexicon_index_url(), "label": _("内容检查词库")},
            {"url": "", "label": _("词库导入")},
        ]


class LexiconImportView(LexiconImportMixin, FormPageMixin, FormView):
    """Upload and parse; show what the import would do and every bad line before anything is written."""

    form_class = LexiconUploadForm
    template_name = "editorial/admin/lexicon_import.html"
    page_title = gettext_lazy("词库导入")
    header_icon = "upload"
    submit_button_label = gettext_lazy("上传并预览")

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        entries, errors = parse_lexicon_file(filename=upload.name, data=upload.read())
        context = self.get_context_data(form=form, errors=errors[:PREVIEW_ERROR_LIMIT], error_count=len(errors))
        if not entries:
            form.add_error("file", _("文件中没有可导入的词条"))
            return self.form_invalid(form, context=context)
        new, changed, unchanged = services.lexicon_changes(entries)
        token = uuid.uuid4().hex
        self.request.session[IMPORT_SESSION_KEY] = {
            "token": token,
            "filename": upload.name,
            "entries": [[e.term, e.category, e.severity, e.suggestion] for e in entries],
            "skipped": len(errors),
        }
        context.update(
            filename=upload.name,
            token=token,
            counts={"created": len(new), "updated": len(changed), "unchanged": unchanged},
            confirm_url=reverse("editorial_lexicon_import:confirm"),
        )
        return TemplateResponse(self.request, "editorial/admin/lexicon_import_preview.html", context)

    def form_invalid(self, form, context=None):
        messages.validation_error(self.request, _("提交的内容有误，请检查后重试。"), form)
        return self.render_to_response(context or self.get_context_data(form=form))


class LexiconImportConfirmView(LexiconImportMixin, View):
    """Write the previewed file (kept in the session, so what is written is what was shown)."""

    http_method_names = ["post"]

    def post(self, request):
        pending = request.session.get(IMPORT_SESSION_KEY)
        if not pending or pending["token"] != request.POST.get("token"):
            messages.error(request, _("导入预览已失效，请重新上传文件。"))
            return redirect("editorial_lexicon_import:index")
        entries = [engine.LexiconEntry(*row) for row in pending["entries"]]
        try:
            counts = services.lexicon_import(
                actor=request.user, entries=entries, filename=pending["filename"], skipped=pending["skipped"]
            )
        except ServiceError as error:
            messages.error(request, error.message)
            return redirect("editorial_lexicon_import:index")
        del request.session[IMPORT_SESSION_KEY]
        messages.success(
            request,
            _("词库导入完成：新增 %(created)s 条，更新 %(updated)s 条，无变化 %(unchanged)s 条，跳过 %(skipped)s 行")
            % counts,
        )
        return redirect(lexicon_index_url())


class LexiconImportViewSet(ViewSet):
    name = "editorial_lexicon_import"
    url_prefix = "editorial/lexicon-import"

    def get_urlpatterns(self):
        return [
            path("", LexiconImportView.as_view(), name="index"),
            path("confirm/", LexiconImportConfirmView.as_view(), name="confirm"),
        ]


def lexicon_submenu(item: MenuItem) -> SubmenuMenuItem:
    """The lexicon menu item as a submenu offering the listing and the import."""
    return SubmenuMenuItem(
        item.label,
        Menu(
            items=[
                MenuItem(_("词条"), item.url, name="lexicon-entries", icon_name=item.icon_name, order=1),
                MenuItem(
                    _("词库导入"),
                    reverse("editorial_lexicon_import:index"),
                    name="lexicon-import",
                    icon_name="upload",
                    order=2,
                ),
            ]
        ),
        name=item.name,
        icon_name=item.icon_name,
        order=item.order,
    )


# --- 联动专题 (campaigns) ---------------------------------------------------------------------------

CAMPAIGN_ROLES = {Role.EDITOR, Role.AGENCY_ADMIN, Role.SIGNER}
PLATFORM_LABELS = {"weibo": gettext_lazy("微博"), "wechat": gettext_lazy("微信")}


def campaign_agencies(user):
    """Agencies the caller may open a campaign for (the API's rule: editor, agency admin or signer there)."""
    return AgencyPage.objects.filter(path_q(scope_paths(user, CAMPAIGN_ROLES))).order_by("path")


def campaigns_breadcrumbs(*items) -> list[dict]:
    return [
        *WagtailAdminTemplateMixin.breadcrumbs_items,
        {"url": reverse("editorial_campaigns:index"), "label": _("联动专题")},
        *items,
    ]


class CampaignIndexView(BaseListingView):
    page_title = gettext_lazy("联动专题")
    header_icon = "link"
    paginate_by = 50
    index_url_name = "editorial_campaigns:index"
    index_results_url_name = "editorial_campaigns:index_results"
    is_searchable = True
    search_fields = ["name", "agency__title"]
    default_ordering = ("-created_at", "-id")
    verbose_name_plural = gettext_lazy("联动专题")

    def get_base_queryset(self):
        return selectors.campaigns_visible_to(self.request.user).select_related("created_by")

    @cached_property
    def header_buttons(self):
        if not campaign_agencies(self.request.user).exists():
            return []
        return [HeaderButton(_("新建专题"), url=reverse("editorial_campaigns:add"), icon_name="plus")]

    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "name",
                label=_("名称"),
                get_url=lambda c: reverse("editorial_campaigns:detail", args=[c.pk]),
                sort_key="name",
            ),
            Column("agency", label=_("机构"), accessor="agency.title"),
            StatusTagColumn(
                "crisis",
                label=_("类型"),
                accessor=lambda c: _("突发舆情") if c.crisis else _("常规"),
                primary=lambda c: c.crisis,
            ),
            Column("created_by", label=_("创建人"), accessor=lambda c: display_name(c.created_by)),
            Column(
                "created_at",
                label=_("创建时间（北京时间）"),
                accessor=lambda c: beijing_time(c.created_at),
                sort_key="created_at",
            ),
        ]


class CampaignCreateView(FormPageMixin, FormView):
    form_class = CampaignCreateForm
    page_title = gettext_lazy("新建联动专题")
    header_icon = "link"
    submit_button_label = gettext_lazy("创建")

    def dispatch(self, request, *args, **kwargs):
        if not campaign_agencies(request.user).exists():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return campaigns_breadcrumbs({"url": "", "label": self.page_title})

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "agencies": campaign_agencies(self.request.user)}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            campaign = services.campaign_create(
                actor=self.request.user,
                agency=data["agency"],
                name=data["name"],
                crisis=data["crisis"],
                description=data["description"],
            )
        except ServiceError as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        messages.success(self.request, _("已创建联动专题“%(name)s”") % {"name": campaign.name})
        return redirect("editorial_campaigns:detail", campaign.pk)


class LinkColumn(Column):
    """The post's public page, for released posts (a draft's URL would only answer 404)."""

    cell_template_name = "editorial/admin/link_cell.html"

    def get_value(self, instance):
        released = instance["status"] not in (PostStatus.DRAFT, PostStatus.IN_REVIEW, PostStatus.REJECTED)
        return instance["url"] if released else ""


def timeline_table(rows: list[dict]) -> Table:
    return Table(
        [
            Column("kind", label=_("平台"), accessor=lambda r: PLATFORM_LABELS.get(r["kind"], r["kind"])),
            Column("account", label=_("账号"), accessor=lambda r: r["account_name"] or ""),
            TitleColumn(
                "title",
                label=_("标题"),
                accessor=lambda r: r["title"],
                get_url=lambda r: reverse("wagtailadmin_pages:edit", args=[r["post_id"]]),
            ),
            Column("status", label=_("状态"), accessor=lambda r: PostStatus(r["status"]).label),
            Column("at", label=_("时间（北京时间）"), accessor=lambda r: beijing_time(r["at"])),
            LinkColumn("url", label=_("链接")),
        ],
        rows,
    )


class CampaignDetailView(WagtailAdminTemplateMixin, TemplateView):
    """A campaign and its timeline across platforms and accounts."""

    template_name = "editorial/admin/campaign_detail.html"
    header_icon = "link"
    page_title = gettext_lazy("联动专题")

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.campaign = access_object(
            selectors.campaigns_visible_to(request.user).select_related("created_by"), kwargs["pk"]
        )

    def get_page_subtitle(self):
        return self.campaign.name

    def get_breadcrumbs_items(self):
        return campaigns_breadcrumbs({"url": "", "label": self.campaign.name})

    def get_context_data(self, **kwargs):
        table = timeline_table(selectors.campaign_timeline(self.campaign))
        return super().get_context_data(
            campaign=self.campaign,
            created_at=beijing_time(self.campaign.created_at),
            table=table,
            media=table.media,
            **kwargs,
        )


class CampaignsMenuItem(MenuItem):
    def is_shown(self, request):
        return bool(scope_paths(request.user))


class CampaignViewSet(ViewSet):
    name = "editorial_campaigns"
    url_prefix = "editorial/campaigns"
    icon = "link"
    menu_label = gettext_lazy("联动专题")
    menu_name = "editorial_campaigns"
    menu_order = 95
    add_to_admin_menu = True
    menu_item_class = CampaignsMenuItem

    def get_urlpatterns(self):
        return [
            path("", CampaignIndexView.as_view(), name="index"),
            path("results/", CampaignIndexView.as_view(results_only=True), name="index_results"),
            path("add/", CampaignCreateView.as_view(), name="add"),
            path("<int:pk>/", CampaignDetailView.as_view(), name="detail"),
        ]


# --- a post's history (履历) -------------------------------------------------------------------------

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


def editorial_admin_viewsets() -> list[ViewSet]:
    return [ReviewViewSet(), LexiconImportViewSet(), CampaignViewSet(), PostAdminViewSet(), PostReadViewSet()]
