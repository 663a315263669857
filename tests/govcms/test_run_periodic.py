"""`manage.py run_periodic`: the beat schedule run in-process for the embedded default.

The end-to-end proof (a scheduled post released on time by the process `make demo` starts) is in
tests/test_demo.py; these pin down the loop itself.
"""

import io
from datetime import timedelta

import pytest
from celery import shared_task
from django.core.management import CommandError, call_command
from django.db import OperationalError

from govcms.celery import app
from govcms.management.commands.run_periodic import Command, _entries

# The loop closes stale database connections after each run, as a long-running process must.
pytestmark = pytest.mark.django_db

RUNS: list[str] = []


@shared_task(name="tests.periodic.fails")
def fails() -> None:
    RUNS.append("fails")
    raise RuntimeError("boom")


@shared_task(name="tests.periodic.locked")
def locked() -> None:
    RUNS.append("locked")
    raise OperationalError("database is locked")


@shared_task(name="tests.periodic.counts")
def counts(n: int) -> int:
    RUNS.append(f"counts:{n}")
    return n


@pytest.fixture
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    RUNS.clear()
    return settings


def test_every_entry_runs_and_a_failing_one_does_not_stop_the_others(eager):
    eager.CELERY_BEAT_SCHEDULE = {
        "fails": {"task": "tests.periodic.fails", "schedule": 60.0},
        "locked": {"task": "tests.periodic.locked", "schedule": 60.0},
        "counts": {"task": "tests.periodic.counts", "schedule": timedelta(minutes=5), "args": (3,)},
    }
    call_command("run_periodic", "--once", stdout=io.StringIO())
    assert RUNS == ["fails", "locked", "counts:3"]


def test_a_locked_database_leaves_the_entry_due_a_failure_waits_for_its_schedule(eager):
    eager.CELERY_BEAT_SCHEDULE = {
        "fails": {"task": "tests.periodic.fails", "schedule": 60.0},
        "locked": {"task": "tests.periodic.locked", "schedule": 60.0},
    }
    failing, busy = _entries()
    for entry in (failing, busy):
        Command()._run(entry)
    assert failing.last_run_at is not None and not failing.is_due(now=app.now(), max_interval=None)
    assert busy.last_run_at is None and busy.is_due(now=app.now(), max_interval=None)


def test_the_project_schedule_is_runnable(eager):
    """Every entry of the real beat schedule names a registered task."""
    names = {entry.name for entry in _entries()}
    assert names == set(eager.CELERY_BEAT_SCHEDULE) and names >= {"release-due", "publish-sweep", "review-deadlines"}


def test_due_follows_the_schedule_and_the_max_interval(eager):
    eager.CELERY_BEAT_SCHEDULE = {"counts": {"task": "tests.periodic.counts", "schedule": 60.0, "args": (1,)}}
    [entry] = _entries()
    now = app.now()
    assert entry.is_due(now=now, max_interval=None)  # never run: due at start
    entry.last_run_at = now - timedelta(seconds=20)
    assert not entry.is_due(now=now, max_interval=None)
    assert entry.is_due(now=now, max_interval=10)
    entry.last_run_at = now - timedelta(seconds=61)
    assert entry.is_due(now=now, max_interval=None)


def test_unknown_task_and_a_configured_broker_are_refused(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CELERY_BEAT_SCHEDULE = {"gone": {"task": "tests.periodic.no_such_task", "schedule": 60.0}}
    with pytest.raises(CommandError, match="unknown task"):
        call_command("run_periodic", "--once", stdout=io.StringIO())
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with pytest.raises(CommandError, match="celery -A govcms beat"):
        call_command("run_periodic", "--once", stdout=io.StringIO())
