"""Celery tasks of the publishing pipeline: thin wrappers around `publishing.services`."""

import logging
import time

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.db.models import Q
from django.utils import timezone

from govcms.capabilities import SYSTEM

from .models import Publication, PublicationStatus
from .services import publication_run, publication_withdraw

logger = logging.getLogger(__name__)

# deadlock_detected, serialization_failure: the database rolled the transaction back on its own.
_TRANSIENT_PGCODES = frozenset({"40P01", "40001"})


@shared_task(
    name="publishing.tasks.publish_publication", acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def publish_publication(publication_id: int) -> str:
    """Advance one publication; schedule the follow-up (retry with backoff, or a status poll).

    acks_late + reject_on_worker_lost: a worker killed mid-task leaves the message to be
    redelivered; the service's in-flight marker turns that redelivery into a reconciliation.
    """
    try:
        result = publication_run(publication_id, actor=SYSTEM)
    except OperationalError as error:
        if getattr(error.__cause__, "pgcode", None) not in _TRANSIENT_PGCODES:
            raise
        # PostgreSQL chose this transaction as a deadlock victim (or a serialisation failure):
        # nothing of it was committed, so running it again is safe; the in-flight marker, if the
        # call had already gone out, turns the rerun into a reconciliation.
        logger.warning(
            "publication %s: transaction aborted by the database (%s); running it again",
            publication_id,
            error.__cause__.pgcode,
        )
        publish_publication.apply_async((publication_id,), countdown=1)
        return "retry"
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # In-process mode (the embedded demo) has no worker to come back later: follow an
        # accepted WeChat job for a few seconds here; anything longer is left to the sweep.
        for _ in range(int(settings.GOVCMS_EAGER_POLL_SECONDS / 0.5)):
            if result.action != "poll":
                break
            time.sleep(0.5)
            result = publication_run(publication_id, actor=SYSTEM)
    elif result.action in ("retry", "poll", "busy"):
        publish_publication.apply_async((publication_id,), countdown=result.countdown)
    return result.action


@shared_task(name="publishing.tasks.publish_sweep", ignore_result=True)
def publish_sweep() -> int:
    """Re-queue publications nobody is working on: queued ones whose time has come (a lost
    message, workers that were down), jobs awaiting a poll, and expired in-flight leases.
    Beat runs it every minute; duplicates are harmless (the row lock decides)."""
    now = timezone.now()
    lease = timezone.timedelta(seconds=settings.GOVCMS_PUBLISH_LEASE_SECONDS)
    stale = Publication.objects.filter(
        Q(status=PublicationStatus.QUEUED, next_attempt_at__isnull=True, created_at__lte=now - lease)
        | Q(status=PublicationStatus.QUEUED, next_attempt_at__lte=now)
        | Q(status=PublicationStatus.PUBLISHING, updated_at__lte=now - lease)
    ).values_list("pk", flat=True)
    count = 0
    for pk in stale:
        publish_publication.delay(pk)
        count += 1
    if count:
        # Each is a lost message, a worker that was down or an expired lease: worth seeing.
        logger.info("publish sweep re-queued %d publication(s) nobody was working on", count)
    return count


@shared_task(name="publishing.tasks.withdraw_publication", acks_late=True, ignore_result=True)
def withdraw_publication(publication_id: int) -> str:
    """Remove one published item from its platform; retried with backoff on transient errors."""
    result = publication_withdraw(publication_id, actor=SYSTEM)
    if result.action == "retry" and not settings.CELERY_TASK_ALWAYS_EAGER:
        withdraw_publication.apply_async((publication_id,), countdown=result.countdown)
    return result.action
