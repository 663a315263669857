"""Request-level guards: body size, control characters in form input, permissions kept current,
404 for pages out of scope, and one transaction per page write in the Wagtail admin."""

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from wagtail.images import get_image_model
from wagtail.models import Page

from .selectors import can_see_path, images_visible_to, is_system_admin
from .services import permissions_ensure_current
from .text import has_control_characters

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
                return HttpResponseBadRequest(format_html("<h1>{}</h1>", _("输入含有控制字符（如 NUL），已拒绝")))
        return self.get_response(request)


class CurrentPermissionsMiddleware:
    """Recompute the user's derived permissions when an assignment has started or ended."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        permissions_ensure_current(user=request.user)
        return self.get_response(request)


# URL keyword arguments of the Wagtail admin that name a page.
PAGE_KWARGS = ("page_id", "parent_page_id")


class AdminScopeMiddleware:
    """Answer 404 for any Wagtail admin URL naming a page (or an image) outside the user's
    jurisdiction.

    Wagtail would answer "permission denied" (revealing that the page exists); govcms never
    reveals another agency's objects.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or is_system_admin(user):
            return None
        for name in PAGE_KWARGS:
            if name in view_kwargs and request.path.startswith("/admin/"):
                path = Page.objects.filter(pk=view_kwargs[name]).values_list("path", flat=True).first()
                if path is not None and not can_see_path(user, path):
                    raise Http404
        image_id = view_kwargs.get("image_id")
        if image_id is not None and request.path.startswith("/admin/images/"):
            images = get_image_model().objects.filter(pk=image_id)
            if images.exists() and not images_visible_to(user).filter(pk=image_id).exists():
                raise Http404
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
