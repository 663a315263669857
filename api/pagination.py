"""List responses: `{"items": [...], "next": <url or null>}` with offset/limit query parameters."""

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from .errors import ApiError
from .schemas import MAX_ID

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
# The database's OFFSET/LIMIT are signed 64-bit: offset + limit + 1 must still fit.
MAX_OFFSET = MAX_ID - MAX_LIMIT - 1


def page(request: HttpRequest, queryset: QuerySet, serialize, prepare=None) -> dict:
    """Serialise one page of `queryset`; `next` carries the same filters with the next offset.

    `prepare(rows)`, if given, runs once on the page's rows before serialising (batch lookups,
    so serialising stays free of per-row queries).
    """
    try:
        offset = max(int(request.GET.get("offset", 0)), 0)
        limit = min(max(int(request.GET.get("limit", DEFAULT_LIMIT)), 1), MAX_LIMIT)
    except ValueError as error:
        raise ApiError(400, "invalid_paging", _("offset 与 limit 必须是整数")) from error
    if offset > MAX_OFFSET:
        raise ApiError(400, "invalid_paging", _("offset 超出范围"), {"max_offset": MAX_OFFSET})
    rows = list(queryset[offset : offset + limit + 1])
    next_url = None
    if len(rows) > limit:
        query = request.GET.copy()
        query["offset"] = str(offset + limit)
        query["limit"] = str(limit)
        next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    rows = rows[:limit]
    if prepare is not None:
        prepare(rows)
    return {"items": [serialize(row) for row in rows], "next": next_url}
