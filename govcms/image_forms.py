"""The Wagtail image form (WAGTAILIMAGES_IMAGE_FORM_BASE); apart from `govcms.forms`, which the
models import before Wagtail's image forms can be."""

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from wagtail.images.forms import BaseImageForm

from .images import ImageRejected, prepare_image


class GovImageForm(BaseImageForm):
    """An image uploaded in the admin is validated and re-encoded exactly as an API upload
    (`govcms.images.prepare_image`): type by bytes, size and pixel limits, no metadata."""

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not isinstance(upload, UploadedFile):
            return upload  # an edit that keeps the stored file
        upload.seek(0)
        try:
            prepared = prepare_image(upload.read())
        except ImageRejected as error:
            raise ValidationError(error.message, code=error.code) from error
        stem = (upload.name or "image").rsplit("/", 1)[-1].rsplit(".", 1)[0] or "image"
        return SimpleUploadedFile(f"{stem}.{prepared.extension}", prepared.content, prepared.content_type)
