"""监管发现: the findings on the accounts the user's reports cover (newest first, filtered by
status), with confirm / dismiss on the open ones for whoever the policy lets decide them
(`oversight.services.finding_decide`), and links to the history (履历) of each case opened on a
finding that the user may read."""

import logging

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View
from wagtail.admin import messages

from govcms.admin.base import beijing_time
from govcms.selectors import access_object
from govcms.services import ServiceError

from .. import policy, services
from ..models import FindingStatus
from ..selectors import findings_visible_to
from .base import ReportScreen

logger = logging.getLogger(__name__)

LIST_LIMIT = 200


class DecisionForm(forms.Form):
    comment = forms.CharField(label=gettext_lazy("处理意见"), max_length=2000, required=False)


class FindingListView(ReportScreen, TemplateView):
    template_name = "oversight/admin/findings.html"
    page_title = gettext_lazy("监管发现")
    report = "findings"

    def get_context_data(self, **kwargs):
        user = self.request.user
        findings = findings_visible_to(user).filter(account__in=self.accounts)
        status = self.request.GET.get("status")
        if status in FindingStatus.values:
            findings = findings.filter(status=status)
        rows = [
            {
                "finding": f,
                "occurred_at": beijing_time(f.occurred_at),
                "created_at": beijing_time(f.created_at),
                "decidable": f.status == FindingStatus.OPEN and policy.may_decide_finding(user, f) is None,
                # The way to a case's history (履历): only the cases the user may read.
                "cases": [c for c in f.cases.all() if policy.may_read_case(user, c) is None],
            }
            for f in findings.prefetch_related("cases__account").order_by("-created_at", "-id")[:LIST_LIMIT]
        ]
        return super().get_context_data(
            rows=rows, statuses=FindingStatus.choices, status=status, decision_form=DecisionForm(), **kwargs
        )


class FindingDecideView(View):
    """POST confirm or dismiss of one open finding, with an optional comment."""

    http_method_names = ["post"]

    def post(self, request, pk, decision):
        if decision not in ("confirm", "dismiss"):
            raise Http404
        finding = access_object(findings_visible_to(request.user), pk)
        if policy.may_decide_finding(request.user, finding) is not None:
            raise PermissionDenied
        form = DecisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("处理意见过长"))
            return redirect("oversight_admin:findings")
        try:
            services.finding_decide(
                actor=request.user, finding=finding, confirm=decision == "confirm", comment=form.cleaned_data["comment"]
            )
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("已处理监管发现 #%(id)s") % {"id": finding.pk})
        return redirect("oversight_admin:findings")
