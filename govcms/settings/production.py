"""Production settings: refuse to start on the development secret, field key or ledger keys, or
without PostgreSQL, a Celery broker and a shared (Redis) cache.

`manage.py check --deploy` passes with no warnings under these settings when served over HTTPS.
"""

from django.core.exceptions import ImproperlyConfigured

from audit.keys import parse_ledger_keys

from .base import *  # noqa: F403
from .base import (
    CACHES,
    CELERY_BROKER_URL,
    DATABASES,
    GOVCMS_FIELD_KEY,
    GOVCMS_LEDGER_KEYS,
    INSECURE_FIELD_KEY,
    INSECURE_LEDGER_KEYS,
    INSECURE_SECRET_KEY,
    SECRET_KEY,
    env,
)

if SECRET_KEY == INSECURE_SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("Set SECRET_KEY to a random value of at least 50 characters.")
if GOVCMS_FIELD_KEY == INSECURE_FIELD_KEY or len(GOVCMS_FIELD_KEY) < 32:
    raise ImproperlyConfigured("Set GOVCMS_FIELD_KEY to a random value of at least 32 characters.")
try:
    _ledger_keys = parse_ledger_keys(GOVCMS_LEDGER_KEYS)
except ValueError as error:
    raise ImproperlyConfigured(f"GOVCMS_LEDGER_KEYS: {error}.") from error
if set(_ledger_keys.by_kid.values()) & set(parse_ledger_keys(INSECURE_LEDGER_KEYS).by_kid.values()):
    raise ImproperlyConfigured("Set GOVCMS_LEDGER_KEYS to kid:base64key with a random key of at least 32 bytes.")

# The embedded defaults are for the demo only. In production each would fail silently: SQLite
# has no append-only trigger on the audit ledger, in-process tasks die with the web request that
# ran them, and a per-process cache splits login lockouts and token state between workers.
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "Set DATABASE_URL to a PostgreSQL database (postgres://user:password@host:5432/name); "
        "production does not run on SQLite."
    )
if CELERY_BROKER_URL is None:
    raise ImproperlyConfigured(
        "Set CELERY_BROKER_URL to the Redis broker (redis://host:6379/0); production does not run tasks in-process."
    )
if CACHES["default"]["BACKEND"] != "django.core.cache.backends.redis.RedisCache":
    raise ImproperlyConfigured(
        "Set CACHE_URL to a Redis cache shared by every process (redis://host:6379/1); "
        "production does not use a per-process memory cache."
    )

DEBUG = False
SECURE_SSL_REDIRECT = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
