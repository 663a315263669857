"""Public views of the editorial area."""

from django.http import Http404
from django.shortcuts import redirect
from wagtail.models import Page

from .models import POST_MODELS


def short_link(request, post_id: int):
    """`/p/<id>/` → the post's full text on the agency site.

    Weibo posts carry this short form: a page URL with Chinese slugs, percent-encoded, would eat
    most of the 140-character budget. Only live posts resolve; anything else is not found.
    """
    page = Page.objects.live().type(*POST_MODELS).filter(pk=post_id).first()
    url = page.get_url(request) if page is not None else None
    if url is None:  # absent, not live, or outside every site
        raise Http404
    return redirect(url)
