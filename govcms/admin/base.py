"""Pieces shared by the admin screens of every app: Beijing-time display, the Wagtail form page,
service errors shown as form errors, and who administers anything (the audience of 岗位分配 and
登录与令牌)."""

from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.widgets import AdminDateTimeInput

from .. import selectors, services
from ..models import Role

# Filings and assignment windows are legal records kept in Beijing time, whatever time zone an
# admin user has chosen in their Wagtail profile.
BEIJING = ZoneInfo("Asia/Shanghai")


class BeijingDateTimeField(forms.DateTimeField):
    """A date-time entered and shown in Beijing time; cleans to an aware datetime."""

    widget = AdminDateTimeInput

    def prepare_value(self, value):
        with timezone.override(BEIJING):
            return super().prepare_value(value)

    def to_python(self, value):
        with timezone.override(BEIJING):
            return super().to_python(value)


ADMIN_ROLES = {Role.AGENCY_ADMIN}

# Form fields that a ServiceError code is about; other codes are shown above the form.
SERVICE_ERROR_FIELDS = {"invalid_role": "role", "invalid_scope": "scope", "invalid_window": "valid_to"}


def administers_anything(user) -> bool:
    """Whether `user` is agency admin somewhere (or system admin): who may open 岗位分配."""
    return bool(selectors.scope_paths(user, ADMIN_ROLES))


def beijing_time(value) -> str:
    return timezone.localtime(value, BEIJING).strftime("%Y-%m-%d %H:%M:%S") if value else ""


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


def display_name(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


class AdminOnlyMixin:
    """Refuse (403, shown by Wagtail as a redirect with a message) callers who administer nothing."""

    def dispatch(self, request, *args, **kwargs):
        if not administers_anything(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class AssignmentsMenuItem(MenuItem):
    def is_shown(self, request):
        return administers_anything(request.user)
