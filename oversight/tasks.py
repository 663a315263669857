"""Celery tasks of the supervision app: thin wrappers around `oversight.services` and
`oversight.monitoring`."""

import logging

from celery import shared_task
from django.core.cache import cache

from .exports import export_build as build_export
from .exports import exports_expire as expire_exports
from .monitoring import QUEUED_KEY, recheck_published
from .services import silence_warnings_send

logger = logging.getLogger(__name__)


@shared_task(name="oversight.tasks.silence_warnings", ignore_result=True)
def silence_warnings() -> int:
    """Beat, hourly: notify the staff (day 10) and signers (day 12) of silent accounts, once each."""
    return silence_warnings_send()


@shared_task(name="oversight.tasks.content_recheck", ignore_result=True)
def content_recheck() -> int:
    """After a lexicon or leader-register change: re-check recent publications, open findings.
    The queued mark is cleared first: a change made from here on queues the next re-check."""
    cache.delete(QUEUED_KEY)
    return recheck_published()


@shared_task(name="oversight.tasks.export_build", ignore_result=True)
def export_build(export_id: int) -> None:
    """Build one export job's file (oversight.exports.export_build; a finished job is left alone)."""
    build_export(export_id)


@shared_task(name="oversight.tasks.exports_expire", ignore_result=True)
def exports_expire() -> int:
    """Beat, hourly: delete export files past GOVCMS_EXPORT_RETENTION_DAYS (the jobs stay, expired)."""
    return expire_exports()
