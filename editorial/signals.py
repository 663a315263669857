"""Signals other areas react to (publishing listens; editorial never imports publishing)."""

from django.dispatch import Signal

# Sent inside the releasing transaction with post=<PostPage>, revision=<Revision>, reviewers=[usernames].
post_released = Signal()

# Sent when a signer approved a withdrawal (撤回), with post=<PostPage>, reason=<str>, actor=<user>.
post_withdrawn = Signal()

# Sent inside the deciding transaction for a review item that is not about a post's content
# (kind "reply": an inbox reply or moderation request, which the inbox owns), with
# step=<ReviewStep>, user=<user>, action="approve"|"reject", comment=<str>.
review_decided = Signal()

# Sent (inside the writing transaction) when the check lexicon or the leader register changed:
# an admin edit, an import, a register addition. Supervision re-checks what was published.
vocabulary_changed = Signal()
