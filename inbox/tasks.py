"""Celery tasks of the inbox: thin wrappers around `inbox.services`."""

import logging

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from govcms.capabilities import SYSTEM

from .deadlines import deadline_upkeep
from .delivery import KINDS, delivery_run
from .models import DeliveryStatus
from .selectors import collectable_publications
from .services import comments_collect

logger = logging.getLogger(__name__)


@shared_task(name="inbox.tasks.collect_sweep", ignore_result=True)
def collect_sweep() -> int:
    """Beat, every two minutes: one collection task per publication whose comments are still
    collected. Overlapping sweeps are harmless (each publication's run is row-locked, inserts
    are unique). Returns the count queued."""
    count = 0
    for pk in collectable_publications().values_list("pk", flat=True):
        collect_comments.delay(pk)
        count += 1
    return count


@shared_task(name="inbox.tasks.collect_comments", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def collect_comments(publication_id: int) -> str:
    """Collect one publication's new comments; a failure waits for the next sweep (the cursor
    has not moved, so nothing is lost)."""
    result = comments_collect(publication_id)
    return f"{result.action}:{result.new}"


@shared_task(name="inbox.tasks.deadline_sweep", ignore_result=True)
def deadline_sweep() -> dict:
    """Beat, every five minutes: reminders before the answer deadline, overdue marks after it,
    escalations to the agency admins, each once per item (`inbox.deadlines.deadline_upkeep`)."""
    return deadline_upkeep()


@shared_task(name="inbox.tasks.deliver", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver(kind: str, pk: int) -> str:
    """Send one approved reply or moderation request (`inbox.delivery.delivery_run`) and schedule
    the follow-up: a retry after its backoff, or a busy row's turn after the lease."""
    result = delivery_run(kind, pk, actor=SYSTEM)
    if result.action in ("retry", "busy") and not settings.CELERY_TASK_ALWAYS_EAGER:
        deliver.apply_async((kind, pk), countdown=result.countdown)
    return result.action


@shared_task(name="inbox.tasks.deliver_sweep", ignore_result=True)
def deliver_sweep() -> int:
    """Beat, every minute: re-queue approved replies and moderation requests nobody is working
    on (a lost message, workers that were down, an expired in-flight lease). Duplicates are
    harmless: the row lock decides."""
    now = timezone.now()
    lease = timezone.timedelta(seconds=settings.GOVCMS_PUBLISH_LEASE_SECONDS)
    count = 0
    for name, kind in KINDS.items():
        stale = kind.model.objects.filter(
            Q(status=DeliveryStatus.QUEUED, next_attempt_at__isnull=True, approved_at__lte=now - lease)
            | Q(status=DeliveryStatus.QUEUED, next_attempt_at__lte=now)
            | Q(status=DeliveryStatus.SENDING, in_flight_since__lte=now - lease)
        ).values_list("pk", flat=True)
        for pk in stale:
            deliver.delay(name, pk)
            count += 1
    if count:
        logger.info("inbox delivery sweep re-queued %d reply or moderation run(s)", count)
    return count
