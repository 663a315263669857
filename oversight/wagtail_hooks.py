"""Admin integration of supervision: the auditor workspace (监管工作台), its dashboard panel and
the export screen (导出) (views in oversight.admin)."""

import logging

from wagtail import hooks

from .admin.dashboard import dashboard_panels
from .admin.exports import ExportAdminViewSet
from .admin.viewset import OversightAdminViewSet

logger = logging.getLogger(__name__)


@hooks.register("register_admin_viewset")
def register_oversight_admin_viewset():
    return OversightAdminViewSet()


@hooks.register("register_admin_viewset")
def register_export_admin_viewset():
    return ExportAdminViewSet()


@hooks.register("construct_homepage_panels")
def add_oversight_panel(request, panels):
    dashboard_panels(request, panels)
