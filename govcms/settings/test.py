"""Test settings: PostgreSQL and Redis when DATABASE_URL / CELERY_BROKER_URL are set."""

import os
from urllib.parse import urlsplit, urlunsplit

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = []

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    # The ledger's tables refuse TRUNCATE; transactional tests empty every table between tests,
    # which a superuser session with this setting may do (audit migration 0004).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c govcms.ledger_truncate=allow"  # noqa: F405

# Under pytest-xdist each process ("gw0", "gw1", …) clears the cache around every test
# (tests/conftest.py), which empties a whole Redis database: each process gets its own, numbered
# from CACHE_URL's (gwN uses that number + N; keep the next numbers free of the broker's).
# Celery worker subprocesses inherit PYTEST_XDIST_WORKER and so use their test's database.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _XDIST_WORKER.startswith("gw") and CACHES["default"]["BACKEND"].endswith("RedisCache"):  # noqa: F405
    _cache_url = urlsplit(CACHES["default"]["LOCATION"])  # noqa: F405
    _cache_db = int(_cache_url.path.strip("/") or 0) + int(_XDIST_WORKER[2:])
    CACHES["default"]["LOCATION"] = urlunsplit(_cache_url._replace(path=f"/{_cache_db}"))  # noqa: F405
