"""Reads of the publishing area, scoped to the caller's jurisdiction."""

from datetime import timedelta

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from govcms.selectors import path_q, scope_paths

from .models import Publication, PublicationStatus

# A queued publication this late has been forgotten (a lost message, workers down): a problem.
OVERDUE_AFTER = timedelta(minutes=10)
PROBLEM_STATUSES = (PublicationStatus.FAILED, PublicationStatus.UNKNOWN)


def publications_visible_to(user) -> QuerySet[Publication]:
    """Publications of the accounts in the caller's jurisdiction."""
    return Publication.objects.filter(path_q(scope_paths(user), "account__path"))


def problems_visible_to(user, *, now=None) -> QuerySet[Publication]:
    """Failed and unknown publications, and queued ones overdue by more than OVERDUE_AFTER.

    A queued publication is due at `next_attempt_at`, or — when that is unset or older than the
    row's last change (a person re-queued it) — at its last change.
    """
    now = now or timezone.now()
    return (
        publications_visible_to(user)
        .alias(due_at=Greatest(Coalesce("next_attempt_at", "updated_at"), "updated_at"))
        .filter(Q(status__in=PROBLEM_STATUSES) | Q(status=PublicationStatus.QUEUED, due_at__lt=now - OVERDUE_AFTER))
    )


def campaign_article_url(*, post) -> str:
    """The URL of the most recently published WeChat article of `post`'s campaign ("" when the
    post is in no campaign or no article of it is published yet): where a campaign's Weibo post
    short link leads once the article is out."""
    if not post.campaign_id:
        return ""
    from editorial.models import WechatArticlePage

    articles = WechatArticlePage.objects.filter(campaign_id=post.campaign_id).values("pk")
    published = (
        Publication.objects.filter(post_id__in=articles, status=PublicationStatus.PUBLISHED)
        .exclude(url="")
        .order_by("-published_at", "-pk")
        .values_list("url", flat=True)
        .first()
    )
    return published or ""
