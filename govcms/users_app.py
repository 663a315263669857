"""The app config that installs our user screens in place of Wagtail's (apart from `apps.py`,
where a second AppConfig would stop Django choosing `GovcmsConfig` for "govcms" by default)."""

from wagtail.users.apps import WagtailUsersAppConfig


class ScopedUsersConfig(WagtailUsersAppConfig):
    """Wagtail's users app with the user screens of `govcms.admin.users`: scoped to the
    jurisdiction and written through the services. Installed in place of "wagtail.users"."""

    user_viewset = "govcms.admin.users.ScopedUserViewSet"

    def ready(self):
        """Wagtail registers the model-permission policy for users; ours replaces it, so every
        Wagtail screen asking who may add or change a user asks our policy."""
        super().ready()
        from django.contrib.auth import get_user_model
        from wagtail.permissions import register_permission_policy

        from .admin.users import UserAdminPermissionPolicy

        user_model = get_user_model()
        register_permission_policy(user_model, policy=UserAdminPermissionPolicy(user_model))
