"""The composer's helpers under the admin, for a post on an account (saved or not yet):

- `POST /admin/editorial/compose/<account_id>/check/` — the five-gate checks of the draft in the
  form (JSON fields as `POST /api/v1/posts/{id}/check` takes them, plus `cover_image`), before
  the first save: nothing is stored (`services.account_check_draft`).
- `POST /admin/editorial/compose/<account_id>/images/` — an image dropped or pasted into a WeChat
  body (multipart `file`): through the same gate and into the account's agency collection, with
  its ledger event, as any upload (`govcms.services.image_upload`); answered as the data of the
  rich-text editor's image entity.

Both are admin views (session and CSRF, as every admin form), for whoever may draft on the
account; outside the jurisdiction, as for a missing account: 404 (`govcms.middleware` checks
`account_id` too). Refusals are JSON `{"error": {"code", "message"}}` with the service's status.
"""

import json
import logging

from django.conf import settings
from django.http import JsonResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from wagtail.admin.viewsets.base import ViewSet
from wagtail.images.formats import get_image_format

from govcms.capabilities import require
from govcms.models import AgencyPage
from govcms.selectors import OutOfScope, access_object, accounts_visible_to, images_visible_to
from govcms.services import ServiceError, image_upload

from .. import services
from ..policy import may_draft

logger = logging.getLogger(__name__)

# The body's image format for a dropped image (Wagtail's default formats: fullwidth, left, right).
DROPPED_IMAGE_FORMAT = "fullwidth"
DRAFT_TEXT_FIELDS = ("title", "body", "digest", "author", "repost_source")


def _refused(error: ServiceError) -> JsonResponse:
    if error.status == 404:
        raise OutOfScope  # outside the jurisdiction: answered as a missing account
    return JsonResponse({"error": {"code": error.code, "message": error.message}}, status=error.status)


def _bad_request(message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": "validation_error", "message": message}}, status=422)


def _account(request, account_id: int):
    """The account, if `request.user` may draft on it (outside: 404, inside but refused: PolicyRefused)."""
    account = access_object(accounts_visible_to(request.user), account_id)
    refusal = may_draft(request.user, account)
    if refusal is not None:
        require(refusal)
    return account


@require_POST
def check_draft(request, account_id: int):
    """The findings for the draft in the form of a new (or any) post on the account, and the
    plain text their offsets refer to: `{"checks", "blocking", "text"}`."""
    try:
        account = _account(request, account_id)
        payload = json.loads(request.body or b"{}")
    except ServiceError as error:
        return _refused(error)
    except ValueError:
        return _bad_request(_("请求内容不是有效的 JSON"))
    if not isinstance(payload, dict):
        return _bad_request(_("请求内容不是有效的 JSON"))
    fields = {}
    for name in DRAFT_TEXT_FIELDS:
        value = payload.get(name)
        if value is not None and not isinstance(value, str):
            return _bad_request(_("字段 %(field)s 应为文字") % {"field": name})
        if value is not None:
            fields[name] = value
    if payload.get("is_repost") is not None:
        fields["is_repost"] = bool(payload["is_repost"])
    cover = payload.get("cover_image")
    if cover not in (None, ""):
        # Only an image the user may choose; another county's id is a missing one.
        fields["cover_image"] = access_object(images_visible_to(request.user), cover)
    try:
        findings, text = services.account_check_draft(actor=request.user, account=account, fields=fields)
    except ServiceError as error:
        return _refused(error)
    return JsonResponse({"checks": findings, "blocking": any(f["severity"] == "block" for f in findings), "text": text})


@require_POST
def upload_image(request, account_id: int):
    """Store the uploaded `file` in the account's agency collection and answer the rich-text
    editor's image entity data: `{"id", "src", "alt", "format"}` (201)."""
    try:
        account = _account(request, account_id)
    except ServiceError as error:
        return _refused(error)
    upload = request.FILES.get("file")
    if upload is None:
        return _bad_request(_("请选择要上传的图片"))
    limit = settings.GOVCMS_IMAGE_MAX_BYTES
    if upload.size > limit:  # refused before reading it (the gate would refuse it as well)
        message = _("图片超出 %(limit)d 字节上限 %(excess)d 字节") % {"limit": limit, "excess": upload.size - limit}
        return JsonResponse({"error": {"code": "too_large", "message": message}}, status=422)
    agency = AgencyPage.objects.get(path=account.path[: -account.steplen])
    title = (request.POST.get("title") or upload.name or "").rsplit(".", 1)[0]
    try:
        image = image_upload(
            actor=request.user, agency=agency, content=upload.read(), title=title, filename=upload.name or "image"
        )
    except ServiceError as error:
        return _refused(error)
    image_format = get_image_format(DROPPED_IMAGE_FORMAT)
    rendition = image.get_rendition(image_format.filter_spec)
    logger.info("image %s dropped into a body on account %s", image.pk, account.pk)
    return JsonResponse(
        {"id": image.pk, "src": rendition.url, "alt": image.default_alt_text, "format": DROPPED_IMAGE_FORMAT},
        status=201,
    )


class ComposeHelpersViewSet(ViewSet):
    name = "editorial_compose"
    url_prefix = "editorial/compose"

    def get_urlpatterns(self):
        return [
            path("<int:account_id>/check/", check_draft, name="check"),
            path("<int:account_id>/images/", upload_image, name="upload_image"),
        ]
