"""跨辖区转办: transfers of items to or from the caller's jurisdiction, and the receiving agency
admin's decision (接收 / 退回) on a pending one. The receiving side sees the item's text here
before the item is theirs; anyone else gets 404 for a transfer outside their jurisdiction."""

import logging

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View
from wagtail.admin import messages
from wagtail.admin.views.generic import WagtailAdminTemplateMixin

from govcms.admin.base import beijing_time
from govcms.selectors import access_object
from govcms.services import ServiceError

from .. import policy
from ..models import TransferStatus
from ..moves import transfer_accept, transfer_decline
from ..selectors import transfers_visible_to
from .items import inbox_breadcrumbs

logger = logging.getLogger(__name__)


class DecisionForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("意见（退回时必填）"), max_length=500, required=False)


def _transfers(user):
    return transfers_visible_to(user).select_related(
        "item", "item__account", "from_agency", "to_agency", "requested_by"
    )


class TransferListView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "inbox/admin/transfers.html"
    page_title = gettext_lazy("跨辖区转办")
    header_icon = "resubmit"

    def get_breadcrumbs_items(self):
        return inbox_breadcrumbs({"url": "", "label": self.page_title})

    def get_context_data(self, **kwargs):
        user = self.request.user
        rows = [
            {
                "transfer": t,
                "requested_at": beijing_time(t.requested_at),
                "decidable": t.status == TransferStatus.PENDING and policy.may_decide_transfer(user, t) is None,
            }
            for t in _transfers(user).order_by("-requested_at", "-id")[:200]
        ]
        return super().get_context_data(rows=rows, form=DecisionForm(), **kwargs)


class TransferDecideView(View):
    """POST accept or decline (with a note, required to decline) of one pending transfer."""

    http_method_names = ["post"]

    def post(self, request, pk, decision):
        if decision not in ("accept", "decline"):
            raise Http404
        transfer = access_object(_transfers(request.user), pk)
        if policy.may_decide_transfer(request.user, transfer) is not None:
            raise PermissionDenied
        note = request.POST.get("note", "")
        try:
            if decision == "accept":
                transfer_accept(actor=request.user, transfer=transfer, note=note)
                messages.success(request, _("已接收互动事项 #%(id)s") % {"id": transfer.item_id})
            else:
                transfer_decline(actor=request.user, transfer=transfer, reason=note)
                messages.success(request, _("已退回互动事项 #%(id)s 的转办") % {"id": transfer.item_id})
        except ServiceError as error:
            messages.error(request, error.message)
        return redirect("inbox_admin:transfers")
