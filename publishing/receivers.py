"""Publishing reacts to editorial releases (editorial never imports this app)."""

from django.db import transaction
from django.dispatch import receiver

from editorial.signals import post_released, post_withdrawn

from .models import Publication, PublicationStatus
from .services import publication_enqueue


@receiver(post_released, dispatch_uid="publishing.enqueue_on_release")
def enqueue_on_release(sender, post, revision, reviewers, **kwargs):
    publication_enqueue(post=post, revision=revision, reviewers=reviewers)


@receiver(post_withdrawn, dispatch_uid="publishing.withdraw_on_approval")
def withdraw_on_approval(sender, post, reason, actor, **kwargs):
    from .tasks import withdraw_publication

    for pk in Publication.objects.filter(post=post, status=PublicationStatus.PUBLISHED).values_list("pk", flat=True):
        transaction.on_commit(lambda pk=pk: withdraw_publication.delay(pk))
