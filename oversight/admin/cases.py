"""An accountability case's history (履历): its every step (field-level diffs) and its ledger
events, for whoever may read the case — the same gate as `GET /api/v1/cases/{id}` and
`GET /api/v1/history/case/{id}`."""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404

from govcms import history
from govcms.admin.history import HistoryView
from govcms.selectors import access_object

from .. import policy
from ..cases import cases_visible_to
from ..models import Case

logger = logging.getLogger(__name__)


class CaseHistoryView(HistoryView):
    """A case outside the caller's jurisdiction is 404, as a missing one; inside it, only its
    parties (who may open or answer it, `policy.may_read_case`) read it, others are refused."""

    model = Case

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.case = access_object(cases_visible_to(request.user), kwargs["pk"])

    def dispatch(self, request, *args, **kwargs):
        refusal = policy.may_read_case(request.user, self.case)
        if refusal is not None:
            raise Http404 if refusal.outside else PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return f"#{self.case.pk} {self.case.account.title}"

    def get_entries(self):
        return history.model_history(self.case)
