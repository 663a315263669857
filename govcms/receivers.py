"""Signal receivers of the organisation core."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from simple_history.models import HistoricalRecords
from wagtail.images import get_image_model

from audit import ledger

from .models import AgencyPage, CalendarDay
from .services import api_tokens_revoke_all, permissions_sync_user


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


def _request_user():
    """Who is making the current request (simple-history's middleware keeps the request), or
    None outside requests (management commands, tasks)."""
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


@receiver(post_save, sender=get_user_model(), dispatch_uid="govcms.revoke_tokens_on_user_save")
def revoke_tokens_on_password_change_or_deactivation(sender, instance, created, **kwargs):
    """A new password or a deactivation ends every API token of the user, whichever screen or
    command made it (the Wagtail user editor, the account's password page, the API, manage.py).

    `_password` holds the raw password from `set_password()` until the save that stores it has
    run (Django passes it to the validators' `password_changed` after this signal); a hash
    upgraded at login is saved without it, so only a real change revokes.
    """
    if created:
        return
    if getattr(instance, "_password", None) is not None:
        api_tokens_revoke_all(actor=_request_user(), user=instance, reason="password_changed")
    if not instance.is_active:
        api_tokens_revoke_all(actor=_request_user(), user=instance, reason="deactivated")


def _calendar_event(action: str, instance) -> None:
    request = getattr(HistoricalRecords.context, "request", None)
    ledger.record(
        action=action,
        actor=_request_user(),
        obj=instance,
        data={
            "date": instance.date.isoformat(),
            "kind": instance.kind,
            "name": instance.name,
            "source": instance.source,
            "jurisdiction_id": instance.jurisdiction_id,
            "via": "admin" if request is not None else "system",
        },
        scope=instance.jurisdiction.path if instance.jurisdiction_id else "",
    )


@receiver(post_save, sender=CalendarDay, dispatch_uid="govcms.ledger_calendar_save")
def record_calendar_day_saved(sender, instance, created, **kwargs):
    """A day added or changed on the working-day calendar (admin or shell) goes to the ledger in
    the saving transaction; the batch seeding of `services` records one event instead."""
    _calendar_event("calendar.day_added" if created else "calendar.day_changed", instance)


@receiver(post_delete, sender=CalendarDay, dispatch_uid="govcms.ledger_calendar_delete")
def record_calendar_day_deleted(sender, instance, **kwargs):
    _calendar_event("calendar.day_deleted", instance)
