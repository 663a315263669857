"""Role assignments (岗位分配): list, grant, change the validity window, revoke, and each one's history.

Views stay as thin as the API endpoints in `api/org.py`: fetch through a scoped selector (anything
outside the caller's jurisdiction is 404), check the role, call one service. A write the service
refuses (ServiceError) comes back as a form error.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView
from wagtail.admin import messages
from wagtail.admin.ui.tables import ButtonsColumnMixin, Column, StatusTagColumn, TitleColumn
from wagtail.admin.views.generic import BaseListingView, WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.widgets.button import Button, ButtonWithDropdown, HeaderButton

from .. import history, policy, selectors, services
from ..models import AccountPage, AgencyPage, Role, RoleAssignment
from .base import (
    AssignmentsMenuItem,
    BeijingDateTimeField,
    FormPageMixin,
    PolicyGateMixin,
    add_service_error,
    administers_anything,
    beijing_time,
)
from .history import HistoryView


def _window_fields(*, from_required: bool) -> tuple[BeijingDateTimeField, BeijingDateTimeField]:
    valid_from = BeijingDateTimeField(
        label=_("生效时间"),
        required=from_required,
        help_text=_("北京时间") if from_required else _("北京时间；留空表示立即生效"),
    )
    valid_to = BeijingDateTimeField(label=_("失效时间"), required=False, help_text=_("北京时间；留空表示长期有效"))
    return valid_from, valid_to


class RoleAssignmentCreateForm(forms.Form):
    """Grant a role: an existing active user, a role and a scope the caller administers."""

    username = forms.CharField(label=_("用户名"), max_length=150)
    role = forms.ChoiceField(label=_("岗位"))
    scope = forms.ChoiceField(
        label=_("范围"), required=False, help_text=_("机构（含下级机构和账号）或单个账号；系统管理员岗位不选")
    )
    valid_from, valid_to = _window_fields(from_required=False)

    def __init__(self, *args, agencies, accounts, roles: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(value, label) for value, label in Role.choices if value in roles]
        agencies, accounts = list(agencies), list(accounts)
        self._scopes = {f"agency:{a.pk}": a for a in agencies} | {f"account:{a.pk}": a for a in accounts}
        top = min((a.depth for a in agencies), default=0)
        self.fields["scope"].choices = [
            ("", "---------"),
            (_("机构"), [(f"agency:{a.pk}", f"{'　' * (a.depth - top)}{a.title}") for a in agencies]),
            (_("账号"), [(f"account:{a.pk}", f"{a.title}（{a.get_platform_display()}）") for a in accounts]),
        ]

    def clean_username(self):
        username = self.cleaned_data["username"]
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("没有名为“%(username)s”的在用账户"), params={"username": username})
        return user

    def clean_scope(self):
        return self._scopes.get(self.cleaned_data["scope"])

    def clean(self):
        cleaned = super().clean()
        role, scope = cleaned.get("role"), cleaned.get("scope")
        if role and policy.is_global_role(role) and scope is not None:
            self.add_error("scope", _("系统管理员岗位不限定机构或账号"))
        elif role and not policy.is_global_role(role) and scope is None and "scope" not in self.errors:
            self.add_error("scope", _("请选择机构或账号"))
        return cleaned


class RoleAssignmentChangeForm(forms.Form):
    """Move the validity window of an assignment (e.g. end it early at a rotation, 轮岗)."""

    valid_from, valid_to = _window_fields(from_required=True)


def can_manage_assignment(user, assignment: RoleAssignment) -> bool:
    """Whether to offer the assignment's buttons and screens (`policy.may_administer_membership`;
    the services decide the rest, e.g. one's own assignment)."""
    return policy.may_administer_membership(user, assignment) is None


def assignment_status(assignment: RoleAssignment, now) -> tuple[str, bool]:
    """(label, in force) of an assignment at `now`."""
    if assignment.revoked_at:
        return str(_("已撤销")), False
    if assignment.valid_from > now:
        return str(_("未生效")), False
    if assignment.valid_to is not None and assignment.valid_to <= now:
        return str(_("已结束")), False
    return str(_("生效中")), True


def assignments_breadcrumbs(*items) -> list[dict]:
    return [
        *WagtailAdminTemplateMixin.breadcrumbs_items,
        {"url": reverse("govcms_assignments:index"), "label": _("岗位分配")},
        *items,
    ]


class AssignmentIndexView(PolicyGateMixin, BaseListingView):
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


class AssignmentCreateView(PolicyGateMixin, FormPageMixin, FormView):
    form_class = RoleAssignmentCreateForm
    page_title = _("新增岗位分配")
    header_icon = "group"
    submit_button_label = _("分配")

    def get_breadcrumbs_items(self):
        return assignments_breadcrumbs({"url": "", "label": self.page_title})

    def get_initial(self):
        """`?username=` names the person (the user screens send a new login's creator here)."""
        return {**super().get_initial(), "username": self.request.GET.get("username", "")[:150]}

    def get_form_kwargs(self):
        user = self.request.user
        return {
            **super().get_form_kwargs(),
            "agencies": selectors.agencies_administrable_by(user),
            "accounts": selectors.accounts_administrable_by(user),
            "roles": policy.grantable_roles(user),
        }

    def form_valid(self, form):
        actor, data = self.request.user, form.cleaned_data
        scope = data["scope"]
        # The form only offers what the caller administers; the service decides
        # (`policy.may_grant_membership`) and its refusal comes back as a form error.
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


class AssignmentHistoryView(HistoryView):
    model = RoleAssignment

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
