"""An agency's history (履历), with the button that leads there from its page headers."""

import logging

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.widgets.button import Button

from .. import history, selectors
from ..models import AgencyPage
from .history import HistoryView

logger = logging.getLogger(__name__)


class AgencyHistoryView(HistoryView):
    """Page log (with revision ids) and ledger of an agency, for whoever can see it (404 outside,
    as for a missing agency: the same scoping as `GET /api/v1/history/agency/{id}`)."""

    model = AgencyPage

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.agency = selectors.access_object(selectors.agencies_visible_to(request.user), kwargs["agency_id"])

    def get_page_subtitle(self):
        return self.agency.title

    def get_breadcrumbs_items(self):
        return [
            *WagtailAdminTemplateMixin.breadcrumbs_items,
            {"url": reverse("wagtailadmin_explore", args=[self.agency.pk]), "label": self.agency.title},
            {"url": "", "label": self.page_title},
        ]

    def get_entries(self):
        return history.agency_history(self.agency)


def agency_header_buttons(*, page, user) -> list[Button]:
    """The history button on an AgencyPage's edit and explore headers, for whoever sees it."""
    specific_class = page.specific_class
    if specific_class is None or not issubclass(specific_class, AgencyPage):
        return []
    if not selectors.can_see_path(user, page.path):
        return []
    return [Button(_("履历"), url=reverse("govcms_agencies:history", args=[page.pk]), icon_name="history", priority=80)]


class AgencyAdminViewSet(ViewSet):
    name = "govcms_agencies"
    url_prefix = "govcms/agencies"

    def get_urlpatterns(self):
        return [path("<int:agency_id>/history/", AgencyHistoryView.as_view(), name="history")]
