"""Production settings refuse defaults and pass Django's deployment checks with no warnings."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_check(**env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "GOVCMS_FIELD_KEY"}}
    env.update(DJANGO_SETTINGS_MODULE="govcms.settings.production", ALLOWED_HOSTS="gov.example.cn", **env_overrides)
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_production_refuses_default_secret_and_field_key():
    result = run_check()
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr
    result = run_check(SECRET_KEY=secrets.token_urlsafe(60))
    assert result.returncode != 0 and "GOVCMS_FIELD_KEY" in result.stderr


def test_production_passes_check_deploy_without_warnings():
    result = run_check(SECRET_KEY=secrets.token_urlsafe(60), GOVCMS_FIELD_KEY=secrets.token_urlsafe(40))
    assert result.returncode == 0, result.stderr
    assert "no issues (0 silenced)" in result.stdout


def test_chinese_first_and_shanghai_time(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]
    assert settings.TIME_ZONE == "Asia/Shanghai" and settings.USE_TZ
