"""Signal receivers: review steps are recorded as Wagtail opens them; the default chain exists."""

from django.db.models.signals import post_migrate
from django.dispatch import receiver
from wagtail.signals import task_submitted

from .services import step_opened


@receiver(task_submitted, dispatch_uid="editorial.step_opened")
def record_opened_step(sender, instance, user=None, **kwargs):
    step_opened(task_state=instance, user=user)


def ensure_default_chain_after_migrate(sender, **kwargs):
    """The default chain (reviewer → signer) is assigned to the tree root on every migrate."""
    from .chains import ensure_default_chain

    ensure_default_chain()


def connect(app_config) -> None:
    post_migrate.connect(ensure_default_chain_after_migrate, sender=app_config, dispatch_uid="editorial.default_chain")
