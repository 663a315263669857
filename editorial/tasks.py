"""Periodic review upkeep (Celery beat: every minute)."""

from celery import shared_task

from govcms.capabilities import SYSTEM

from .services import review_deadlines as review_deadlines_service


@shared_task(name="editorial.tasks.review_deadlines")
def review_deadlines() -> dict:
    """Send due-time reminders and escalate overdue steps; returns the counts."""
    return review_deadlines_service(actor=SYSTEM)


@shared_task(name="editorial.tasks.release_due")
def release_due() -> int:
    """Release scheduled posts that are due (beat: every minute; catches up after downtime)."""
    from .services import post_release_due

    return post_release_due(actor=SYSTEM)
