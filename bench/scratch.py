"""What the benchmark scripts share (imported after `django.setup()`): a throwaway test database,
the median time of a call and the number of queries a call runs."""

import contextlib
import logging
import statistics
import time

from django.conf import settings
from django.db import connection
from django.test.utils import setup_test_environment

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def scratch_database(name: str, *, sqlite_in_memory: bool = True):
    """Create the test database `name` (migrated; on SQLite in memory unless told otherwise), point
    the default connection at it for the block, and destroy it afterwards, whatever happens."""
    setup_test_environment()
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = name
    if sqlite_in_memory and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        settings.DATABASES["default"]["TEST"]["NAME"] = ""  # in-memory
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def timed(fn, repeats: int = 15) -> float:
    """The median wall time of `repeats` calls of `fn`, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def count_queries(fn) -> int:
    """How many SQL statements one call of `fn` executes on the default connection."""
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        fn()
    return len(executed)
