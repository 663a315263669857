"""Signal receivers: review steps are recorded as Wagtail opens them; the default chain exists."""

from django.db.models.signals import post_delete, post_migrate, post_save
from django.dispatch import receiver
from wagtail.signals import task_submitted

from .models import LeaderTitle, LexiconEntry
from .services import step_opened
from .signals import vocabulary_changed


@receiver(task_submitted, dispatch_uid="editorial.step_opened")
def record_opened_step(sender, instance, user=None, **kwargs):
    step_opened(task_state=instance, user=user)


def vocabulary_edited(sender, **kwargs):
    """One lexicon entry or leader pair saved or deleted (the admin's snippet screens)."""
    vocabulary_changed.send(sender=sender)


def ensure_default_chain_after_migrate(sender, using="default", **kwargs):
    """The default chain (reviewer → signer) is assigned to the tree root on every migrate — unless
    this migrate left out the tables it needs (e.g. `migrate audit` alone into a scratch database)."""
    from django.db import connections
    from wagtail.models import Page, Workflow

    from .chains import ensure_default_chain
    from .models import ReviewTask

    tables = set(connections[using].introspection.table_names())
    if {Page._meta.db_table, Workflow._meta.db_table, ReviewTask._meta.db_table} <= tables:
        ensure_default_chain()


def connect(app_config) -> None:
    for model in (LexiconEntry, LeaderTitle):
        name = model.__name__
        post_save.connect(vocabulary_edited, sender=model, dispatch_uid=f"editorial.vocabulary_saved.{name}")
        post_delete.connect(vocabulary_edited, sender=model, dispatch_uid=f"editorial.vocabulary_deleted.{name}")
    post_migrate.connect(ensure_default_chain_after_migrate, sender=app_config, dispatch_uid="editorial.default_chain")
