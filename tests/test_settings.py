"""Production settings refuse defaults (secrets, SQLite, in-process tasks, a per-process cache) and
pass Django's deployment checks with no warnings; the dev (demo) settings follow `make demo`'s
ports; sessions are short in every environment."""

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from govcms.settings import base

ROOT = Path(__file__).resolve().parent.parent


# What production runs on (check --deploy connects to none of them).
SERVICES = {
    "DATABASE_URL": "postgres://govcms@db.gov.internal:5432/govcms",
    "CELERY_BROKER_URL": "redis://redis.gov.internal:6379/0",
    "CACHE_URL": "redis://redis.gov.internal:6379/1",
}


def ledger_keys(*keys: bytes) -> str:
    return ",".join(f"k{i}:{base64.b64encode(key).decode()}" for i, key in enumerate(keys))


# Real secrets, as production must have them: a secret key, a field key and two ledger keys.
KEYS = {
    "SECRET_KEY": secrets.token_urlsafe(60),
    "GOVCMS_FIELD_KEY": secrets.token_urlsafe(40),
    "GOVCMS_LEDGER_KEYS": ledger_keys(secrets.token_bytes(32), secrets.token_bytes(48)),
}


def run_check(**env_overrides):
    """`check --deploy` under the production settings; an override of None unsets the variable."""
    unset = {"SECRET_KEY", "GOVCMS_FIELD_KEY", "GOVCMS_LEDGER_KEYS", *SERVICES}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(DJANGO_SETTINGS_MODULE="govcms.settings.production", ALLOWED_HOSTS="gov.example.cn", **SERVICES)
    env.update(env_overrides)
    env = {k: v for k, v in env.items() if v is not None}
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_production_refuses_default_secret_field_key_and_ledger_keys():
    result = run_check()
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr
    result = run_check(SECRET_KEY=KEYS["SECRET_KEY"])
    assert result.returncode != 0 and "GOVCMS_FIELD_KEY" in result.stderr
    keys = {"SECRET_KEY": secrets.token_urlsafe(60), "GOVCMS_FIELD_KEY": secrets.token_urlsafe(40)}
    for bad in ("", ledger_keys(secrets.token_bytes(16)), "no-kid", base.INSECURE_LEDGER_KEYS):
        result = run_check(**keys, GOVCMS_LEDGER_KEYS=bad)
        assert result.returncode != 0 and "GOVCMS_LEDGER_KEYS" in result.stderr, bad
    # The development key stays refused when a real one is prepended to it.
    result = run_check(**keys, GOVCMS_LEDGER_KEYS=f"{ledger_keys(secrets.token_bytes(32))},{base.INSECURE_LEDGER_KEYS}")
    assert result.returncode != 0 and "GOVCMS_LEDGER_KEYS" in result.stderr


def test_production_passes_check_deploy_without_warnings():
    result = run_check(**KEYS)
    assert result.returncode == 0, result.stderr
    assert "no issues (0 silenced)" in result.stdout


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ({"DATABASE_URL": None}, "DATABASE_URL"),
        ({"DATABASE_URL": "sqlite:////var/lib/govcms/db.sqlite3"}, "DATABASE_URL"),
        ({"CELERY_BROKER_URL": None}, "CELERY_BROKER_URL"),
        ({"CELERY_BROKER_URL": ""}, "CELERY_BROKER_URL"),
        ({"CACHE_URL": None}, "CACHE_URL"),
    ],
)
def test_production_refuses_to_start_without_postgresql_broker_and_shared_cache(missing, named):
    """No silent fallback to SQLite (no append-only ledger), in-process tasks or a per-process cache."""
    result = run_check(**KEYS, **missing)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and named in result.stderr, result.stderr[-500:]


def test_sessions_last_twelve_hours_and_end_with_the_browser(org, make_user, admin_client_for, settings):
    """In the base settings, so the demo has them too: the admin's session cookie has no expiry
    date (gone when the browser closes) and the server forgets the session after 12 hours."""
    assert settings.SESSION_COOKIE_AGE == 12 * 3600 and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    client = admin_client_for(make_user("chief", "agency_admin", org.city_a))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["expires"] and not cookie["max-age"]
    assert client.session.get_expiry_age() == 12 * 3600


def test_chinese_first_and_shanghai_time(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]
    assert settings.TIME_ZONE == "Asia/Shanghai" and settings.USE_TZ


def dev_settings(**env_overrides) -> dict:
    """The port-bound dev (demo) settings as a fresh process computes them from `env_overrides`."""
    names = ("GOVCMS_WECHAT_API_BASE", "GOVCMS_WEIBO_API_BASE", "GOVCMS_SITE_URL", "WAGTAILADMIN_BASE_URL")
    env = {k: v for k, v in os.environ.items() if k not in {*names, "PORT", "SANDBOX_PORT", "GOVCMS_ADMIN_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="govcms.settings.dev", **env_overrides)
    code = f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    result = subprocess.run(
        [sys.executable, "-c", f"import django, json; django.setup(); from django.conf import settings; {code}"],
        env=env, cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(result.stdout.splitlines()[-1])


def test_demo_settings_follow_the_make_demo_ports_unless_set():
    """`make demo PORT=… SANDBOX_PORT=…`: the app calls the sandbox and links to itself on those ports."""
    assert dev_settings() == {
        "GOVCMS_WECHAT_API_BASE": "http://127.0.0.1:8765",
        "GOVCMS_WEIBO_API_BASE": "http://127.0.0.1:8765",
        "GOVCMS_SITE_URL": "http://127.0.0.1:8000",
        "WAGTAILADMIN_BASE_URL": "http://127.0.0.1:8000",
    }
    assert dev_settings(PORT="8101", SANDBOX_PORT="8102") == {
        "GOVCMS_WECHAT_API_BASE": "http://127.0.0.1:8102",
        "GOVCMS_WEIBO_API_BASE": "http://127.0.0.1:8102",
        "GOVCMS_SITE_URL": "http://127.0.0.1:8101",
        "WAGTAILADMIN_BASE_URL": "http://127.0.0.1:8101",
    }
    moved = dev_settings(PORT="8101", SANDBOX_PORT="8102", GOVCMS_SITE_URL="https://gov.example.cn")
    assert moved["GOVCMS_SITE_URL"] == moved["WAGTAILADMIN_BASE_URL"] == "https://gov.example.cn"
    assert moved["GOVCMS_WEIBO_API_BASE"] == "http://127.0.0.1:8102"
