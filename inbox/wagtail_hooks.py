"""Admin integration of the interaction inbox: 互动事项 in the menu with its counts per status, and
its screens (views in inbox.admin)."""

from wagtail import hooks

from .admin.viewset import InboxAdminViewSet


@hooks.register("register_admin_viewset")
def register_inbox_admin_viewset():
    return InboxAdminViewSet()
