"""Public views of the publishing area: the short link every Weibo share carries."""

import logging

from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from wagtail import hooks
from wagtail.models import Page

from editorial.models import POST_MODELS, WeiboPostPage

from .selectors import campaign_article_url

logger = logging.getLogger(__name__)


def post_short_link(request, post_id: int):
    """`/p/<id>/` on GOVCMS_SITE_URL: the full text of any live post, wherever it sits in the tree.

    Weibo posts carry this short form: a page URL with Chinese slugs, percent-encoded, would eat
    most of the 140-character budget; and it is the one address on the Weibo app's safe domain
    that every post has. A Weibo post of a campaign leads to the campaign's WeChat article once
    that is published (the status text itself never changes: it is what the approvers saw).

    A post inside a Wagtail Site is redirected to its page there. A post outside every Site —
    its agency was created at the top of the tree, beside the Site's root — is served here:
    a deployment publishes under one domain, the app's registered safe domain, so a Site per
    top-level agency (a hostname each) would put its links off that domain, and asking a person
    to re-root the Site each time an agency is created leaves the posts dead in the meantime.
    Only live posts resolve; anything else is not found.
    """
    page = Page.objects.live().type(*POST_MODELS).filter(pk=post_id).first()
    if page is None:
        raise Http404
    page = page.specific
    if isinstance(page, WeiboPostPage):
        article_url = campaign_article_url(post=page)
        if article_url:
            return redirect(article_url)
    url = page.get_url(request)
    if url is not None:
        return redirect(url)
    logger.debug("serving post %s outside every site at its short link", page.pk)
    # What Wagtail's own serve view does around page.serve (view restrictions and the like).
    chain = _serve
    for hook in reversed(hooks.get_hooks("on_serve_page")):
        chain = hook(chain)
    for hook in hooks.get_hooks("before_serve_page"):
        result = hook(page, request, (), {})
        if isinstance(result, HttpResponse):
            return result
    return chain(page, request, (), {})


def _serve(page, request, args, kwargs):
    return page.serve(request, *args, **kwargs)
