"""Wagtail's finish-workflow hook (WAGTAIL_FINISH_WORKFLOW_ACTION): the final approval releases.

Wagtail imports this module while defining its WorkflowState model, so it must not import
anything that needs the models at module level.
"""


def release_workflow_state(workflow_state, user=None):
    """Release the approved post; approvers need no publish permission (the chain is the authority)."""
    from .services import post_release

    post = workflow_state.content_object.specific
    if hasattr(post, "status"):
        post_release(post=post, user=user, workflow_state=workflow_state)
    else:  # a page type outside the editorial area keeps Wagtail's behaviour
        post.get_latest_revision().publish(user=user)
