"""Settings shared by every environment.

Everything that differs between machines comes from the environment; the defaults here are the
embedded development defaults (SQLite, tasks run in-process). `production.py` refuses to start on
those defaults.
"""

import json
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent


def env(name: str, default: str | None = None) -> str | None:
    """Return the environment variable `name`, or `default` when unset or empty."""
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


# Development defaults; production.py rejects them.
INSECURE_SECRET_KEY = "govcms-insecure-development-key-do-not-use-in-production"
INSECURE_FIELD_KEY = "govcms-insecure-development-field-key"
INSECURE_LEDGER_KEYS = "dev:Z292Y21zLWluc2VjdXJlLWRldi1sZWRnZXIta2V5LWRvLW5vdC11c2U="

SECRET_KEY = env("SECRET_KEY", INSECURE_SECRET_KEY)
# Key (or comma-separated keys, newest first) for encrypting credentials at rest.
GOVCMS_FIELD_KEY = env("GOVCMS_FIELD_KEY", INSECURE_FIELD_KEY)
# Audit ledger MAC keys, "kid:base64key,..." newest first (audit/keys.py). The database never holds
# them, so no database role can forge an event or an anchor.
GOVCMS_LEDGER_KEYS = env("GOVCMS_LEDGER_KEYS", INSECURE_LEDGER_KEYS)
DEBUG = False
ALLOWED_HOSTS = [h.strip() for h in env("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "govcms",
    "audit",
    "editorial",
    "publishing",
    "inbox",
    "oversight",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "govcms.users_app.ScopedUsersConfig",  # wagtail.users with scoped user screens (govcms.admin.users)
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "guardian",
    "simple_history",
    "django_celery_beat",
    # django-ninja ships Swagger UI's assets; as an app its docs page loads them from our static
    # files instead of a CDN, so /api/v1/docs works offline.
    "ninja",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "govcms.middleware.RequestSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "govcms.middleware.ControlCharactersMiddleware",
    "audit.middleware.AuditSourceMiddleware",
    "govcms.middleware.CurrentPermissionsMiddleware",
    "govcms.middleware.AdminScopeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last: it runs the Wagtail page-write views itself, inside one transaction.
    "govcms.middleware.AtomicAdminWritesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "govcms.backends.LockoutModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]

ROOT_URLCONF = "govcms.urls"
WSGI_APPLICATION = "govcms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

DATABASE_URL = env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions serialise writers up front, so concurrent ledger appends queue
    # instead of failing with "database is locked" on lock upgrade.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 30}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_ROOT = BASE_DIR / "static"
STATIC_URL = "/static/"
MEDIA_ROOT = BASE_DIR / "media"
MEDIA_URL = "/media/"

# Request bodies above this size are refused with 413 before any parsing.
GOVCMS_MAX_REQUEST_BYTES = int(env("GOVCMS_MAX_REQUEST_BYTES", str(2 * 1024 * 1024)))
# The admin accepts larger uploads (Wagtail images up to 10 MB, lexicon spreadsheets).
GOVCMS_MAX_UPLOAD_BYTES = int(env("GOVCMS_MAX_UPLOAD_BYTES", str(12 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = GOVCMS_MAX_REQUEST_BYTES
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# Images (API and admin uploads, images fetched into article bodies): bytes and pixels (width ×
# height, checked from the header before decoding, against decompression bombs) per image.
GOVCMS_IMAGE_MAX_BYTES = int(env("GOVCMS_IMAGE_MAX_BYTES", str(10 * 1024 * 1024)))
GOVCMS_IMAGE_MAX_PIXELS = int(env("GOVCMS_IMAGE_MAX_PIXELS", str(40_000_000)))
WAGTAILIMAGES_MAX_UPLOAD_SIZE = GOVCMS_IMAGE_MAX_BYTES
WAGTAILIMAGES_MAX_IMAGE_PIXELS = GOVCMS_IMAGE_MAX_PIXELS
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]
WAGTAILIMAGES_IMAGE_FORM_BASE = "govcms.image_forms.GovImageForm"
# Fetching external body images: private, loopback, link-local and other non-global addresses
# are refused unless the host or host:port is listed here (comma-separated, e.g. an intranet
# image server "img.gov.internal,10.0.0.5:8080").
GOVCMS_IMAGE_FETCH_ALLOW = env("GOVCMS_IMAGE_FETCH_ALLOW", "")
GOVCMS_IMAGE_FETCH_TIMEOUT = float(env("GOVCMS_IMAGE_FETCH_TIMEOUT", "10"))
GOVCMS_IMAGE_FETCH_MAX_REDIRECTS = int(env("GOVCMS_IMAGE_FETCH_MAX_REDIRECTS", "3"))

WAGTAIL_SITE_NAME = "govcms 政务新媒体"
WAGTAILADMIN_BASE_URL = env("GOVCMS_ADMIN_URL", env("GOVCMS_SITE_URL", "http://127.0.0.1:8000"))
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAIL_I18N_ENABLED = False
# Wagtail's own background tasks stay in-process; project side effects go through Celery.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None

LOGIN_URL = "wagtailadmin_login"

# Number of reverse proxies in front of the app whose X-Forwarded-For the audit ledger may trust.
GOVCMS_TRUSTED_PROXY_COUNT = int(env("GOVCMS_TRUSTED_PROXY_COUNT", "0"))
# Where the audit app asks for a user's jurisdictions (tree paths), recorded with their logins,
# logouts and failed logins; the audit app imports nothing of the organisation core itself.
GOVCMS_AUDIT_USER_JURISDICTIONS = "govcms.selectors.user_jurisdiction_paths"

# Office hours (Asia/Shanghai) for working-time deadlines, and local workday overrides
# {"2026-10-10": False, ...} on top of the national holiday calendar.
GOVCMS_OFFICE_HOURS = [("09:00", "12:00"), ("13:30", "17:30")]
GOVCMS_WORKDAY_OVERRIDES: dict[str, bool] = {}

# Review chains: a step is due this many working hours after it opens; once overdue by as many
# again it escalates to the next role up.
# The interaction inbox: comments are collected from posts published within this many days;
# deadlines in working days from receipt (acknowledge, answer).
GOVCMS_INBOX_COLLECT_DAYS = int(env("GOVCMS_INBOX_COLLECT_DAYS", "90"))
GOVCMS_INBOX_ACK_DAYS = int(env("GOVCMS_INBOX_ACK_DAYS", "1"))
GOVCMS_INBOX_ANSWER_DAYS = int(env("GOVCMS_INBOX_ANSWER_DAYS", "5"))
# Supervision (oversight): compliance checks as of a date (product.md, "Supervision"). A report
# as of day D looks at the PERIOD_DAYS ending with D; nothing published for VETO_SILENT_DAYS is a
# veto, STAFF_WARNING_DAYS / LEADER_WARNING_DAYS warn (and notify the account's staff / its
# supervising signer), fewer than WEEKLY_MINIMUM posts in the last 7 days and ZOMBIE_DAYS of
# silence are warnings. The scheme of a jurisdiction without its own is the preset DEFAULT_SCHEME.
GOVCMS_COMPLIANCE_PERIOD_DAYS = int(env("GOVCMS_COMPLIANCE_PERIOD_DAYS", "30"))
GOVCMS_COMPLIANCE_VETO_SILENT_DAYS = int(env("GOVCMS_COMPLIANCE_VETO_SILENT_DAYS", "14"))
GOVCMS_COMPLIANCE_STAFF_WARNING_DAYS = int(env("GOVCMS_COMPLIANCE_STAFF_WARNING_DAYS", "10"))
# Content monitoring: a lexicon or leader-register change re-checks what was published this many
# days back (oversight.monitoring).
GOVCMS_MONITOR_RECHECK_DAYS = int(env("GOVCMS_MONITOR_RECHECK_DAYS", "30"))
GOVCMS_COMPLIANCE_LEADER_WARNING_DAYS = int(env("GOVCMS_COMPLIANCE_LEADER_WARNING_DAYS", "12"))
GOVCMS_COMPLIANCE_WEEKLY_MINIMUM = int(env("GOVCMS_COMPLIANCE_WEEKLY_MINIMUM", "1"))
GOVCMS_COMPLIANCE_ZOMBIE_DAYS = int(env("GOVCMS_COMPLIANCE_ZOMBIE_DAYS", "90"))
GOVCMS_DEFAULT_SCHEME = env("GOVCMS_DEFAULT_SCHEME", "national")
# Report exports (oversight.exports): files are kept in EXPORT_ROOT, a private directory that is
# never served as static or media (only the requester downloads through the API or the admin);
# progress is committed every EXPORT_CHUNK_ROWS rows. The PDF embeds EXPORT_PDF_FONT (Noto Sans CJK
# from Debian's fonts-noto-cjk; a .ttc collection, face EXPORT_PDF_FONT_FACE = Simplified Chinese).
GOVCMS_EXPORT_ROOT = Path(env("GOVCMS_EXPORT_ROOT", str(BASE_DIR / "var" / "exports")))
GOVCMS_EXPORT_CHUNK_ROWS = int(env("GOVCMS_EXPORT_CHUNK_ROWS", "200"))
# A finished export's file is deleted this many days after it was built (the job stays, expired,
# with the file's hash; oversight.tasks.exports_expire, in the beat schedule).
GOVCMS_EXPORT_RETENTION_DAYS = int(env("GOVCMS_EXPORT_RETENTION_DAYS", "30"))
GOVCMS_EXPORT_PDF_FONT = env("GOVCMS_EXPORT_PDF_FONT", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
GOVCMS_EXPORT_PDF_FONT_FACE = int(env("GOVCMS_EXPORT_PDF_FONT_FACE", "2"))
# A complex item (复杂事项) is answered within this many working days. These three are the defaults
# of a jurisdiction without its own row (inbox.DeadlinePolicy, edited in the admin).
GOVCMS_INBOX_COMPLEX_DAYS = int(env("GOVCMS_INBOX_COMPLEX_DAYS", "15"))
# The handler is reminded this many working hours before an item's answer deadline; the agency
# admins are told of an item still unanswered this many working days after it.
GOVCMS_INBOX_REMIND_HOURS = float(env("GOVCMS_INBOX_REMIND_HOURS", "4"))
GOVCMS_INBOX_ESCALATE_DAYS = int(env("GOVCMS_INBOX_ESCALATE_DAYS", "1"))
GOVCMS_REVIEW_STEP_DUE_HOURS = float(env("GOVCMS_REVIEW_STEP_DUE_HOURS", "4"))
GOVCMS_REVIEW_ESCALATE_AFTER_HOURS = float(env("GOVCMS_REVIEW_ESCALATE_AFTER_HOURS", "4"))
# The least review chain an agency admin may configure, per jurisdiction: keyed by an agency's
# region code (the nearest agency up the tree that has an entry applies) or "default"; `steps`
# is the minimum number of steps, `last_role` the least role of the final step.
GOVCMS_REVIEW_CHAIN_MINIMUM = json.loads(
    env("GOVCMS_REVIEW_CHAIN_MINIMUM", '{"default": {"steps": 2, "last_role": "signer"}}')
)
# A fast-tracked (crisis) post owes its after-the-fact review within this many working hours.
GOVCMS_POST_HOC_REVIEW_HOURS = float(env("GOVCMS_POST_HOC_REVIEW_HOURS", "8"))
# Platform API base URLs: from the environment whenever set, so the unchanged backends can be
# pointed at the project's sandbox or any other emulator. dev.py defaults them to the sandbox.
GOVCMS_WECHAT_API_BASE = env("GOVCMS_WECHAT_API_BASE", "https://api.weixin.qq.com")
GOVCMS_WEIBO_API_BASE = env("GOVCMS_WEIBO_API_BASE", "https://api.weibo.com")
# The Weibo app used to (re-)authorise accounts (OAuth 2 authorization code). The redirect URI
# must be exactly the 授权回调页 registered with Weibo; empty: built from the admin request.
GOVCMS_WEIBO_CLIENT_ID = env("GOVCMS_WEIBO_CLIENT_ID", "")
GOVCMS_WEIBO_CLIENT_SECRET = env("GOVCMS_WEIBO_CLIENT_SECRET", "")
GOVCMS_WEIBO_REDIRECT_URI = env("GOVCMS_WEIBO_REDIRECT_URI", "")
# Public base URL of the agency site: Weibo posts link here (the Weibo app's safe domain).
GOVCMS_SITE_URL = env("GOVCMS_SITE_URL", "http://127.0.0.1:8000")
WAGTAIL_FINISH_WORKFLOW_ACTION = "editorial.workflows.release_workflow_state"
WAGTAIL_WORKFLOW_CANCEL_ON_PUBLISH = True

# Publishing pipeline. A lease longer than the slowest platform call (all calls time out after
# GOVCMS_PLATFORM_TIMEOUT); backoff doubling from BASE up to CAP seconds, with jitter.
GOVCMS_PLATFORM_TIMEOUT = float(env("GOVCMS_PLATFORM_TIMEOUT", "10"))
GOVCMS_PUBLISH_LEASE_SECONDS = int(env("GOVCMS_PUBLISH_LEASE_SECONDS", "120"))
GOVCMS_PUBLISH_MAX_ATTEMPTS = int(env("GOVCMS_PUBLISH_MAX_ATTEMPTS", "6"))
GOVCMS_PUBLISH_BACKOFF_BASE = float(env("GOVCMS_PUBLISH_BACKOFF_BASE", "30"))
GOVCMS_PUBLISH_BACKOFF_CAP = float(env("GOVCMS_PUBLISH_BACKOFF_CAP", "3600"))
GOVCMS_PUBLISH_POLL_SECONDS = float(env("GOVCMS_PUBLISH_POLL_SECONDS", "5"))
GOVCMS_EAGER_POLL_SECONDS = float(env("GOVCMS_EAGER_POLL_SECONDS", "5"))
# Our own per-account ceiling (posts, window seconds) below the platforms' limits.
GOVCMS_PUBLISH_RATE_LIMITS = json.loads(
    env("GOVCMS_PUBLISH_RATE_LIMITS", '{"weibo": [30, 3600], "wechat": [100, 86400]}')
)

# Login throttle, shared by the admin's login form and POST /api/v1/auth/token: this many failed
# logins of one username (or from one source address) within the window lock it for the lockout
# period. Attempts during a lockout are refused without counting, so they never extend it; an
# admin can unlock early. The address limit stops one client trying many usernames.
GOVCMS_LOGIN_MAX_FAILURES = int(env("GOVCMS_LOGIN_MAX_FAILURES", "5"))
GOVCMS_LOGIN_LOCKOUT_MINUTES = int(env("GOVCMS_LOGIN_LOCKOUT_MINUTES", "15"))
GOVCMS_LOGIN_WINDOW_MINUTES = int(env("GOVCMS_LOGIN_WINDOW_MINUTES", str(GOVCMS_LOGIN_LOCKOUT_MINUTES)))
GOVCMS_LOGIN_ADDRESS_MAX_FAILURES = int(env("GOVCMS_LOGIN_ADDRESS_MAX_FAILURES", "20"))
GOVCMS_LOGIN_ADDRESS_WINDOW_MINUTES = int(env("GOVCMS_LOGIN_ADDRESS_WINDOW_MINUTES", "15"))
GOVCMS_LOGIN_ADDRESS_LOCKOUT_MINUTES = int(env("GOVCMS_LOGIN_ADDRESS_LOCKOUT_MINUTES", "15"))
WAGTAILADMIN_USER_LOGIN_FORM = "govcms.admin.logins.ThrottledLoginForm"

# Requests answered 404 for an object outside the caller's jurisdiction (API and admin): past this
# many in one clock hour, "security.probing" is recorded for the user (once per hour).
GOVCMS_PROBING_THRESHOLD_PER_HOUR = int(env("GOVCMS_PROBING_THRESHOLD_PER_HOUR", "20"))

# API tokens
GOVCMS_API_TOKEN_TTL_HOURS = int(env("GOVCMS_API_TOKEN_TTL_HOURS", "12"))

# Celery: with no broker configured, tasks run in-process (the embedded default).
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env("GOVCMS_CELERY_QUEUE", "celery")
# Redis redelivers an unacknowledged task after this long; it must exceed the longest countdown
# a retry is scheduled with (GOVCMS_PUBLISH_BACKOFF_CAP) so no retry is duplicated by the broker.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(env("GOVCMS_BROKER_VISIBILITY_TIMEOUT", "7200"))}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "roles-sync-due": {"task": "govcms.tasks.roles_sync_due", "schedule": 60.0},
    "review-deadlines": {"task": "editorial.tasks.review_deadlines", "schedule": 60.0},
    "release-due": {"task": "editorial.tasks.release_due", "schedule": 60.0},
    "publish-sweep": {"task": "publishing.tasks.publish_sweep", "schedule": 60.0},
    # Seals every finished day not sealed yet; hourly so a missed run catches up within the hour.
    "seal-ledger": {"task": "audit.tasks.seal_ledger", "schedule": 3600.0},
    # Next year's holiday schedule missing (from October): a daily look is plenty.
    "calendar-check": {"task": "govcms.tasks.calendar_check", "schedule": 86400.0},
    # New comments on published posts (each publication's run is row-locked: overlaps are harmless).
    "inbox-collect": {"task": "inbox.tasks.collect_sweep", "schedule": 120.0},
    # Silence warnings (day 10 to the staff, day 12 to the signer), each sent once per silence.
    "silence-warnings": {"task": "oversight.tasks.silence_warnings", "schedule": 3600.0},
    # Inbox reminders before the answer deadline, overdue marks after it, escalations (each once).
    "inbox-deadlines": {"task": "inbox.tasks.deadline_sweep", "schedule": 300.0},
    # Approved replies and moderation requests nobody is sending (lost message, expired lease).
    "inbox-deliver": {"task": "inbox.tasks.deliver_sweep", "schedule": 60.0},
    # Export files past GOVCMS_EXPORT_RETENTION_DAYS are deleted (the jobs stay, expired).
    "exports-expire": {"task": "oversight.tasks.exports_expire", "schedule": 3600.0},
}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if env("CACHE_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env("CACHE_URL")}}

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "govcms@localhost")

SESSION_COOKIE_HTTPONLY = True
# Admin sessions last one working day at most and end when the browser closes.
SESSION_COOKIE_AGE = 12 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "SAMEORIGIN"
DEFAULT_EXCEPTION_REPORTER_FILTER = "audit.redaction.RedactingExceptionReporterFilter"

FIRST_PARTY_APPS = ("govcms", "editorial", "publishing", "inbox", "audit", "api", "sandbox", "oversight")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "audit.redaction.RedactingLogFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        # Our own apps log what the ledger records (publication failures, unknown outcomes,
        # reconciliation decisions, refusals) at INFO, to the console through the root handler,
        # whatever LOG_LEVEL quietens elsewhere; GOVCMS_LOG_LEVEL changes them.
        **{app: {"level": env("GOVCMS_LOG_LEVEL", "INFO")} for app in FIRST_PARTY_APPS},
        # Wagtail logs every page save and django-tasks every in-process task at INFO: noise here.
        "django_tasks": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
    },
}
