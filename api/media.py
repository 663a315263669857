"""Image endpoints: upload into an agency's collection, list what the caller may use.

The id returned is what `cover_image` (WeChat) and `image` (Weibo) take in /posts; those fields
resolve ids through the same selector, so an image of another jurisdiction is 404 there too.
"""

from django.conf import settings
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from govcms import capabilities, selectors, services

from .errors import ApiError
from .pagination import page
from .schemas import Id, Text

router = Router(tags=["images"])


def image_url(image) -> str:
    """The image's address as the site serves it (absolute, on GOVCMS_SITE_URL when relative)."""
    url = image.file.url
    return url if "://" in url else settings.GOVCMS_SITE_URL.rstrip("/") + url


def image_out(image) -> dict:
    return {
        "id": image.pk,
        "title": image.title,
        "url": image_url(image),
        "width": image.width,
        "height": image.height,
        "size": image.file_size,
    }


class ImageTarget(Schema):
    title: Text = Field(default="", max_length=255)
    agency_id: Id | None = None
    account_id: Id | None = None


def _target_agency(request, target: ImageTarget):
    """The agency an upload goes to: the given agency, the given account's agency, or the
    caller's own when they have exactly one (else 422 agency_required)."""
    if target.agency_id is not None and target.account_id is not None:
        raise ApiError(422, "validation_error", _("agency_id 与 account_id 只能给出一个"))
    if target.agency_id is not None:
        return selectors.access_object(selectors.agencies_visible_to(request.auth), target.agency_id)
    if target.account_id is not None:
        account = selectors.access_object(selectors.accounts_visible_to(request.auth), target.account_id)
        return account.agency
    paths = selectors.scope_agency_paths(request.auth, capabilities.roles_with("image.upload"))
    if len(paths) != 1 or paths == [""]:
        raise ApiError(422, "agency_required", _("请用 agency_id 或 account_id 指明图片所属机构"))
    return selectors.agencies_visible_to(request.auth).get(path=paths[0])


@router.post("/images", response={201: dict}, summary="Upload an image (JPEG/PNG/GIF/WebP, re-encoded)")
def image_upload(request, file: File[UploadedFile], target: Form[ImageTarget]):
    agency = _target_agency(request, target)
    limit = settings.GOVCMS_IMAGE_MAX_BYTES
    if file.size is not None and file.size > limit:
        raise ApiError(
            422,
            "too_large",
            _("图片超出 %(limit)d 字节上限 %(excess)d 字节") % {"limit": limit, "excess": file.size - limit},
            {"limit": limit, "actual": file.size},
        )
    image = services.image_upload(
        actor=request.auth, agency=agency, content=file.read(), title=target.title, filename=file.name or ""
    )
    return Status(201, image_out(image))


class ImageFilter(Schema):
    agency_id: Id | None = None


@router.get("/images", summary="Images the caller may use (their jurisdiction), newest first")
def image_list(request, filters: Query[ImageFilter]):
    agency = None
    if filters.agency_id is not None:
        agency = selectors.access_object(selectors.agencies_visible_to(request.auth), filters.agency_id)
    return page(request, selectors.images_visible_to(request.auth, agency=agency), image_out)
