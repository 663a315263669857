import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from audit.context import Source, current_source, source
from audit.middleware import AuditSourceMiddleware


def _seen_by_view(settings, proxies: int, **meta) -> Source:
    settings.GOVCMS_TRUSTED_PROXY_COUNT = proxies
    seen = []

    def view(request):
        seen.append(current_source())
        return HttpResponse()

    AuditSourceMiddleware(view)(RequestFactory().get("/", **meta))
    return seen[0]


def test_remote_addr_and_user_agent(settings):
    assert _seen_by_view(settings, 0, REMOTE_ADDR="192.0.2.1", HTTP_USER_AGENT="UA/1") == Source(
        ip="192.0.2.1", user_agent="UA/1"
    )


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "198.51.100.9", "10.0.0.2"),  # no trusted proxy: the header is the client's word only
        (1, "198.51.100.66, 198.51.100.9", "198.51.100.9"),  # leftmost entry forged by the client
        (2, "198.51.100.9, 10.0.0.7", "198.51.100.9"),
        (3, "198.51.100.9", "198.51.100.9"),  # fewer hops than proxies: the outermost saw the client
        (1, "", "10.0.0.2"),
    ],
)
def test_forwarded_for_only_behind_trusted_proxies(settings, proxies, forwarded, expected):
    seen = _seen_by_view(settings, proxies, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert seen.ip == expected


def test_source_is_reset_after_the_request(settings):
    with source(ip="203.0.113.1"):
        _seen_by_view(settings, 0, REMOTE_ADDR="192.0.2.1")
        assert current_source().ip == "203.0.113.1"
    assert current_source() == Source()
