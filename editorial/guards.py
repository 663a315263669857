"""What keeps reviewed content exactly as it was approved, whatever entry point is used.

The rules (see docs/product.md, "只发布审核通过的版本"):

- A post's content changes only while it is a draft or was sent back (`EDITABLE_STATUSES`). Once
  submitted it is frozen: in review, approved, scheduled, published or withdrawn, no new revision
  is saved — not by the editor's save, publish, submit, revert or autosave, not by the API. A
  correction of a released post is a withdrawal (撤回) and a new post through the whole chain.
- Only the review chain's release puts a post on the site, and only the revision the chain
  approved: the final approval's review record pins it (`ReviewRecord.final`), and the page may
  go live, or change its live revision, only inside `releasing(revision)` for that revision.
  Wagtail's own publish (the editor's action, bulk publish, revert-and-publish, scheduled
  publishing, copies kept live, aliases) is refused for posts.

Enforced in layers: the permission tester offers no publish action, a lock makes the editor
read-only, admin hooks answer attempts with a clear message, and the model refuses the write
itself (`refuse_new_revision`, `refuse_unreleased_live`) so a path nobody thought of still fails.
This module imports no models at import time (the page models import it).
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from wagtail.locks import BaseLock, WorkflowLock

from govcms.models import GovPagePermissionTester

from .statuses import EDITABLE_STATUSES, PostStatus

logger = logging.getLogger(__name__)

# The revision the editorial release is putting live right now (None outside a release).
_releasing: ContextVar[int | None] = ContextVar("govcms_releasing_revision", default=None)


@contextmanager
def releasing(revision) -> Iterator[None]:
    """Authorise `revision` (the approved one) to go live for the duration of the block."""
    token = _releasing.set(revision.pk)
    try:
        yield
    finally:
        _releasing.reset(token)


def frozen_message(status: str) -> str:
    """Why a post in `status` cannot be changed, and what to do instead."""
    label = PostStatus(status).label if status in PostStatus.values else status
    return _("“%(status)s”状态的内容不能修改") % {"status": label} + _(
        "：只有草稿或被退回的内容可以修改。审核中的内容请由审核人退回；已签发或已发布的内容如需更正，请申请撤回后重新起草并送审。"
    )


def is_frozen(post) -> bool:
    return post.status not in EDITABLE_STATUSES


def refuse_new_revision(post) -> None:
    """PermissionDenied unless the stored post is editable (its status read afresh: the caller's
    copy may have been loaded before a submission)."""
    if post.pk is None:
        return
    status = type(post).objects.filter(pk=post.pk).values_list("status", flat=True).first()
    if status is not None and status not in EDITABLE_STATUSES:
        logger.warning("refused a new revision of post %s in status %s", post.pk, status)
        raise PermissionDenied(frozen_message(status))


def refuse_unreleased_live(post, *, update_fields) -> None:
    """PermissionDenied when saving `post` would put it live, or change its live revision, outside
    the release of exactly that revision (`releasing`)."""
    if not post.live or (update_fields is not None and not {"live", "live_revision"} & set(update_fields)):
        return
    stored = None
    if not post._state.adding and post.pk is not None:
        stored = type(post).objects.filter(pk=post.pk).values_list("live", "live_revision_id").first()
    if stored == (True, post.live_revision_id):
        return  # already live with this revision: nothing new goes on the site
    if post.live_revision_id is not None and post.live_revision_id == _releasing.get():
        return
    logger.warning("refused to put post %s live with revision %s outside a release", post.pk, post.live_revision_id)
    raise PermissionDenied(_("内容只能经审核流程签发后上线，且只上线审核通过的版本"))


class PostPermissionTester(GovPagePermissionTester):
    """Nobody publishes or unschedules a post through Wagtail (superusers included): the review
    chain's release does, without publish rights. Editing stays possible to open the editor,
    where the lock below and the form refuse changes to frozen content."""

    def can_publish(self):
        return False

    def can_unschedule(self):
        return False


class FrozenContentLock(BaseLock):
    """The editor's lock on a post that was submitted: read-only for everyone, with the reason."""

    def for_user(self, user):
        return True

    def get_message(self, user):
        return frozen_message(self.object.status)

    def get_locked_by(self, user):
        return _("已送审或已签发，内容锁定")

    def get_description(self, user):
        return _("只有草稿或被退回的内容可以修改")


class ReviewStepLock(WorkflowLock):
    """Wagtail's workflow lock on a post whose review step is open, in the review's own words.

    Wagtail's says "only reviewers for this task can edit": misleading here, since nobody changes
    submitted content (PostPageForm refuses it); the step's approvers use the editor only to decide.
    Who is let in is Wagtail's test (`ReviewTask.locked_for_user`), unchanged."""

    def get_message(self, user):
        names = {"task": self.task.name}
        if self.for_user(user):
            return _("送审中：正在“%(task)s”环节审核，内容已锁定，由本环节的审核人通过或退回修改。") % names
        return _("您是“%(task)s”环节的审核人：请在页面底部选择“通过”或“退回修改”。送审的内容不能修改。") % names

    def get_icon(self, user, can_lock=False):
        return "lock"

    def get_locked_by(self, user, can_lock=False):
        return _("审核中，内容锁定")

    def get_description(self, user, can_lock=False):
        return _("送审的内容不能修改：审核人只能通过或退回修改")
