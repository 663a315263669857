"""The auditor's dashboard panel (监管概况) on the admin home page: accounts by status, vetoed and
warned today, review backlog, overdue interactions, recent staff logins, and links to the
workspace's screens. Shown to whoever may read reports; a constant number of queries."""

import logging

from django.utils import timezone
from wagtail.admin.ui.components import Component

from govcms.admin.base import beijing_time

from .. import policy
from ..selectors import report_accounts
from ..workspace import dashboard
from .base import screens

logger = logging.getLogger(__name__)


class OversightPanel(Component):
    name = "oversight_dashboard"
    template_name = "oversight/admin/dashboard_panel.html"
    order = 80

    def __init__(self, user):
        self.user = user

    def get_context_data(self, parent_context=None):
        figures = dashboard(self.user, report_accounts(self.user), now=timezone.now())
        for login in figures["logins"]:
            login["at"] = beijing_time(login["at"])
        return {"figures": figures, "screens": screens()}


def dashboard_panels(request, panels) -> None:
    """Add the panel for a user who may read reports (auditors, agency admins)."""
    if policy.may_read_reports(request.user) is None:
        panels.append(OversightPanel(request.user))
