"""互动事项: the inbox listing (filters: status, account, agency, assignee, due; bulk assign), the
counts per status in the menu label, and one item's page (its text, the place where replies will
appear, its history, a button to its whole history 履历) with the assign / transfer / acknowledge / mark-complex forms.

Same shape as the other admin screens: items come from `inbox.selectors.items_visible_to` (an
item outside the caller's jurisdiction is 404), the forms are offered only when the policy allows
(auditors read), and each action calls one service, whose refusal is shown as a message.
"""

import logging

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View
from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.sidebar import LinkMenuItem
from wagtail.admin.ui.tables import Column, StatusTagColumn, Table, TitleColumn
from wagtail.admin.views.generic import BaseListingView, WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import HeaderButton

from govcms.admin.base import beijing_time, display_name
from govcms.admin.history import HistoryView
from govcms.models import AgencyPage
from govcms.selectors import access_object, accounts_visible_to, agencies_visible_to, scope_paths, users_visible_to
from govcms.services import ServiceError

from .. import policy
from ..deadlines import item_mark_complex
from ..models import InboxItem, ItemKind, ItemStatus, ModerationAction
from ..moderation import REASON_LIMIT, moderation_request
from ..moves import item_assign, item_transfer
from ..replies import conversation, reply_draft
from ..routing import transfer_targets
from ..selectors import items_visible_to, status_counts, status_now, with_status
from ..services import item_acknowledge
from ..timeline import item_history, item_timeline

logger = logging.getLogger(__name__)

STATUS_LABELS = dict(ItemStatus.choices)
MENU_STATUSES = ("open", "acknowledged", "overdue")


def inbox_breadcrumbs(*items) -> list[dict]:
    return [
        *WagtailAdminTemplateMixin.breadcrumbs_items,
        {"url": reverse("inbox_admin:items"), "label": _("互动事项")},
        *items,
    ]


def shown_status(item: InboxItem) -> str:
    """The status as the API shows it (overdue derived from the due time)."""
    return status_now(item)


# --- the listing -------------------------------------------------------------------------------


class ItemFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("状态"), choices=ItemStatus.choices, empty_label=gettext_lazy("全部"), method="by_status"
    )
    account = django_filters.ModelChoiceFilter(
        label=gettext_lazy("账号"), queryset=lambda request: accounts_visible_to(request.user)
    )
    agency = django_filters.ModelChoiceFilter(
        label=gettext_lazy("承办单位"),
        queryset=lambda request: agencies_visible_to(request.user),
        method="by_agency",
    )
    assignee = django_filters.ModelChoiceFilter(
        label=gettext_lazy("承办人"), queryset=lambda request: users_visible_to(request.user).order_by("username")
    )
    due_before = django_filters.DateFilter(
        label=gettext_lazy("答复期限早于"), field_name="due_at", lookup_expr="date__lt"
    )

    class Meta:
        model = InboxItem
        fields = ["status", "account", "agency", "assignee", "due_before"]

    def by_status(self, queryset, name, value):
        return with_status(queryset, value)

    def by_agency(self, queryset, name, value):
        return queryset.filter(agency__path__startswith=value.path) if value else queryset


class SelectColumn(Column):
    """A checkbox per row for the bulk assignment form wrapped around the table."""

    cell_template_name = "inbox/admin/select_cell.html"


class ItemIndexView(BaseListingView):
    page_title = gettext_lazy("互动事项")
    header_icon = "comment"
    paginate_by = 50
    index_url_name = "inbox_admin:items"
    index_results_url_name = "inbox_admin:items_results"
    results_template_name = "inbox/admin/items_results.html"
    filterset_class = ItemFilterSet
    is_searchable = True
    search_fields = ["text", "author"]
    default_ordering = ("-received_at", "-id")
    verbose_name_plural = gettext_lazy("互动事项")

    def get_base_queryset(self):
        return items_visible_to(self.request.user).select_related("account", "agency", "assignee")

    @cached_property
    def no_results_message(self):
        return _("没有符合条件的互动事项。")

    @cached_property
    def header_buttons(self):
        buttons = [HeaderButton(_("跨辖区转办"), url=reverse("inbox_admin:transfers"), icon_name="resubmit")]
        if scope_paths_with_manage(self.request.user):
            buttons += [
                HeaderButton(_("分办规则"), url=reverse("inbox_admin:rules"), icon_name="list-ul"),
                HeaderButton(_("办理时限"), url=reverse("inbox_admin:deadlines"), icon_name="time"),
            ]
        return buttons

    @cached_property
    def columns(self):
        return [
            SelectColumn("select", label=""),
            TitleColumn(
                "text",
                label=_("内容"),
                accessor=lambda i: i.text[:60],
                get_url=lambda i: reverse("inbox_admin:item", args=[i.pk]),
            ),
            Column("account", label=_("账号"), accessor="account.title"),
            Column("kind", label=_("类型"), accessor=lambda i: i.get_kind_display()),
            StatusTagColumn(
                "status",
                label=_("状态"),
                accessor=lambda i: STATUS_LABELS.get(shown_status(i), i.status),
                primary=lambda i: shown_status(i) == ItemStatus.OVERDUE,
            ),
            Column("agency", label=_("承办单位"), accessor=lambda i: i.agency.title if i.agency_id else ""),
            Column("assignee", label=_("承办人"), accessor=lambda i: display_name(i.assignee)),
            Column(
                "received_at",
                label=_("收到时间（北京时间）"),
                accessor=lambda i: beijing_time(i.received_at),
                sort_key="received_at",
            ),
            Column(
                "due_at",
                label=_("答复期限（北京时间）"),
                accessor=lambda i: beijing_time(i.due_at),
                sort_key="due_at",
            ),
        ]

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            bulk_assign_url=reverse("inbox_admin:bulk_assign"),
            next_url=self.request.get_full_path(),
            csrf_token=get_token(self.request),
            **kwargs,
        )


def scope_paths_with_manage(user) -> list[str]:
    from govcms import capabilities

    return capabilities.scope_paths(user, "inbox.manage")


def menu_label(label: str, counts: dict[str, int]) -> str:
    """ "互动事项（待处理 3 · 已受理 1 · 已逾期 2）": the unfinished statuses that have items."""
    parts = [f"{STATUS_LABELS[s]} {counts[s]}" for s in MENU_STATUSES if counts.get(s)]
    return f"{label}（{' · '.join(parts)}）" if parts else label


class InboxMenuItem(MenuItem):
    """Shown to whoever works in a jurisdiction; the label counts the unfinished items by status."""

    def is_shown(self, request):
        return bool(scope_paths(request.user))

    def render_component(self, request):
        label = menu_label(str(self.label), status_counts(items_visible_to(request.user)))
        return LinkMenuItem(
            self.name, label, self.url, icon_name=self.icon_name, classname=self.classname, attrs=self.attrs
        )


class BulkAssignView(View):
    """POST from the listing: assign the ticked items to one person. Each item goes through the
    assign service (items outside the jurisdiction are not found; refusals are counted and shown)."""

    http_method_names = ["post"]

    def post(self, request):
        back = request.POST.get("next") or reverse("inbox_admin:items")
        if not back.startswith("/"):
            back = reverse("inbox_admin:items")
        ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()]
        username = request.POST.get("username", "").strip()
        if not ids or not username:
            messages.error(request, _("请勾选事项并填写承办人用户名。"))
            return redirect(back)
        assignee = get_user_model().objects.filter(username=username).first()
        done, refused = 0, []
        for item in items_visible_to(request.user).filter(pk__in=ids).select_related("account", "agency"):
            try:
                item_assign(actor=request.user, item=item, assignee=assignee)
                done += 1
            except ServiceError as error:
                refused.append(f"#{item.pk} {error.message}")
        if done:
            messages.success(request, _("已分派 %(count)s 件事项给 %(user)s") % {"count": done, "user": username})
        for line in refused[:10]:
            messages.error(request, line)
        return redirect(back)


# --- one item ----------------------------------------------------------------------------------


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=None, label=gettext_lazy("承办人"))

    def __init__(self, *args, item: InboxItem, **kwargs):
        from editorial.services import users_with_role_at

        super().__init__(*args, **kwargs)
        path = item.agency.path if item.agency_id else item.account.path
        self.fields["assignee"].queryset = users_with_role_at(roles=policy.handler_roles(), path=path).order_by(
            "username"
        )
        self.fields["assignee"].label_from_instance = lambda u: f"{display_name(u)}（{u.username}）"


class TransferForm(forms.Form):
    """The agencies offered are `routing.transfer_targets` of the item (never the whole tree)."""

    agency = forms.ModelChoiceField(
        queryset=AgencyPage.objects.none(),
        label=gettext_lazy("转至单位"),
        help_text=gettext_lazy("本辖区内即时转办；转至其他辖区须由接收单位管理员接收"),
    )
    reason = forms.CharField(label=gettext_lazy("转办理由"), max_length=500)

    def __init__(self, *args, item, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = transfer_targets(item).exclude(pk=item.agency_id)


class ReplyForm(forms.Form):
    body = forms.CharField(label=gettext_lazy("答复内容"), widget=forms.Textarea(attrs={"rows": 4}))
    publish_as_qa = forms.BooleanField(label=gettext_lazy("公开为部门答疑"), required=False)
    author_consent = forms.BooleanField(label=gettext_lazy("提问人已同意公开"), required=False)


class ModerateForm(forms.Form):
    action = forms.ChoiceField(label=gettext_lazy("处置方式"), choices=ModerationAction.choices)
    reason = forms.CharField(label=gettext_lazy("处置理由"), max_length=REASON_LIMIT)


class ItemMixin:
    """The item from the caller's jurisdiction (404 outside it)."""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.item = access_object(
            items_visible_to(request.user).select_related("account", "agency", "assignee", "routing_rule"),
            kwargs["pk"],
        )

    def may_act(self) -> bool:
        return policy.may_move_item(self.request.user, self.item) is None


def actor_label(entry: dict) -> str:
    return _("系统") if entry["actor"] == "system" else (entry["actor"] or "")


class ItemDetailView(ItemMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "inbox/admin/item_detail.html"
    page_title = gettext_lazy("互动事项")
    header_icon = "comment"

    def get_page_subtitle(self):
        return f"#{self.item.pk}"

    def get_breadcrumbs_items(self):
        return inbox_breadcrumbs({"url": "", "label": f"#{self.item.pk}"})

    @cached_property
    def header_buttons(self):
        return [
            HeaderButton(_("履历"), url=reverse("inbox_admin:item_history", args=[self.item.pk]), icon_name="history")
        ]

    def get_context_data(self, **kwargs):
        item = self.item
        history = Table(
            [
                Column("at", label=_("时间（北京时间）"), accessor=lambda e: beijing_time(e["at"])),
                Column("actor", label=_("操作人"), accessor=actor_label),
                Column("summary", label=_("事件")),
            ],
            item_timeline(item),
        )
        pending = item.transfers.filter(status="pending").select_related("to_agency").first()
        acting = self.may_act()
        return super().get_context_data(
            item=item,
            status_label=STATUS_LABELS.get(shown_status(item), item.status),
            received_at=beijing_time(item.received_at),
            ack_due_at=beijing_time(item.ack_due_at),
            due_at=beijing_time(item.due_at),
            history=history,
            media=history.media,
            pending=pending,
            conversation=conversation(item),
            acting=acting,
            assign_form=AssignForm(item=item) if acting else None,
            transfer_form=TransferForm(item=item) if acting else None,
            reply_form=ReplyForm() if acting else None,
            moderate_form=ModerateForm() if acting and item.kind == ItemKind.COMMENT else None,
            urls={
                name: reverse(f"inbox_admin:{name}", args=[item.pk])
                for name in ("assign", "transfer", "acknowledge", "complex", "reply", "moderate")
            },
            **kwargs,
        )


class ItemHistoryView(ItemMixin, HistoryView):
    """The item's whole timeline (field-level changes and ledger events, `inbox.timeline.item_history`),
    for whoever sees the item (404 outside, as `GET /api/v1/history/inboxitem/{id}`)."""

    model = InboxItem

    def get_page_subtitle(self):
        return f"#{self.item.pk}"

    def get_breadcrumbs_items(self):
        return inbox_breadcrumbs(
            {"url": reverse("inbox_admin:item", args=[self.item.pk]), "label": f"#{self.item.pk}"},
            {"url": "", "label": self.page_title},
        )

    def get_entries(self):
        return item_history(self.item)


class ItemActionView(ItemMixin, View):
    """POST one action on the item, then back to its page; a refusal is shown as a message."""

    http_method_names = ["post"]

    def dispatch(self, request, *args, **kwargs):
        if not self.may_act():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, pk):
        try:
            message = self.act(request)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            if message:
                messages.success(request, message)
        return redirect("inbox_admin:item", self.item.pk)

    def act(self, request) -> str:
        raise NotImplementedError


class AssignView(ItemActionView):
    def act(self, request):
        form = AssignForm(request.POST, item=self.item)
        if not form.is_valid():
            raise ServiceError("invalid", _("请选择承办人"), status=422)
        item = item_assign(actor=request.user, item=self.item, assignee=form.cleaned_data["assignee"])
        return _("已分派给 %(user)s") % {"user": display_name(item.assignee)}


class TransferView(ItemActionView):
    def act(self, request):
        form = TransferForm(request.POST, item=self.item)
        if not form.is_valid():
            raise ServiceError("invalid", _("请选择转至单位并填写理由"), status=422)
        agency = form.cleaned_data["agency"]
        _item, transfer = item_transfer(
            actor=request.user, item=self.item, agency=agency, reason=form.cleaned_data["reason"]
        )
        if transfer is not None:
            return _("已申请转至 %(agency)s，待其管理员接收") % {"agency": agency.title}
        return _("已转至 %(agency)s") % {"agency": agency.title}


class ReplyView(ItemActionView):
    def act(self, request):
        form = ReplyForm(request.POST)
        if not form.is_valid():
            raise ServiceError("invalid", _("请填写答复内容"), status=422)
        reply_draft(actor=request.user, item=self.item, **form.cleaned_data)
        return _("答复已提交审核，审核通过后发送")


class ModerateView(ItemActionView):
    def act(self, request):
        form = ModerateForm(request.POST)
        if not form.is_valid():
            raise ServiceError("invalid", _("请选择处置方式并填写理由"), status=422)
        moderation_request(actor=request.user, item=self.item, **form.cleaned_data)
        return _("评论处置已提交审核，审核通过后执行")


class AcknowledgeView(ItemActionView):
    def act(self, request):
        item_acknowledge(actor=request.user, item=self.item)
        return _("已受理")


class ComplexView(ItemActionView):
    def act(self, request):
        item = item_mark_complex(actor=request.user, item=self.item, is_complex=not self.item.is_complex)
        due = {"due": beijing_time(item.due_at)}
        if item.is_complex:
            return _("已标记为复杂事项，答复期限改为 %(due)s") % due
        return _("已取消复杂事项，答复期限改为 %(due)s") % due
