"""Keep secrets (platform AppSecrets, access tokens, passwords, keys) out of error reports and logs.

Configured in settings: `DEFAULT_EXCEPTION_REPORTER_FILTER` for error pages and admin mails, and
the `redact` logging filter on the log handlers.
"""

import logging
import re

from django.utils.datastructures import MultiValueDict
from django.views.debug import SafeExceptionReporterFilter

PLACEHOLDER = "***"

# Names whose values are secret. Substrings count, so this also covers appsecret, client_secret,
# access_token, refresh_token, passwd and db_password.
_SECRET_NAME = r"[\w-]*?(?:secret|passw(?:or)?d|token)[\w-]*"
_QUOTED_VALUE = r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'"""

# "key": "value" / 'key': 'value' (JSON, dict reprs), unquoted values included.
_QUOTED_KEY_RE = re.compile(
    rf"""(?P<head>(?P<q>["']){_SECRET_NAME}(?P=q)\s*:\s*)(?P<value>{_QUOTED_VALUE}|[^\s,}}\]]+)""",
    re.IGNORECASE,
)
# key=value, including query strings (?access_token=...&) and keyword-argument reprs.
_ASSIGNMENT_RE = re.compile(
    rf"""(?P<head>\b{_SECRET_NAME}=)(?P<value>{_QUOTED_VALUE}|[^\s&,;'"<>)]+)""",
    re.IGNORECASE,
)
_BEARER_RE = re.compile(r"(?P<head>\bBearer\s+)(?P<value>[\w.~+/=-]+)", re.IGNORECASE)

_SECRET_NAME_RE = re.compile(_SECRET_NAME, re.IGNORECASE)
# Userinfo of URLs such as postgres://user:password@host or redis://:password@host.
_URL_PASSWORD_RE = re.compile(r"(?P<head>://[^/:@\s]*:)[^@/\s]+(?=@)")


def _mask(match: re.Match) -> str:
    value = match["value"]
    quote = value[0] if value[0] in "\"'" else ""
    return f"{match['head']}{quote}{PLACEHOLDER}{quote}"


def redact(text: str) -> str:
    """`text` with the values of secret-named keys and parameters, and bearer tokens, replaced by "***".

    Recognises `key=value` (also inside query strings), `"key": "value"` / `'key': 'value'`, and
    `Bearer <token>`; a key is secret if its name contains secret, password, passwd or token.
    """
    text = _QUOTED_KEY_RE.sub(_mask, text)
    text = _ASSIGNMENT_RE.sub(_mask, text)
    return _BEARER_RE.sub(_mask, text)


class RedactingLogFilter(logging.Filter):
    """Redact secrets from every record passing through a handler (see `redact`).

    The message is rendered with its args, redacted, and stored back with the args cleared,
    because a secret usually arrives as an argument (`log.info("GET %s", url)`) and may be
    nested in a dict repr. Tracebacks are formatted and redacted too, since exception messages
    often quote the failing URL. Always returns True: records are cleaned, never dropped.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # Arguments that do not fit the format string: keep both, as logging's own error
            # report would print them unredacted.
            message = f"{record.msg} {record.args!r}"
        record.msg = redact(str(message))
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(self._formatter.formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class RedactingExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's filter, stricter: applied whatever DEBUG is.

    - Settings: also hides names with FIELD_KEY, CREDENTIAL, APPSECRET, ACCESS_TOKEN and the
      connection URLs (DATABASE_URL, CELERY_BROKER_URL, CACHE_URL), and masks the password in any
      URL-valued setting (a Redis LOCATION inside CACHES, say).
    - POST parameters: every value is replaced, not only those marked with
      `sensitive_post_parameters`: our forms and API carry credentials the decorators may miss.
    - Frame variables: the raw request body, every multi-value dict (request.POST and copies),
      variables with secret-like names and secret-like keys of dicts are replaced.
    """

    cleansed_substitute = "********************"
    # FIELD_KEY, APPSECRET and ACCESS_TOKEN are matched by KEY, SECRET and TOKEN already; they are
    # listed so that narrowing those generic words later cannot expose them.
    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE"
        "|FIELD_KEY|CREDENTIAL|APPSECRET|ACCESS_TOKEN|DATABASE_URL|BROKER_URL|CACHE_URL",
        flags=re.IGNORECASE,
    )

    def is_active(self, request) -> bool:
        # Django disables filtering under DEBUG; development databases hold real-looking
        # credentials too, and a shared debug page is how they leak.
        return True

    def cleanse_setting(self, key, value):
        cleansed = super().cleanse_setting(key, value)
        if isinstance(cleansed, str):
            return _URL_PASSWORD_RE.sub(rf"\g<head>{self.cleansed_substitute}", cleansed)
        return cleansed

    def get_post_parameters(self, request):
        if request is None:
            return {}
        return self.get_cleansed_multivaluedict(request, request.POST)

    def get_cleansed_multivaluedict(self, request, multivaluedict):
        cleansed = multivaluedict.copy()
        for name in cleansed:
            cleansed.setlist(name, [self.cleansed_substitute] * len(cleansed.getlist(name)))
        return cleansed

    def cleanse_special_types(self, request, value):
        if isinstance(value, bytes | str) and value and self._is_request_body(request, value):
            return self.cleansed_substitute
        if isinstance(value, dict) and not isinstance(value, MultiValueDict):
            return self._cleanse_dict(value)
        return super().cleanse_special_types(request, value)

    def get_traceback_frame_variables(self, request, tb_frame):
        return [
            (name, self.cleansed_substitute if _SECRET_NAME_RE.fullmatch(name) else value)
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]

    def _cleanse_dict(self, value: dict) -> dict:
        cleansed = {}
        for key, item in value.items():
            if isinstance(key, str) and _SECRET_NAME_RE.fullmatch(key):
                cleansed[key] = self.cleansed_substitute
            elif isinstance(item, dict):
                cleansed[key] = self._cleanse_dict(item)
            else:
                cleansed[key] = item
        return cleansed

    @staticmethod
    def _is_request_body(request, value: bytes | str) -> bool:
        # HttpRequest.body caches the bytes in _body once read; never read it here, as reading
        # a stream that was already consumed raises.
        body = getattr(request, "_body", None)
        if not body:
            return False
        if isinstance(value, bytes):
            return value == body
        return value == body.decode(errors="replace")
