"""Signal receivers of the supervision app: a lexicon or leader-register change queues the content
re-check of recent publications once the change is committed."""

import logging

from django.core.cache import cache
from django.db import transaction

from editorial.signals import vocabulary_changed

from .monitoring import QUEUED_KEY, anything_to_recheck
from .tasks import content_recheck

logger = logging.getLogger(__name__)


def _queue() -> None:
    # Nothing published in the window (a fresh installation, most tests): no task to queue. One
    # queued re-check covers every change made before it starts (it clears the mark first), so a
    # hundred admin edits in a row queue one task, not a hundred.
    if anything_to_recheck() and cache.add(QUEUED_KEY, 1, timeout=600):
        content_recheck.delay()


def queue_content_recheck(sender, **kwargs):
    # After commit: the task must see the new vocabulary (and nothing if the change rolled back).
    transaction.on_commit(_queue)


def connect() -> None:
    vocabulary_changed.connect(queue_content_recheck, dispatch_uid="oversight.content_recheck")
