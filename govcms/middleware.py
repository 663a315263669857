"""Request-level guards: body size, control characters in form input, permissions kept current,
404 for admin objects out of scope, and one transaction per page write in the Wagtail admin."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, Page

from .admin_scope import visible_queryset
from .selectors import OutOfScope, is_system_admin
from .services import permissions_ensure_current, probing_note
from .text import has_control_characters

logger = logging.getLogger(__name__)

UPLOAD_PATHS = ("/admin/", "/api/v1/images")
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class RequestSizeLimitMiddleware:
    """Refuse oversize bodies with 413 before anything reads them: GOVCMS_MAX_REQUEST_BYTES for the
    API and the site, GOVCMS_MAX_UPLOAD_BYTES for uploads (the admin's images and lexicon files,
    the API's image upload)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = (
            settings.GOVCMS_MAX_UPLOAD_BYTES
            if request.path.startswith(UPLOAD_PATHS)
            else settings.GOVCMS_MAX_REQUEST_BYTES
        )
        if length > limit:
            logger.info("refused %s %s: %d bytes over the %d limit", request.method, request.path, length, limit)
            return JsonResponse(
                {
                    "error": {
                        "code": "payload_too_large",
                        "message": _("请求体过大"),
                        "details": {"limit_bytes": limit, "got_bytes": length},
                    }
                },
                status=413,
            )
        return self.get_response(request)


class ControlCharactersMiddleware:
    """Refuse query or form values holding NUL or another control character (tab, LF, CR allowed)
    with a 400 page, before any view or form sees them: the admin's forms (Wagtail's page editor,
    choosers, searches, report filters, ours) would store them or fail on PostgreSQL with a 500.
    The API is left to its schemas, which answer 422 in the API's error shape."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            data = [request.GET]
            if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
                data.append(request.POST)  # form fields only; uploaded files are the forms' business
            if any(has_control_characters(text) for d in data for k, vs in d.lists() for text in (k, *vs)):
                logger.info("refused %s %s: control characters in form input", request.method, request.path)
                return HttpResponseBadRequest(format_html("<h1>{}</h1>", _("输入含有控制字符（如 NUL），已拒绝")))
        return self.get_response(request)


class CurrentPermissionsMiddleware:
    """Recompute the user's derived permissions when an assignment has started or ended."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        permissions_ensure_current(user=request.user)
        return self.get_response(request)


# URL keyword arguments of the Wagtail admin that name an object of a jurisdictional model, and
# the model of `pk` in each Wagtail namespace where it names one. The project's own admin views
# fetch through scoped selectors themselves.
OBJECT_KWARGS = {
    "page_id": Page,
    "parent_page_id": Page,
    "page_to_move_id": Page,
    "destination_id": Page,
    "page_pk": Page,
    "account_id": Page,
    "image_id": get_image_model(),
    "document_id": get_document_model(),
    "doc_id": get_document_model(),
    "collection_id": Collection,
}
PK_NAMESPACES = {
    "wagtailadmin_pages": Page,
    "wagtailadmin_api:pages": Page,
    "wagtailadmin_api:images": get_image_model(),
    "wagtailimages_chooser": get_image_model(),
    "wagtailadmin_api:documents": get_document_model(),
    "wagtaildocs_chooser": get_document_model(),
    "wagtailusers_users": get_user_model(),
    "wagtailusers_groups": Group,
    "wagtailadmin_collections": Collection,
}


class AdminScopeMiddleware:
    """Answer 404 for any Wagtail admin URL naming a page, image, document, collection, user or
    group outside the user's jurisdiction, and for one naming an object that does not exist.

    Wagtail answers "permission denied" for some of these and "not found" for others, so the
    difference would tell that an object exists; govcms never reveals another agency's objects.
    The querysets Wagtail lists are narrowed in `govcms.admin_scope`. Each answer for an object
    that exists outside, and each OutOfScope raised by the project's admin views, counts towards
    the user's probing score (`services.probing_note`).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        match = request.resolver_match
        if not user.is_authenticated or is_system_admin(user) or not request.path.startswith("/admin/"):
            return None
        named = [(OBJECT_KWARGS[name], value) for name, value in view_kwargs.items() if name in OBJECT_KWARGS]
        if "pk" in view_kwargs and match is not None and match.namespace in PK_NAMESPACES:
            named.append((PK_NAMESPACES[match.namespace], view_kwargs["pk"]))
        for model, value in named:
            pk = _as_id(value)
            if not visible_queryset(user, model).filter(pk=pk).exists():
                if model._default_manager.filter(pk=pk).exists():
                    self._refuse(request)  # outside the jurisdiction: probing
                raise Http404  # missing: the same answer
        return None

    @staticmethod
    def _refuse(request):
        # Raised from process_view, this never reaches process_exception: note it here.
        probing_note(user=request.user, path=request.path)
        raise Http404

    def process_exception(self, request, exception):
        """OutOfScope raised by a view (`selectors.access_object` in the project's admin views)."""
        if isinstance(exception, OutOfScope):
            probing_note(user=request.user, path=request.path)
        return None  # Django answers the 404 as for any missing object


def _as_id(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# Wagtail's admin views that write pages: every POST under these URL namespaces / names.
# Admin views whose writes the ledger describes: pages (and their bulk actions) and images
# (the listing's upload and edit views, and the chooser's upload).
ATOMIC_WRITE_NAMESPACES = {"wagtailadmin_pages", "wagtailimages", "wagtailimages_chooser"}
ATOMIC_WRITE_URL_NAMES = {"wagtail_bulk_action"}


class AtomicAdminWritesMiddleware:
    """Run every page and image write of the Wagtail admin (create, edit, submit, publish,
    unpublish, move, copy, delete, workflow actions, bulk actions, uploads) in one transaction,
    hooks and signal receivers included.

    Wagtail's page views commit piecemeal (the create view has no transaction at all; the edit
    view closes its own before `after_edit_page` runs), so a ledger event written from an
    `after_*` hook could outlive a write that failed, or be lost after one that committed. Inside
    this transaction the hooks' events commit or roll back with the write they describe.
    Must come last among the view middleware: it calls the view itself.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if request.method != "POST" or match is None:
            return None
        if ATOMIC_WRITE_NAMESPACES.isdisjoint(match.namespaces) and match.url_name not in ATOMIC_WRITE_URL_NAMES:
            return None
        with transaction.atomic():
            return view_func(request, *view_args, **view_kwargs)
