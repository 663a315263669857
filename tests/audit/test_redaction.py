import json
import logging
import sys
import uuid

import pytest
from django.test import RequestFactory
from django.views.debug import ExceptionReporter

from audit.redaction import RedactingExceptionReporterFilter, RedactingLogFilter, redact


def _filtered(msg, *args, exc_info=None) -> logging.LogRecord:
    record = logging.LogRecord("govcms.test", logging.INFO, __file__, 1, msg, args, exc_info)
    assert RedactingLogFilter().filter(record) is True
    return record


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("token refresh failed: secret=abc123XYZ appid=wx1", "token refresh failed: secret=*** appid=wx1"),
        ('payload {"appid": "wx1", "appsecret": "s3cr3t-Value"}', 'payload {"appid": "wx1", "appsecret": "***"}'),
        ("{'client_secret': 'p@ss', 'n': 1}", "{'client_secret': '***', 'n': 1}"),
        ('{"refresh_token": 12345}', '{"refresh_token": ***}'),
        (
            "GET https://api.weixin.qq.com/cgi-bin/draft/add?access_token=ACCESS.TOKEN-x_1&lang=zh_CN 200",
            "GET https://api.weixin.qq.com/cgi-bin/draft/add?access_token=***&lang=zh_CN 200",
        ),
        ("login(username='wang', password='hunter2')", "login(username='wang', password='***')"),
        ("Authorization: Bearer eyJhbGciOi.J9.x-y", "Authorization: Bearer ***"),
        ("nothing secret-ish about appid=wx1 here", "nothing secret-ish about appid=wx1 here"),
    ],
)
def test_redact(text, expected):
    assert redact(text) == expected


def test_log_filter_redacts_message_and_args():
    url = "https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=abc123XYZ"
    record = _filtered("calling %s with %r", url, {"appsecret": "s3cr3t"})

    message = record.getMessage()
    assert "abc123XYZ" not in message and "s3cr3t" not in message
    assert message == (
        "calling https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=***"
        " with {'appsecret': '***'}"
    )


def test_log_filter_redacts_tracebacks():
    try:
        raise RuntimeError("POST /cgi-bin/message?access_token=tok-42 failed")
    except RuntimeError:
        record = _filtered("publish failed", exc_info=sys.exc_info())

    assert "tok-42" not in record.exc_text
    assert "access_token=***" in record.exc_text


def test_log_filter_survives_mismatched_args():
    record = _filtered("only one %s", "password=x1", "token=y2")

    message = record.getMessage()
    assert "x1" not in message and "y2" not in message


def test_log_filter_through_logging(caplog):
    logger = logging.getLogger("govcms.test.redaction")
    # caplog's handler lives for this test only, so the filter needs no removing.
    caplog.handler.addFilter(RedactingLogFilter())
    logger.warning('upstream said {"access_token": "%s"}', "LEAKED-VALUE")

    assert "LEAKED-VALUE" not in caplog.text
    assert '"access_token": "***"' in caplog.text


@pytest.mark.parametrize(
    "name",
    ["GOVCMS_FIELD_KEY", "WECHAT_APPSECRET", "WEIBO_ACCESS_TOKEN", "PLATFORM_CREDENTIALS", "DATABASE_URL"],
)
def test_reporter_hides_secret_settings(name):
    assert RedactingExceptionReporterFilter().cleanse_setting(name, "value") == "********************"


def test_reporter_masks_passwords_inside_url_settings():
    caches = {"default": {"LOCATION": "redis://:r3dis-pass@cache:6379/0"}}

    cleansed = RedactingExceptionReporterFilter().cleanse_setting("CACHES", caches)

    assert cleansed == {"default": {"LOCATION": "redis://:********************@cache:6379/0"}}


def test_reporter_hides_every_post_parameter():
    request = RequestFactory().post("/admin/login/", {"username": "wang", "password": "hunter2", "x": ["1", "2"]})

    cleansed = RedactingExceptionReporterFilter().get_post_parameters(request)

    assert cleansed.getlist("x") == ["********************"] * 2
    assert {k: cleansed[k] for k in ("username", "password")} == {
        "username": "********************",
        "password": "********************",
    }


def test_error_report_leaks_neither_post_nor_raw_body_nor_secret_locals():
    # Random values: the report quotes this file's source lines, so literals would show up anyway.
    body_secret, nested_secret, local_secret, form_secret = (uuid.uuid4().hex for _ in range(4))
    request = RequestFactory().post(
        "/api/v1/accounts",
        data=json.dumps({"credentials": {"appid": "wx1", "secret": body_secret}}),
        content_type="application/json",
    )
    form = RequestFactory().post("/admin/login/", {"password": form_secret})

    def handler():
        body = request.body  # noqa: F841 - the frame variables are what is under test
        payload = {"appid": "wx-visible", "nested": {"appsecret": nested_secret}}  # noqa: F841
        access_token = local_secret  # noqa: F841
        post = form.POST  # noqa: F841
        raise ValueError("boom")

    try:
        handler()
    except ValueError:
        report = ExceptionReporter(request, *sys.exc_info())
        text = report.get_traceback_text() + report.get_traceback_html()

    for secret in (body_secret, nested_secret, local_secret, form_secret):
        assert secret not in text
    assert "wx-visible" in text
