"""Request middleware of the audit app."""

from .context import request_source, source


class AuditSourceMiddleware:
    """Attribute ledger events recorded during a request to the request's client.

    Sets `audit.context` for the duration of the request and restores the previous value
    afterwards, so a reused worker thread never leaks one client's address into the next request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        client = request_source(request)
        with source(ip=client.ip, user_agent=client.user_agent):
            return self.get_response(request)
