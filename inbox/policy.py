"""Who may act on the interaction inbox: enter items by hand and acknowledge them, and who is told
when new ones arrive. Pure answers on the capability table (`govcms.capabilities`) and the actor's
assignments in force at `at`: None when allowed, else a `Refusal`."""

import logging
from datetime import datetime

from django.utils.translation import gettext as _

from govcms import capabilities as caps
from govcms.capabilities import Refusal, check

logger = logging.getLogger(__name__)


def may_enter_item(actor, account, *, at: datetime | None = None) -> Refusal | None:
    """Type in an item that reached `account`'s agency off the platforms (`inbox.handle`)."""
    return check(actor, "inbox.handle", account.path, obj=account, at=at, message=_("当前岗位无权录入互动事项"))


def may_handle_item(actor, item, *, at: datetime | None = None) -> Refusal | None:
    """Acknowledge (受理) an item of its account (`inbox.handle`)."""
    return check(actor, "inbox.handle", item.account.path, obj=item, at=at, message=_("当前岗位无权处理互动事项"))


def notified_roles() -> set[str]:
    """Who is told that new items arrived on an account (on it or above)."""
    return caps.roles_with("inbox.notified") - {caps.GLOBAL_ROLE}


def may_reply(actor, item, *, at: datetime | None = None) -> Refusal | None:
    """Draft a reply to an item of its account (`inbox.handle`); approving it is the reply
    review's business (`editorial.policy.may_decide`: never the drafter)."""
    return check(actor, "inbox.handle", item.account.path, obj=item, at=at, message=_("当前岗位无权答复互动事项"))


def may_moderate(actor, item, *, at: datetime | None = None) -> Refusal | None:
    """Ask for a comment to be hidden or deleted (`inbox.handle`), approved in the same review."""
    return check(actor, "inbox.handle", item.account.path, obj=item, at=at, message=_("当前岗位无权处置评论"))


def may_retry_delivery(actor, item, *, confirmed_absent: bool = False, at: datetime | None = None) -> Refusal | None:
    """Send a failed reply or moderation again, as for a failed publication (`publication.retry`);
    one whose outcome was unknown once confirmed absent on the platform (`publication.confirm_absent`)."""
    capability = "publication.confirm_absent" if confirmed_absent else "publication.retry"
    return check(actor, capability, item.account.path, obj=item, at=at, message=_("当前岗位无权重试"))
