"""Who released a post: read from the audit ledger, apart from the other selectors because the
post model shows it (its admin status panel) and the selectors import the models."""

from django.contrib.auth import get_user_model

from audit.models import LedgerEvent


def post_release(post) -> dict | None:
    """Who released the post and when: the final approver of the chain that released its live
    content (not the author of the text), with every approver of that run. None if never released."""
    event = (
        LedgerEvent.objects.filter(object_type="post", object_id=str(post.pk), action="post.released")
        .order_by("-seq")
        .first()
    )
    if event is None:
        return None
    user = get_user_model().objects.filter(pk=event.actor_id).first() if event.actor_id else None
    return {
        "releaser": (user.get_full_name() or user.username) if user else event.actor,
        "at": event.at,
        "reviewers": event.data.get("reviewers", []),
    }
