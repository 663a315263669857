"""Celery tasks of the supervision app: thin wrappers around `oversight.services`."""

import logging

from celery import shared_task

from .exports import export_build as build_export
from .services import silence_warnings_send

logger = logging.getLogger(__name__)


@shared_task(name="oversight.tasks.silence_warnings", ignore_result=True)
def silence_warnings() -> int:
    """Beat, hourly: notify the staff (day 10) and signers (day 12) of silent accounts, once each."""
    return silence_warnings_send()


@shared_task(name="oversight.tasks.export_build", ignore_result=True)
def export_build(export_id: int) -> None:
    """Build one export job's file (oversight.exports.export_build; a finished job is left alone)."""
    build_export(export_id)
