"""Wagtail admin screens of the organisation core: role assignments (岗位分配), account lifecycle
(账号状态变更), credentials (凭据), object history (履历), API tokens and login lockouts (登录与令牌).

Views stay as thin as the API endpoints in `api/org.py`: fetch through a scoped selector (anything
outside the caller's jurisdiction is 404), check the role, call one service. A write the service
refuses (ServiceError) comes back as a form error.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView, View
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import ButtonsColumnMixin, Column, StatusTagColumn, Table, TitleColumn
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views.generic import BaseListingView, WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.widgets.button import Button, ButtonWithDropdown, HeaderButton

from . import history, selectors, services
from .admin_forms import (
    BEIJING,
    AccountTransitionForm,
    RoleAssignmentChangeForm,
    RoleAssignmentCreateForm,
    WechatCredentialForm,
    WeiboCredentialForm,
)
from .models import AccountCredential, AccountPage, AccountStatus, AgencyPage, Platform, Role, RoleAssignment

ADMIN_ROLES = {Role.AGENCY_ADMIN}

# Form fields that a ServiceError code is about; other codes are shown above the form.
SERVICE_ERROR_FIELDS = {"invalid_role": "role", "invalid_scope": "scope", "invalid_window": "valid_to"}


def administers_anything(user) -> bool:
    """Whether `user` is agency admin somewhere (or system admin): who may open 岗位分配."""
    return bool(selectors.scope_paths(user, ADMIN_ROLES))


def can_manage_assignment(user, assignment: RoleAssignment) -> bool:
    """Same rule as the API: global assignments are system admins' business, the rest the scope's admins'."""
    if assignment.role == Role.SYSTEM_ADMIN or assignment.scope_page is None:
        return selectors.is_system_admin(user)
    return selectors.has_role_at(user, ADMIN_ROLES, assignment.scope_page.path)


def beijing_time(value) -> str:
    return timezone.localtime(value, BEIJING).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def assignment_status(assignment: RoleAssignment, now) -> tuple[str, bool]:
    """(label, in force) of an assignment at `now`."""
    if assignment.revoked_at:
        return str(_("已撤销")), False
    if assignment.valid_from > now:
        return str(_("未生效")), False
    if assignment.valid_to is not None and assignment.valid_to <= now:
        return str(_("已结束")), False
    return str(_("生效中")), True


def add_service_error(form, error: services.ServiceError) -> None:
    field = SERVICE_ERROR_FIELDS.get(error.code)
    form.add_error(field if field in form.fields else None, error.message)


class FormPageMixin(WagtailAdminTemplateMixin):
    """A Django FormView rendered in the Wagtail admin's generic form layout."""

    template_name = "govcms/admin/form.html"
    submit_button_label = _("保存")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["action_url"] = self.request.get_full_path()
        context["submit_button_label"] = self.submit_button_label
        context["submit_button_active_label"] = _("正在保存…")
        context["media"] = context["form"].media
        return context

    def form_invalid(self, form):
        messages.validation_error(self.request, _("提交的内容有误，请检查后重试。"), form)
        return super().form_invalid(form)


# --- role assignments (岗位分配) ---------------------------------------------------------------


def assignments_breadcrumbs(*items) -> list[dict]:
    return [
        *WagtailAdminTemplateMixin.breadcrumbs_items,
        {"url": reverse("govcms_assignments:index"), "label": _("岗位分配")},
        *items,
    ]


class AdminOnlyMixin:
    """Refuse (403, shown by Wagtail as a redirect with a message) callers who administer nothing."""

    def dispatch(self, request, *args, **kwargs):
        if not administers_anything(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class AssignmentIndexView(AdminOnlyMixin, BaseListingView):
    page_title = _("岗位分配")
    header_icon = "group"
    paginate_by = 50
    index_url_name = "govcms_assignments:index"
    index_results_url_name = "govcms_assignments:index_results"
    is_searchable = True
    search_fields = ["user__username", "user__first_name", "agency__title", "account__title"]
    default_ordering = ("-valid_from", "-id")  # id breaks ties so pages are stable
    verbose_name_plural = _("岗位分配")

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.now = timezone.now()

    def get_base_queryset(self):
        return selectors.assignments_visible_to(self.request.user)

    @cached_property
    def header_buttons(self):
        return [HeaderButton(_("新增岗位分配"), url=reverse("govcms_assignments:add"), icon_name="plus")]

    @cached_property
    def columns(self):
        view = self

        class UserColumn(ButtonsColumnMixin, TitleColumn):
            def get_buttons(self, instance, parent_context):
                return view.get_row_buttons(instance)

        return [
            UserColumn(
                "user",
                label=_("用户"),
                accessor=lambda a: f"{a.user.get_full_name() or a.user.username}（{a.user.username}）",
                get_url=lambda a: reverse("govcms_assignments:history", args=[a.pk]),
                sort_key="user__username",
            ),
            Column("role", label=_("岗位"), accessor="get_role_display", sort_key="role"),
            Column("scope", label=_("范围"), accessor=lambda a: a.scope_page.title if a.scope_page else _("全局")),
            Column(
                "valid_from", label=_("生效时间"), accessor=lambda a: beijing_time(a.valid_from), sort_key="valid_from"
            ),
            Column("valid_to", label=_("失效时间"), accessor=lambda a: beijing_time(a.valid_to), sort_key="valid_to"),
            StatusTagColumn(
                "status",
                label=_("状态"),
                accessor=lambda a: assignment_status(a, self.now)[0],
                primary=lambda a: assignment_status(a, self.now)[1],
            ),
        ]

    def get_row_buttons(self, assignment: RoleAssignment) -> list:
        more = [
            Button(
                _("履历"),
                url=reverse("govcms_assignments:history", args=[assignment.pk]),
                icon_name="history",
                priority=30,
            )
        ]
        if assignment.revoked_at is None and can_manage_assignment(self.request.user, assignment):
            more += [
                Button(
                    _("修改有效期"),
                    url=reverse("govcms_assignments:edit", args=[assignment.pk]),
                    icon_name="edit",
                    priority=10,
                ),
                Button(
                    _("撤销"),
                    url=reverse("govcms_assignments:revoke", args=[assignment.pk]),
                    icon_name="bin",
                    priority=20,
                ),
            ]
        return [ButtonWithDropdown(buttons=more, icon_name="dots-horizontal", attrs={"aria-label": _("操作")})]


class AssignmentCreateView(AdminOnlyMixin, FormPageMixin, FormView):
    form_class = RoleAssignmentCreateForm
    page_title = _("新增岗位分配")
    header_icon = "group"
    submit_button_label = _("分配")

    def get_breadcrumbs_items(self):
        return assignments_breadcrumbs({"url": "", "label": self.page_title})

    def get_form_kwargs(self):
        user = self.request.user
        return {
            **super().get_form_kwargs(),
            "agencies": selectors.agencies_administrable_by(user),
            "accounts": selectors.accounts_administrable_by(user),
            "can_grant_system_admin": selectors.is_system_admin(user),
        }

    def form_valid(self, form):
        actor, data = self.request.user, form.cleaned_data
        scope = data["scope"]
        # The form only offers what the caller administers; check again as the API does.
        if data["role"] == Role.SYSTEM_ADMIN and not selectors.is_system_admin(actor):
            raise PermissionDenied
        if scope is not None and not selectors.has_role_at(actor, ADMIN_ROLES, scope.path):
            raise PermissionDenied
        try:
            assignment = services.role_assign(
                actor=actor,
                user=data["username"],
                role=data["role"],
                agency=scope if isinstance(scope, AgencyPage) else None,
                account=scope if isinstance(scope, AccountPage) else None,
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
            )
        except services.ServiceError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("已为 %(user)s 分配岗位：%(role)s")
            % {"user": assignment.user.username, "role": assignment.get_role_display()},
        )
        return redirect("govcms_assignments:index")


class AssignmentObjectMixin:
    """Fetch the assignment from the caller's jurisdiction (404 outside) and require the right to manage it."""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.assignment = selectors.access_object(selectors.assignments_visible_to(request.user), kwargs["pk"])

    def dispatch(self, request, *args, **kwargs):
        if not can_manage_assignment(request.user, self.assignment):
            raise PermissionDenied
        if self.assignment.revoked_at is not None:
            messages.error(request, _("该岗位分配已撤销，不能再修改。"))
            return redirect("govcms_assignments:index")
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return str(self.assignment)

    def get_context_data(self, **kwargs):
        return super().get_context_data(assignment=self.assignment, **kwargs)


class AssignmentEditView(AssignmentObjectMixin, FormPageMixin, FormView):
    form_class = RoleAssignmentChangeForm
    page_title = _("修改岗位有效期")
    header_icon = "group"

    def get_breadcrumbs_items(self):
        return assignments_breadcrumbs({"url": "", "label": self.page_title})

    def get_initial(self):
        return {"valid_from": self.assignment.valid_from, "valid_to": self.assignment.valid_to}

    def form_valid(self, form):
        try:
            services.role_change(
                actor=self.request.user,
                assignment=self.assignment,
                valid_from=form.cleaned_data["valid_from"],
                valid_to=form.cleaned_data["valid_to"],
            )
        except services.ServiceError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("已修改岗位有效期：%(assignment)s") % {"assignment": self.assignment})
        return redirect("govcms_assignments:index")


class AssignmentRevokeView(AssignmentObjectMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "govcms/admin/confirm_revoke.html"
    page_title = _("撤销岗位分配")
    header_icon = "group"

    def get_breadcrumbs_items(self):
        return assignments_breadcrumbs({"url": "", "label": self.page_title})

    def post(self, request, *args, **kwargs):
        try:
            services.role_revoke(actor=request.user, assignment=self.assignment)
        except services.ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("已撤销岗位分配：%(assignment)s") % {"assignment": self.assignment})
        return redirect("govcms_assignments:index")


# --- object history (履历) --------------------------------------------------------------------

ACTION_LABELS = {
    "role.granted": _("授予岗位"),
    "role.changed": _("修改有效期"),
    "role.revoked": _("撤销岗位"),
    "role.expired": _("岗位到期"),
    "account.created": _("开设账号"),
    "account.changed": _("修改账号"),
    "account.transition": _("状态变更"),
    "credential.changed": _("更新凭据"),
    "credential.created": _("创建凭据记录"),
    "wagtail.create": _("创建页面"),
    "wagtail.edit": _("保存草稿"),
    "wagtail.publish": _("发布"),
    "wagtail.unpublish": _("取消发布"),
    "created": _("创建"),
    "changed": _("修改"),
    "deleted": _("删除"),
}
SOURCE_LABELS = {
    "ledger": _("审计台账"),
    "history": _("变更记录"),
    "page_log": _("页面日志"),
    "filing": _("备案"),
}


def describe_changes(changes: dict) -> list[str]:
    """One line per changed field: `field: old → new` for diffs, `key: value` otherwise."""
    lines = []
    for key, value in (changes or {}).items():
        if isinstance(value, dict) and set(value) == {"old", "new"}:
            lines.append(f"{key}: {value['old']} → {value['new']}")
        else:
            lines.append(f"{key}: {value}")
    return lines


class ChangesColumn(Column):
    cell_template_name = "govcms/admin/changes_cell.html"


def history_table(entries: list[dict]) -> Table:
    return Table(
        [
            Column("at", label=_("时间（北京时间）"), accessor=lambda e: beijing_time(e["at"])),
            Column("actor", label=_("操作人"), accessor=lambda e: e["actor"] or _("系统")),
            Column("action", label=_("操作"), accessor=lambda e: ACTION_LABELS.get(e["action"], e["action"])),
            Column("source", label=_("来源"), accessor=lambda e: SOURCE_LABELS.get(e["source"], e["source"])),
            Column("summary", label=_("摘要")),
            ChangesColumn("changes", label=_("变更内容"), accessor=lambda e: describe_changes(e["changes"])),
        ],
        list(reversed(entries)),  # newest first
    )


class HistoryView(WagtailAdminTemplateMixin, TemplateView):
    """A read-only merged timeline (`govcms.history`) of one object the caller can see."""

    template_name = "govcms/admin/history.html"
    header_icon = "history"
    page_title = _("履历")

    def get_entries(self) -> list[dict]:
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        table = history_table(self.get_entries())
        return super().get_context_data(table=table, media=table.media, **kwargs)


class AssignmentHistoryView(HistoryView):
    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.assignment = selectors.access_object(selectors.assignments_visible_to(request.user), kwargs["pk"])

    def get_page_subtitle(self):
        return str(self.assignment)

    def get_breadcrumbs_items(self):
        if not administers_anything(self.request.user):
            return [*self.breadcrumbs_items, {"url": "", "label": self.get_header_title()}]
        return assignments_breadcrumbs({"url": "", "label": self.get_header_title()})

    def get_entries(self):
        return history.assignment_history(self.assignment)


# --- accounts: lifecycle, credentials, history -------------------------------------------------


class AccountObjectMixin:
    """Fetch the account from the caller's jurisdiction (404 outside); `admin_only` also requires
    the agency admin role on it (403)."""

    admin_only = True

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.account = selectors.access_object(selectors.accounts_visible_to(request.user), kwargs["account_id"])

    def dispatch(self, request, *args, **kwargs):
        if self.admin_only and not selectors.has_role_at(request.user, ADMIN_ROLES, self.account.path):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.account.title

    def get_breadcrumbs_items(self):
        return [
            *WagtailAdminTemplateMixin.breadcrumbs_items,
            {"url": reverse("wagtailadmin_explore", args=[self.account.pk]), "label": self.account.title},
            {"url": "", "label": self.page_title},
        ]

    def get_context_data(self, **kwargs):
        return super().get_context_data(account=self.account, **kwargs)


class AccountTransitionView(AccountObjectMixin, FormPageMixin, FormView):
    form_class = AccountTransitionForm
    template_name = "govcms/admin/account_transition.html"
    page_title = _("账号状态变更")
    header_icon = "resubmit"
    submit_button_label = _("提交备案")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "account": self.account}

    def get_context_data(self, **kwargs):
        transitions = self.account.transitions.select_related("approver").order_by("-at", "-id")
        return super().get_context_data(
            transitions=transitions,
            closed=self.account.status == AccountStatus.CLOSED,
            **kwargs,
        )

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            transition = services.account_transition(
                actor=self.request.user,
                account=self.account,
                to=data["to"],
                reason=data["reason"],
                filing_number=data["filing_number"],
            )
        except services.ServiceError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("“%(account)s”状态已变更为“%(status)s”，备案号 %(filing)s")
            % {
                "account": self.account.title,
                "status": transition.get_to_status_display(),
                "filing": transition.filing_number,
            },
        )
        return redirect(
            get_valid_next_url_from_request(self.request)
            or reverse("govcms_accounts:transition", args=[self.account.pk])
        )


class AccountCredentialView(AccountObjectMixin, FormPageMixin, FormView):
    template_name = "govcms/admin/account_credentials.html"
    page_title = _("账号凭据")
    header_icon = "key"

    def get_form_class(self):
        return WechatCredentialForm if self.account.platform == Platform.WECHAT else WeiboCredentialForm

    def get_context_data(self, **kwargs):
        credential = AccountCredential.objects.filter(account=self.account).select_related("updated_by").first()
        # Only whether each value is set is shown; the values themselves never leave the server.
        status = [
            (field.label, bool(credential and getattr(credential, name)))
            for name, field in self.get_form_class().base_fields.items()
            if name != "expires_at"
        ]
        return super().get_context_data(
            credential=credential,
            credential_status=status,
            token_expires_at=beijing_time(credential.token_expires_at) if credential else "",
            updated_at=beijing_time(credential.updated_at) if credential and credential.version else "",
            **kwargs,
        )

    def form_valid(self, form):
        try:
            credential = services.credential_set(actor=self.request.user, account=self.account, **form.service_kwargs())
        except services.ServiceError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("凭据已更新（版本 %(version)s）") % {"version": credential.version})
        return redirect("govcms_accounts:credentials", self.account.pk)


class AccountHistoryView(AccountObjectMixin, HistoryView):
    admin_only = False  # anyone who can see the account, auditors included

    def get_entries(self):
        return history.account_history(self.account)


def account_header_buttons(*, page, user, next_url=None) -> list[Button]:
    """Buttons on an AccountPage's edit and explore headers: history for whoever sees it,
    lifecycle and credentials for its agency admins."""
    specific_class = page.specific_class
    if specific_class is None or not issubclass(specific_class, AccountPage):
        return []
    buttons = []
    if selectors.can_see_path(user, page.path):
        buttons.append(
            Button(_("履历"), url=reverse("govcms_accounts:history", args=[page.pk]), icon_name="history", priority=80)
        )
    if selectors.has_role_at(user, ADMIN_ROLES, page.path):
        query = f"?{urlencode({'next': next_url})}" if next_url else ""
        buttons += [
            Button(
                _("状态变更"),
                url=reverse("govcms_accounts:transition", args=[page.pk]) + query,
                icon_name="resubmit",
                priority=81,
            ),
            Button(_("凭据"), url=reverse("govcms_accounts:credentials", args=[page.pk]), icon_name="key", priority=82),
        ]
    return buttons


# --- API tokens and login lockouts (登录与令牌) ----------------------------------------------------

LOCKOUT_KINDS = {"username": _("用户名"), "address": _("来源地址")}


class LoginsView(AdminOnlyMixin, WagtailAdminTemplateMixin, TemplateView):
    """Live API tokens of the users the caller administers (created, last used, expiry, source),
    each with a revoke button; for system admins also the lockouts in force, with unlock."""

    template_name = "govcms/admin/logins.html"
    page_title = _("登录与令牌")
    header_icon = "key"

    def get_context_data(self, **kwargs):
        user = self.request.user
        user_filter = self.request.GET.get("user", "").strip()
        tokens = selectors.tokens_visible_to(user)
        if user_filter:
            tokens = tokens.filter(user__username=user_filter)
        rows = [
            {
                "pk": t.pk,
                "user": t.user,
                "created": beijing_time(t.created_at),
                "last_used": beijing_time(t.last_used_at),
                "expires": beijing_time(t.expires_at),
                "source": " · ".join(filter(None, [t.created_ip, t.user_agent[:80]])),
            }
            for t in tokens[:500]
        ]
        show_lockouts = selectors.is_system_admin(user)
        lockouts = [
            {"kind": m.kind, "kind_label": LOCKOUT_KINDS[m.kind], "key": m.key, "until": beijing_time(m.until)}
            for m in (selectors.login_lockouts_in_force() if show_lockouts else [])
        ]
        return super().get_context_data(
            tokens=rows, user_filter=user_filter, show_lockouts=show_lockouts, lockouts=lockouts, **kwargs
        )


class TokenRevokeView(AdminOnlyMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        token = selectors.access_object(selectors.tokens_visible_to(request.user), pk)
        services.api_token_revoke(actor=request.user, token=token, reason="admin")
        messages.success(request, _("已吊销 %(user)s 的一个 API 令牌") % {"user": token.user.username})
        return redirect("govcms_logins:index")


class UnlockView(AdminOnlyMixin, View):
    """System admins end a lockout early (recorded as "auth.unlocked")."""

    http_method_names = ["post"]

    def post(self, request):
        if not selectors.is_system_admin(request.user):
            raise PermissionDenied
        kind, key = request.POST.get("kind", ""), request.POST.get("key", "")
        if kind in LOCKOUT_KINDS and services.login_unlock(actor=request.user, kind=kind, key=key):
            messages.success(request, _("已解锁：%(key)s") % {"key": key})
        else:
            messages.error(request, _("该用户名或地址当前未被锁定。"))
        return redirect("govcms_logins:index")


# --- registration ------------------------------------------------------------------------------


class AssignmentsMenuItem(MenuItem):
    def is_shown(self, request):
        return administers_anything(request.user)


class RoleAssignmentViewSet(ViewSet):
    name = "govcms_assignments"
    url_prefix = "govcms/assignments"
    icon = "group"
    menu_label = _("岗位分配")
    menu_name = "govcms_assignments"
    menu_order = 250
    add_to_admin_menu = True

    menu_item_class = AssignmentsMenuItem

    def get_urlpatterns(self):
        return [
            path("", AssignmentIndexView.as_view(), name="index"),
            path("results/", AssignmentIndexView.as_view(results_only=True), name="index_results"),
            path("add/", AssignmentCreateView.as_view(), name="add"),
            path("<int:pk>/edit/", AssignmentEditView.as_view(), name="edit"),
            path("<int:pk>/revoke/", AssignmentRevokeView.as_view(), name="revoke"),
            path("<int:pk>/history/", AssignmentHistoryView.as_view(), name="history"),
        ]


class AccountAdminViewSet(ViewSet):
    name = "govcms_accounts"
    url_prefix = "govcms/accounts"

    def get_urlpatterns(self):
        return [
            path("<int:account_id>/transition/", AccountTransitionView.as_view(), name="transition"),
            path("<int:account_id>/credentials/", AccountCredentialView.as_view(), name="credentials"),
            path("<int:account_id>/history/", AccountHistoryView.as_view(), name="history"),
        ]


class LoginsViewSet(ViewSet):
    name = "govcms_logins"
    url_prefix = "govcms/logins"
    icon = "key"
    menu_label = _("登录与令牌")
    menu_name = "govcms_logins"
    menu_order = 260
    add_to_admin_menu = True

    menu_item_class = AssignmentsMenuItem  # the same audience: whoever administers something

    def get_urlpatterns(self):
        return [
            path("", LoginsView.as_view(), name="index"),
            path("tokens/<int:pk>/revoke/", TokenRevokeView.as_view(), name="revoke_token"),
            path("unlock/", UnlockView.as_view(), name="unlock"),
        ]


def org_admin_viewsets() -> list[ViewSet]:
    return [RoleAssignmentViewSet(), AccountAdminViewSet(), LoginsViewSet()]
