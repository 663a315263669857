"""Signal receivers of the organisation core."""

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver
from wagtail.images import get_image_model

from audit import ledger

from .models import AgencyPage
from .services import permissions_sync_user


@receiver(user_logged_in, dispatch_uid="govcms.sync_on_login")
def sync_permissions_on_login(sender, request, user, **kwargs):
    """Derived permissions are recomputed at every login, so a session starts from the truth."""
    if not user.is_superuser:
        permissions_sync_user(user=user)


@receiver(post_save, sender=get_image_model(), dispatch_uid="govcms.ledger_image_upload")
def record_admin_image_upload(sender, instance, created, **kwargs):
    """Images created outside `govcms.services.image_store` (the Wagtail admin's upload views,
    made atomic by AtomicAdminWritesMiddleware) are ledgered here, in the saving transaction."""
    if not created or getattr(instance, "_govcms_ledgered", False):
        return
    agency = AgencyPage.objects.filter(media_collection__collection_id=instance.collection_id).first()
    ledger.record(
        action="image.uploaded",
        actor=instance.uploaded_by_user,
        obj=instance,
        object_type="image",
        data={
            "agency_id": agency.pk if agency else None,
            "title": instance.title,
            "width": instance.width,
            "height": instance.height,
            "size": instance.file_size,
            "via": "admin",
        },
        scope=agency.path if agency else "",
    )
