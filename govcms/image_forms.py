"""The Wagtail image form (WAGTAILIMAGES_IMAGE_FORM_BASE); apart from `govcms.forms`, which the
models import before Wagtail's image forms can be."""

import logging

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.forms import FileField
from wagtail.images.fields import WagtailImageField
from wagtail.images.forms import BaseImageForm

from .images import ImageRejected, prepare_image

logger = logging.getLogger(__name__)


class GatedImageField(WagtailImageField):
    """Wagtail's image field behind our gate: the uploaded bytes pass `prepare_image` (type by
    bytes, size and pixel limits judged from the header before anything is decoded, metadata
    dropped) first, and only the re-encoded image reaches Wagtail's own checks.

    Wagtail's field opens (and fully decodes) the upload before a form's `clean_file` runs, so a
    check there comes too late: a pixel bomb or a truncated PNG made the admin's upload views
    answer 500 (an OSError from the decoder) and cost the memory of the decoded pixels."""

    def to_python(self, data):
        upload = FileField.to_python(self, data)  # empty, missing, over-long name: Django's errors
        if not isinstance(upload, UploadedFile):
            return super().to_python(data)
        upload.seek(0)
        try:
            prepared = prepare_image(upload.read())
        except ImageRejected as error:
            logger.info("admin image upload refused: %s", error.code)
            raise ValidationError(error.message, code=error.code) from error
        stem = (upload.name or "image").rsplit("/", 1)[-1].rsplit(".", 1)[0] or "image"
        return super().to_python(
            SimpleUploadedFile(f"{stem}.{prepared.extension}", prepared.content, prepared.content_type)
        )


class GovImageForm(BaseImageForm):
    """An image uploaded in the admin (the image library, the multiple uploader, the chooser
    modal's upload tab) is validated and re-encoded exactly as an API upload
    (`govcms.images.prepare_image`): type by bytes, size and pixel limits, no metadata; a refusal
    is the gate's Chinese message on the file field."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("file")
        if field is not None and not isinstance(field, GatedImageField):
            # Built per form (not declared on the class) so the limits are the settings of now.
            self.fields["file"] = GatedImageField(label=field.label, required=field.required, widget=field.widget)
