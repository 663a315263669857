"""A throwaway test database for a benchmark script (imported after `django.setup()`)."""

import contextlib
import logging

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
