"""The /api/v1 JSON API (django-ninja): one NinjaAPI, one router per area."""

from ninja import NinjaAPI, Swagger
from ninja.parser import Parser

from . import errors
from .accountability import router as accountability_router
from .audit import router as audit_router
from .auth import AUTH
from .editorial import router as editorial_router
from .exports import router as exports_router
from .inbox import router as inbox_router
from .inbox_replies import router as inbox_replies_router
from .media import router as media_router
from .org import router as org_router
from .oversight import router as oversight_router
from .publishing import router as publishing_router

_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


class _JsonParser(Parser):
    """JSON request bodies; an empty body (or an empty form, as some clients send for "no body")
    reads as `{}`, so a body whose fields are all optional may be left out (`POST
    /posts/{id}/check`), and a required field then answers 422 for being missing rather than 400
    for malformed JSON."""

    def parse_body(self, request):
        if not request.body.strip() or (request.content_type in _FORM_TYPES and not request.POST and not request.FILES):
            return {}
        return super().parse_body(request)


api = NinjaAPI(
    title="govcms API",
    version="1",
    description="政务新媒体内容管理 API。约定（认证、错误格式、状态码、列表）见仓库 docs/api.md。",
    auth=AUTH,
    # Swagger UI would otherwise fetch a validity badge from validator.swagger.io: nothing external.
    docs=Swagger(settings={"validatorUrl": None}),
    urls_namespace="api-v1",
    parser=_JsonParser(),
)
errors.install(api)
api.add_router("", org_router)
api.add_router("", audit_router)
api.add_router("", editorial_router)
api.add_router("", media_router)
api.add_router("", publishing_router)
api.add_router("", inbox_router)
api.add_router("", oversight_router)
api.add_router("", accountability_router)
api.add_router("", exports_router)
api.add_router("", inbox_replies_router)
