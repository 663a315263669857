"""Test settings: PostgreSQL and Redis when DATABASE_URL / CELERY_BROKER_URL are set."""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = []
