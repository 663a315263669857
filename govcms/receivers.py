"""Signal receivers of the organisation core."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .services import permissions_sync_user


@receiver(user_logged_in, dispatch_uid="govcms.sync_on_login")
def sync_permissions_on_login(sender, request, user, **kwargs):
    """Derived permissions are recomputed at every login, so a session starts from the truth."""
    if not user.is_superuser:
        permissions_sync_user(user=user)
