"""Admin integration of supervision: the auditor workspace (监管工作台) and its dashboard panel
(views in oversight.admin)."""

from wagtail import hooks

from .admin.dashboard import dashboard_panels
from .admin.viewset import OversightAdminViewSet


@hooks.register("register_admin_viewset")
def register_oversight_admin_viewset():
    return OversightAdminViewSet()


@hooks.register("construct_homepage_panels")
def add_oversight_panel(request, panels):
    dashboard_panels(request, panels)
