"""Celery tasks of the inbox: thin wrappers around `inbox.services`."""

import logging

from celery import shared_task

from .deadlines import deadline_upkeep
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
