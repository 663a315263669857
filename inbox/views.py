"""Public pages of the inbox: the agency's Q&A (部门答疑). Anyone may read them; they show only
what `inbox.qa` stored as published (personal data already removed)."""

import logging

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from govcms.models import AgencyPage

from . import qa

logger = logging.getLogger(__name__)

PAGE_SIZE = 20


def qa_page(request, agency_id: int):
    """`/qa/<agency_id>/`: the agency's published answers, newest first; `?q=` searches them,
    `?page=` pages. A missing or unpublished agency is 404."""
    agency = AgencyPage.objects.live().filter(pk=agency_id).first()
    if agency is None:
        raise Http404
    q = (request.GET.get("q") or "").strip()[: qa.SEARCH_MAX]
    answers = Paginator(qa.published_answers(agency, q=q), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"agency": agency, "answers": answers, "q": q, "title": qa.page_title(agency)}
    return render(request, "inbox/qa.html", context)
