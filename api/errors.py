"""The API's error contract: every refusal is `{"error": {"code", "message", "details"}}`."""

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from audit import ledger
from govcms.capabilities import PolicyRefused
from govcms.selectors import OutOfScope
from govcms.services import ServiceError, probing_note, validation_messages

HTTP_CODES = {400: "malformed", 401: "not_authenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}


class ApiError(Exception):
    """Raise from an endpoint to answer `status` with the contract's error body."""

    def __init__(self, status: int, code: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or {}


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def record_denial(request, *, code: str, status: int) -> None:
    """Permission denials on the API go to the audit ledger (who tried what, from where)."""
    user = getattr(request, "auth", None) or getattr(request, "user", None)
    ledger.record(
        action="api.denied",
        actor=user if user is not None and user.is_authenticated else None,
        data={"method": request.method, "path": request.path[:200], "code": code, "status": status},
    )


def _schema_errors(errors: list[dict]) -> list[dict]:
    # Pydantic echoes the offending input; it may be a secret, so only location and reason go back.
    return [
        {"loc": [str(part) for part in e.get("loc", [])], "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in errors
    ]


def install(api) -> None:
    """Register the contract's error handlers on a NinjaAPI instance."""

    def respond(request, status, code, message, details=None):
        if status == 403:
            record_denial(request, code=code, status=status)
        return api.create_response(request, error_body(code, message, details), status=status)

    @api.exception_handler(ApiError)
    def _api_error(request, exc: ApiError):
        return respond(request, exc.status, exc.code, exc.message, exc.details)

    @api.exception_handler(ServiceError)
    def _service_error(request, exc: ServiceError):
        return respond(request, exc.status, exc.code, exc.message, exc.details)

    @api.exception_handler(PolicyRefused)
    def _refused(request, exc: PolicyRefused):
        # A refusal about an object outside the caller's jurisdiction answers exactly as a
        # missing object does; any other is a 403 with the refusal's code.
        if exc.refusal.outside:
            return _not_found(request, OutOfScope())
        return respond(request, 403, exc.code, exc.message, exc.details)

    @api.exception_handler(ValidationError)
    def _django_validation(request, exc: ValidationError):
        return respond(request, 422, "validation_error", _("输入未通过校验"), {"fields": validation_messages(exc)})

    @api.exception_handler(NinjaValidationError)
    def _schema_validation(request, exc: NinjaValidationError):
        return respond(
            request, 422, "validation_error", _("请求字段类型或取值不符合要求"), {"errors": _schema_errors(exc.errors)}
        )

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc):
        return respond(request, 401, "not_authenticated", _("需要登录或有效的令牌"))

    @api.exception_handler(HttpError)
    def _http_error(request, exc: HttpError):
        # django-ninja raises HttpError itself only for a body it cannot parse (400); its message
        # is English and fixed, so ours replaces it.
        if exc.status_code == 400:
            return respond(request, 400, "malformed_json", _("请求体不是有效的 JSON"))
        return respond(request, exc.status_code, HTTP_CODES.get(exc.status_code, "error"), str(exc))

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        if isinstance(exc, OutOfScope):
            probing_note(user=getattr(request, "auth", None), path=request.path)
        return respond(request, 404, "not_found", _("对象不存在或无权查看"))

    @api.exception_handler(PermissionDenied)
    def _denied(request, exc):
        return respond(request, 403, "forbidden", str(exc) or _("无权执行此操作"))

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request, exc):
        return respond(request, 413, "payload_too_large", _("请求体过大"))


@csrf_exempt  # whatever the method or credentials: there is nothing here to protect
def unknown_path(request):
    """Every path under /api/v1 that no operation answers: 404 in the contract's shape, any method
    (instead of falling through to the site's page tree)."""
    return JsonResponse(error_body("not_found", _("没有这个接口"), {"path": request.path[:200]}), status=404)
