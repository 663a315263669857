"""Periodic ledger upkeep."""

from celery import shared_task

from . import ledger


@shared_task(name="audit.tasks.seal_ledger")
def seal_ledger() -> dict:
    """Seal every finished day not sealed yet (idempotent; the beat runs it hourly)."""
    sealed = ledger.seal()
    return {"sealed": [anchor.day.isoformat() for anchor in sealed]}
