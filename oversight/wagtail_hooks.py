"""Admin integration of the supervision app: the export screen (导出)."""

import logging

from wagtail import hooks

from .admin.exports import ExportAdminViewSet

logger = logging.getLogger(__name__)


@hooks.register("register_admin_viewset")
def register_export_admin_viewset():
    return ExportAdminViewSet()
