"""分办规则 and 办理时限: the routing rules of the accounts and the inbox deadlines of the agencies
where the caller holds `inbox.manage` (agency admins; system admins everywhere). Rules and
deadline rows outside that reach answer 404; every write goes through `inbox.routing` /
`inbox.deadlines`, whose refusals are shown on the form."""

import logging

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, View
from wagtail.admin import messages
from wagtail.admin.ui.tables import Column, Table, TitleColumn
from wagtail.admin.views.generic import BaseListingView
from wagtail.admin.widgets.button import HeaderButton
from wagtail.models import Page

from editorial.models import Campaign
from govcms import capabilities
from govcms.admin.base import FormPageMixin
from govcms.models import AccountPage, AgencyPage
from govcms.selectors import access_object, path_q, scope_paths
from govcms.services import ServiceError

from .. import policy
from ..deadlines import days_at, deadlines_set
from ..models import DeadlinePolicy, RoutingRule
from ..routing import rule_delete, rule_save
from .items import inbox_breadcrumbs

logger = logging.getLogger(__name__)


def manage_q(user, field: str):
    return path_q(capabilities.scope_paths(user, "inbox.manage"), field)


def rules_managed_by(user):
    return RoutingRule.objects.filter(manage_q(user, "account__path")).select_related("account", "agency", "assignee")


def rule_in_jurisdiction(user, pk) -> RoutingRule:
    """A rule of an account in `user`'s jurisdiction (404 outside); 403 unless they may edit it."""
    rule = access_object(
        RoutingRule.objects.filter(path_q(scope_paths(user), "account__path")).select_related("account"), pk
    )
    if policy.may_configure(user, rule.account) is not None:
        raise PermissionDenied
    return rule


class ManageGateMixin:
    """Open only for callers holding `inbox.manage` somewhere (403 otherwise)."""

    def dispatch(self, request, *args, **kwargs):
        if not capabilities.scope_paths(request.user, "inbox.manage"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


# --- routing rules -------------------------------------------------------------------------------


class DeleteColumn(Column):
    cell_template_name = "inbox/admin/delete_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        # Cells render outside the request context, so the token is handed over explicitly.
        context.update(
            delete_url=reverse("inbox_admin:rule_delete", args=[instance.pk]),
            csrf_token=get_token(parent_context["request"]),
        )
        return context


class RuleIndexView(ManageGateMixin, BaseListingView):
    page_title = gettext_lazy("分办规则")
    header_icon = "list-ul"
    paginate_by = 100
    index_url_name = "inbox_admin:rules"
    default_ordering = ("account__path", "priority", "id")
    verbose_name_plural = gettext_lazy("分办规则")

    def get_base_queryset(self):
        return rules_managed_by(self.request.user)

    def get_breadcrumbs_items(self):
        return inbox_breadcrumbs({"url": "", "label": self.page_title})

    @cached_property
    def header_buttons(self):
        return [HeaderButton(_("新建规则"), url=reverse("inbox_admin:rule_add"), icon_name="plus")]

    @cached_property
    def no_results_message(self):
        return _("还没有分办规则：新事项都由账号所属单位办理。")

    @cached_property
    def columns(self):
        return [
            TitleColumn("name", label=_("规则名称"), get_url=lambda r: reverse("inbox_admin:rule_edit", args=[r.pk])),
            Column("account", label=_("账号"), accessor="account.title"),
            Column("priority", label=_("优先级")),
            Column("keywords", label=_("关键词"), accessor=lambda r: "、".join(r.keyword_list())),
            Column("agency", label=_("承办单位"), accessor="agency.title"),
            Column("assignee", label=_("承办人"), accessor=lambda r: r.assignee.username if r.assignee_id else ""),
            Column("active", label=_("启用"), accessor=lambda r: _("是") if r.active else _("否")),
            DeleteColumn("remove", label="", accessor=lambda r: ""),
        ]


class RuleForm(forms.Form):
    account = forms.ModelChoiceField(queryset=None, label=gettext_lazy("账号"))
    name = forms.CharField(label=gettext_lazy("规则名称"), max_length=100)
    priority = forms.IntegerField(label=gettext_lazy("优先级"), min_value=0, max_value=100000, initial=100)
    keywords = forms.CharField(
        label=gettext_lazy("关键词"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("每行一个或用逗号分隔；内容包含任一关键词即匹配"),
    )
    post_id = forms.IntegerField(label=gettext_lazy("来源内容 ID"), required=False, min_value=1)
    campaign = forms.ModelChoiceField(queryset=None, label=gettext_lazy("联动专题"), required=False)
    agency = forms.ModelChoiceField(queryset=None, label=gettext_lazy("承办单位"))
    assignee = forms.CharField(label=gettext_lazy("承办人用户名"), required=False, max_length=150)
    active = forms.BooleanField(label=gettext_lazy("启用"), required=False, initial=True)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = AccountPage.objects.filter(manage_q(user, "path")).order_by("path")
        self.fields["agency"].queryset = AgencyPage.objects.filter(manage_q(user, "path")).order_by("path")
        self.fields["campaign"].queryset = Campaign.objects.filter(manage_q(user, "agency__path"))

    def service_fields(self) -> dict:
        data = self.cleaned_data
        account = data["account"]
        post = None
        if data.get("post_id"):
            post = Page.objects.filter(pk=data["post_id"], path__startswith=account.path).first()
            if post is None:
                raise ServiceError("post_outside", _("来源内容必须是该账号的内容"), status=422)
        assignee = None
        if data.get("assignee"):
            assignee = get_user_model().objects.filter(username=data["assignee"]).first()
            if assignee is None:
                raise ServiceError("unknown_user", _("用户不存在或不能办理该单位的互动事项"), status=422)
        return {
            "name": data["name"],
            "priority": data["priority"],
            "keywords": data["keywords"],
            "post": post,
            "campaign": data.get("campaign"),
            "agency": data["agency"],
            "assignee": assignee,
            "active": data["active"],
        }


class RuleFormView(ManageGateMixin, FormPageMixin, FormView):
    form_class = RuleForm
    header_icon = "list-ul"
    rule = None

    def get_page_title(self):
        return _("修改分办规则") if self.rule else _("新建分办规则")

    def get_breadcrumbs_items(self):
        return inbox_breadcrumbs(
            {"url": reverse("inbox_admin:rules"), "label": _("分办规则")}, {"url": "", "label": self.get_page_title()}
        )

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "user": self.request.user}
        if self.rule is not None:
            r = self.rule
            kwargs["initial"] = {
                "account": r.account,
                "name": r.name,
                "priority": r.priority,
                "keywords": r.keywords,
                "post_id": r.post_id,
                "campaign": r.campaign,
                "agency": r.agency,
                "assignee": r.assignee.username if r.assignee_id else "",
                "active": r.active,
            }
        return kwargs

    def form_valid(self, form):
        try:
            rule_save(
                actor=self.request.user,
                account=form.cleaned_data["account"],
                rule=self.rule,
                **form.service_fields(),
            )
        except ServiceError as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        messages.success(self.request, _("已保存分办规则“%(name)s”") % {"name": form.cleaned_data["name"]})
        return redirect("inbox_admin:rules")


class RuleEditView(RuleFormView):
    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.rule = rule_in_jurisdiction(request.user, kwargs["pk"])


class RuleDeleteView(ManageGateMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        rule = rule_in_jurisdiction(request.user, pk)
        try:
            rule_delete(actor=request.user, rule=rule)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("已删除分办规则“%(name)s”") % {"name": rule.name})
        return redirect("inbox_admin:rules")


# --- deadlines -------------------------------------------------------------------------------------


class DeadlineForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=None, label=gettext_lazy("适用机构"))
    ack_days = forms.IntegerField(label=gettext_lazy("受理时限（工作日）"), min_value=1, max_value=60, initial=1)
    answer_days = forms.IntegerField(label=gettext_lazy("答复时限（工作日）"), min_value=1, max_value=60, initial=5)
    complex_days = forms.IntegerField(
        label=gettext_lazy("复杂事项答复时限（工作日）"), min_value=1, max_value=60, initial=15
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = AgencyPage.objects.filter(manage_q(user, "path")).order_by("path")


class DeadlineView(ManageGateMixin, FormPageMixin, FormView):
    """The deadlines in force per agency of the caller's reach, and a form to set one agency's."""

    form_class = DeadlineForm
    template_name = "inbox/admin/deadlines.html"
    page_title = gettext_lazy("互动事项办理时限")
    header_icon = "time"

    def get_breadcrumbs_items(self):
        return inbox_breadcrumbs({"url": "", "label": self.page_title})

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        rows = DeadlinePolicy.objects.filter(manage_q(self.request.user, "agency__path")).select_related("agency")
        table = Table(
            [
                Column("agency", label=_("适用机构"), accessor="agency.title"),
                Column("ack_days", label=_("受理时限（工作日）")),
                Column("answer_days", label=_("答复时限（工作日）")),
                Column("complex_days", label=_("复杂事项答复时限（工作日）")),
            ],
            rows.order_by("agency__path"),
        )
        defaults = days_at("")
        return super().get_context_data(table=table, defaults=defaults, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            deadlines_set(
                actor=self.request.user,
                agency=data["agency"],
                ack_days=data["ack_days"],
                answer_days=data["answer_days"],
                complex_days=data["complex_days"],
            )
        except ServiceError as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        messages.success(self.request, _("已保存 %(agency)s 的办理时限") % {"agency": data["agency"].title})
        return redirect("inbox_admin:deadlines")
