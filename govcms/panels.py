"""Editor panels of the organisation tree."""

import logging

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import Panel

logger = logging.getLogger(__name__)


class PageActionsPanel(Panel):
    """The page's own actions (履历, 状态变更, 凭据, 岗位分配 for an account) as buttons at the top
    of its editor, not only in the header's "…" menu: the buttons every `register_page_header_buttons`
    hook offers this user for this page, so the two places never disagree."""

    def __init__(self, **kwargs):
        kwargs.setdefault("heading", _("账号管理"))
        super().__init__(**kwargs)

    class BoundPanel(Panel.BoundPanel):
        template_name = "govcms/panels/page_actions.html"

        def is_shown(self):
            return bool(self.instance and self.instance.pk and self.buttons)

        @property
        def buttons(self) -> list:
            if not hasattr(self, "_buttons"):
                found = []
                for hook in hooks.get_hooks("register_page_header_buttons"):
                    found += hook(page=self.instance, user=self.request.user, view_name="edit", next_url=None) or []
                self._buttons = sorted(found, key=lambda button: button.priority)
            return self._buttons

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context["buttons"] = self.buttons
            return context
