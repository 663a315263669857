"""What an operator watching the logs sees of a publication: the same facts the ledger records
(ids, platform, account, the platform's error code), never a token or a secret."""

import logging

import pytest

from publishing.models import Publication
from tests.publishing.test_pipeline import drive

pytestmark = pytest.mark.django_db
SECRETS = ("sandbox-token-a1", "sandbox-secret-a1")


def _records(caplog, logger="publishing.services"):
    return [r for r in caplog.records if r.name == logger]


def _no_secret_anywhere(caplog):
    for record in caplog.records:
        text = record.getMessage() + repr(record.args) + repr(getattr(record, "exc_info", ""))
        assert not any(secret in text for secret in SECRETS), text


def test_a_publication_failure_is_logged_with_its_ids_and_no_token(accounts, release, sandbox, caplog):
    caplog.set_level(logging.INFO)
    sandbox.fault(kind="error_code", code=21327, path="/2/statuses/share.json")  # token expired
    pub = Publication.objects.get(post=release(accounts["weibo"], body="【通知】今夜气温骤降。"))
    pub = drive(pub.pk)
    assert pub.status == "failed" and pub.last_error_code == "21327"
    failures = [r for r in _records(caplog) if r.levelno == logging.WARNING and "failed" in r.getMessage()]
    assert len(failures) == 1, [r.getMessage() for r in _records(caplog)]
    message = failures[0].getMessage()
    assert f"publication {pub.pk} " in message
    assert f"account {pub.account_id}" in message and "weibo" in message and "[21327]" in message
    _no_secret_anywhere(caplog)


def test_an_unknown_outcome_and_its_reconciliation_are_logged(accounts, release, sandbox, caplog, settings):
    """A 5xx on the share: the look on the platform and each decision after it are logged at info,
    the final `unknown` as a warning."""
    caplog.set_level(logging.INFO)
    sandbox.fault(kind="http_500", path="/2/statuses/share.json", times=-1)
    pub = Publication.objects.get(post=release(accounts["weibo"], body="【通知】明日停水。"))
    pub = drive(pub.pk)
    assert pub.status == "unknown"
    messages = [r.getMessage() for r in _records(caplog)]
    looked = [m for m in messages if "outcome unknown [500]" in m and "found it absent" in m]
    assert len(looked) == settings.GOVCMS_PUBLISH_MAX_ATTEMPTS, messages
    resent = [m for m in messages if "refuses duplicates; sending again" in m]
    assert len(resent) == settings.GOVCMS_PUBLISH_MAX_ATTEMPTS - 1, messages
    (final,) = [r for r in _records(caplog) if r.levelno == logging.WARNING]
    assert f"publication {pub.pk} " in final.getMessage() and " unknown " in final.getMessage()
    _no_secret_anywhere(caplog)


def test_the_settings_route_first_party_loggers_to_the_console_at_info():
    from django.conf import settings

    for app in ("govcms", "editorial", "publishing", "audit", "api", "sandbox"):
        assert settings.LOGGING["loggers"][app]["level"] == "INFO", app
        logger = logging.getLogger(f"{app}.anything")
        assert logger.isEnabledFor(logging.INFO), app
    root = settings.LOGGING["root"]
    assert root["handlers"] == ["console"]
