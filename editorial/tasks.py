"""Periodic review upkeep (Celery beat: every minute)."""

import logging

from celery import shared_task

from govcms.capabilities import SYSTEM

from .services import review_deadlines as review_deadlines_service

logger = logging.getLogger(__name__)


@shared_task(name="editorial.tasks.review_deadlines")
def review_deadlines() -> dict:
    """Send due-time reminders and escalate overdue steps; returns the counts."""
    counts = review_deadlines_service(actor=SYSTEM)
    if any(counts.values()):
        logger.info("review deadlines: %s", ", ".join(f"{name} {n}" for name, n in counts.items()))
    return counts


@shared_task(name="editorial.tasks.release_due")
def release_due() -> int:
    """Release scheduled posts that are due (beat: every minute; catches up after downtime)."""
    from .services import post_release_due

    released = post_release_due(actor=SYSTEM)
    if released:
        logger.info("released %d scheduled post(s) whose time had come", released)
    return released
