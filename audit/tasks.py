"""Periodic ledger upkeep."""

import logging

from celery import shared_task

from . import ledger

logger = logging.getLogger(__name__)


@shared_task(name="audit.tasks.seal_ledger")
def seal_ledger() -> dict:
    """Seal every finished day not sealed yet (idempotent; the beat runs it hourly)."""
    sealed = ledger.seal()
    if sealed:
        logger.info("sealed the ledger of %s", ", ".join(anchor.day.isoformat() for anchor in sealed))
    return {"sealed": [anchor.day.isoformat() for anchor in sealed]}
