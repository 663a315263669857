"""用户 (/admin/users/): Wagtail's user screens, scoped and written through the services.

System admins and agency admins create logins (`services.user_create`, recorded in the ledger)
and deactivate or reactivate them (`services.user_set_active`); an agency admin sees only the
people working inside their jurisdiction (`selectors.users_visible_to`) and manages only those.
A new login belongs to no jurisdiction until it holds a role, so creating one leads straight to
assigning its first role. Nobody deletes a login here: its records must keep naming it.
"""

import logging
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.urls import reverse
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.users.views import users as wagtail_users

from .. import policy, selectors, services
from ..capabilities import is_everywhere
from .base import add_service_error

logger = logging.getLogger(__name__)

# The user form's fields that only the services may write, and how: the rest are not offered.
CREATE_FIELDS = {"username", "first_name", "last_name", "email", "password1", "password2"}
EDIT_FIELDS = {"is_active"}


class UserAdminPermissionPolicy(ModelPermissionPolicy):
    """Who may use the user screens: the `user.create` capability (system and agency admins),
    over the people inside the actor's jurisdiction. Deleting is refused to everyone."""

    def user_has_permission(self, user, action):
        if action == "delete":
            return False
        return policy.may_create_user(user) is None

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def user_has_permission_for_instance(self, user, action, instance):
        if action == "delete":
            return False
        return (
            self.user_has_permission(user, action)
            and policy.may_manage_person(user, instance, capability="user.create") is None
        )

    def instances_user_has_permission_for(self, user, action):
        if action == "delete" or not self.user_has_permission(user, action):
            return self.model.objects.none()
        return selectors.users_visible_to(user)


def _keep_fields(form, names: set[str]) -> None:
    """Every other field of Wagtail's user form shown read-only (its templates name them): a
    disabled field keeps its initial value whatever is posted, and the services write the rest."""
    for name, field in form.fields.items():
        if name not in names:
            field.disabled, field.required = True, False


def _service_refused(view, form, error) -> None:
    """File a service's refusal on the form, and give Wagtail's `form_invalid` the banner it
    expects after a failed validation (without it, a refusal answered 500)."""
    if isinstance(error, services.ServiceError):
        add_service_error(form, error)
    else:
        form.add_error(None, error)
    view.produced_error_code = getattr(error, "code", None) or "validation_error"
    view.produced_error_message = getattr(error, "message", None) or view.get_error_message()


class ScopedUserIndexView(wagtail_users.IndexView):
    def get_base_queryset(self):
        users = super().get_base_queryset()
        if is_everywhere(self.request.user):
            return users
        return users.filter(pk__in=selectors.users_visible_to(self.request.user).values("pk"))


class ScopedUserCreateView(wagtail_users.CreateView):
    """A new login through `user_create`; then on to its first role assignment."""

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        _keep_fields(form, CREATE_FIELDS)
        return form

    def save_instance(self):
        data = self.form.cleaned_data
        display_name = f"{data.get('last_name', '')}{data.get('first_name', '')}".strip()
        return services.user_create(
            actor=self.request.user,
            username=data["username"],
            password=data.get("password1") or "",
            display_name=display_name,
            email=data.get("email", ""),
        )

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except (services.ServiceError, ValidationError) as error:
            _service_refused(self, form, error)
        return self.form_invalid(form)

    def get_success_url(self):
        return f"{reverse('govcms_assignments:add')}?{urlencode({'username': self.object.username})}"


class ScopedUserEditView(wagtail_users.EditView):
    """Deactivate or reactivate a login through `user_set_active` (the only change offered here;
    roles are assigned in 岗位分配, passwords changed by their owners or a system admin)."""

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        _keep_fields(form, EDIT_FIELDS)
        return form

    def save_instance(self):
        active = self.form.cleaned_data.get("is_active", self.object.is_active)
        target = type(self.object).objects.get(pk=self.object.pk)
        services.user_set_active(actor=self.request.user, user=target, active=active)
        return target

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except services.ServiceError as error:
            _service_refused(self, form, error)
        return self.form_invalid(form)


class ScopedUserViewSet(wagtail_users.UserViewSet):
    index_view_class = ScopedUserIndexView
    add_view_class = ScopedUserCreateView
    edit_view_class = ScopedUserEditView
    # The permission policy is registered for the user model (`govcms.users_app`).
