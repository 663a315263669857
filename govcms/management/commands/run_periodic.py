"""Run the Celery beat schedule in this process: the periodic half of the embedded default.

With no broker, tasks run in-process and nothing else would ever run the periodic ones: scheduled
posts would never be released, and publishing retries and polls, review reminders, escalations and
role upkeep would never happen. `make demo` starts this command next to the server and stops it
with it. Every CELERY_BEAT_SCHEDULE entry runs once at start and then whenever its schedule says it
is due (`--max-interval` makes every entry run at least that often), eagerly, in this process. With
a broker configured, run `celery -A govcms beat` and workers instead; this command then refuses.

SQLite: the server writes to the same file. The settings give SQLite a 30-second busy timeout and
IMMEDIATE transactions; a task that still finds the database locked is logged and run again on the
next tick, and no failing task stops the loop.
"""

import logging
import signal
import threading
from dataclasses import dataclass
from datetime import datetime

from celery import Task
from celery.schedules import BaseSchedule, maybe_schedule
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError, close_old_connections

from govcms.celery import app

logger = logging.getLogger(__name__)


@dataclass
class _Entry:
    name: str
    task: Task
    schedule: BaseSchedule
    args: tuple
    kwargs: dict
    last_run_at: datetime | None = None

    def is_due(self, *, now: datetime, max_interval: float | None) -> bool:
        if self.last_run_at is None:
            return True
        if max_interval is not None and (now - self.last_run_at).total_seconds() >= max_interval:
            return True
        return self.schedule.is_due(self.last_run_at).is_due


def _entries() -> list[_Entry]:
    """The beat schedule's entries with their task objects; CommandError for an unknown task."""
    app.loader.import_default_modules()  # registers every app's tasks
    entries = []
    for name, spec in settings.CELERY_BEAT_SCHEDULE.items():
        task = app.tasks.get(spec["task"])
        if task is None:
            raise CommandError(f"beat entry {name!r}: unknown task {spec['task']!r}")
        schedule = maybe_schedule(spec["schedule"], app=app)
        entries.append(_Entry(name, task, schedule, tuple(spec.get("args", ())), dict(spec.get("kwargs", {}))))
    return entries


def _did_something(result: object) -> bool:
    return any(result.values()) if isinstance(result, dict) else bool(result)


class Command(BaseCommand):
    help = "Run the periodic (beat) tasks in this process until SIGTERM/SIGINT; for the embedded default."

    def add_arguments(self, parser):
        parser.add_argument(
            "--max-interval", type=float, default=None, help="run every entry at least this often (seconds)"
        )
        parser.add_argument("--tick", type=float, default=1.0, help="seconds between looks at the schedule")
        parser.add_argument("--once", action="store_true", help="run every entry once, then exit")

    def handle(self, *args, max_interval: float | None, tick: float, once: bool, **options):
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            raise CommandError("a broker is configured (CELERY_BROKER_URL): run `celery -A govcms beat` instead")
        entries = _entries()
        # Celery logs every eager run at INFO; this loop logs the runs that did something instead.
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
        stop = threading.Event()
        previous = {signum: signal.signal(signum, lambda *_: stop.set()) for signum in (signal.SIGTERM, signal.SIGINT)}
        self.stdout.write(f"govcms periodic tasks: {', '.join(e.name for e in entries)}")
        self.stdout.flush()
        try:
            while not stop.is_set():
                for entry in entries:
                    if stop.is_set():
                        break
                    if entry.is_due(now=app.now(), max_interval=max_interval):
                        self._run(entry)
                close_old_connections()
                if once:
                    break
                stop.wait(tick)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _run(self, entry: _Entry) -> None:
        started = app.now()
        try:
            result = entry.task.apply(args=entry.args, kwargs=entry.kwargs, throw=True).get()
        except OperationalError as error:
            # "database is locked" past the busy timeout: the entry stays due and runs next tick.
            logger.warning("periodic task %s: database busy (%s), retrying", entry.name, error)
            close_old_connections()
            return
        except Exception:
            # A failing task must not stop the others; beat would also just try again next time.
            logger.exception("periodic task %s failed", entry.name)
            close_old_connections()
        else:
            logger.log(logging.INFO if _did_something(result) else logging.DEBUG, "%s: %s", entry.name, result)
        entry.last_run_at = started
