"""Test settings: PostgreSQL and Redis when DATABASE_URL / CELERY_BROKER_URL are set."""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = []

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    # The ledger's tables refuse TRUNCATE; transactional tests empty every table between tests,
    # which a superuser session with this setting may do (audit migration 0004).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c govcms.ledger_truncate=allow"  # noqa: F405
