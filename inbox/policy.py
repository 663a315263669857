"""Who may act on the interaction inbox: enter items by hand and acknowledge them, and who is told
when new ones arrive. Pure answers on the capability table (`govcms.capabilities`) and the actor's
assignments in force at `at`: None when allowed, else a `Refusal`."""

import logging
from dataclasses import replace
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


def _item_check(actor, capability: str, item, *, at, message: str) -> Refusal | None:
    """`capability` on the item's account, or on the agency handling it (an item routed or
    transferred to a department is handled there). Outside only when both are outside."""
    refusal = check(actor, capability, item.account.path, obj=item, at=at, message=message)
    if refusal is None or item.agency_id is None:
        return refusal
    on_agency = check(actor, capability, item.agency.path, obj=item, at=at, message=message)
    if on_agency is None:
        return None
    return refusal if not refusal.outside else on_agency


def may_move_item(actor, item, *, at: datetime | None = None) -> Refusal | None:
    """Assign, transfer or mark complex an item (`inbox.handle` on its account or its agency)."""
    return _item_check(actor, "inbox.handle", item, at=at, message=_("当前岗位无权分办或转办互动事项"))


def may_configure(actor, node, *, at: datetime | None = None) -> Refusal | None:
    """Edit the routing rules of an account or the inbox deadlines of an agency (`inbox.manage`)."""
    return check(actor, "inbox.manage", node.path, obj=node, at=at, message=_("当前岗位无权配置互动事项规则和时限"))


def may_decide_transfer(actor, transfer, *, at: datetime | None = None) -> Refusal | None:
    """Accept or decline a cross-jurisdiction transfer: an admin of the receiving agency (`inbox.manage`)."""
    message = _("只有接收单位的管理员可以接收或退回转办")
    refusal = check(actor, "inbox.manage", transfer.to_agency.path, obj=transfer, at=at, message=message)
    if refusal is not None and refusal.outside:
        # The requesting side sees the transfer (it is about their item): refused, not hidden.
        item = transfer.item
        places = [item.account.path] + ([item.agency.path] if item.agency_id else [])
        if any(caps.sees(actor, path, at=at) for path in places):
            return replace(refusal, outside=False)
    return refusal


def may_be_assigned(user, agency, *, at: datetime | None = None) -> bool:
    """Whether `user` (a person) can handle the items of `agency`: who may be named assignee."""
    return getattr(user, "is_authenticated", False) and caps.holds(user, "inbox.handle", agency.path, at=at)


def handler_roles() -> set[str]:
    """Who is reminded of an unassigned item's deadline (handlers on its agency or above)."""
    return caps.roles_with("inbox.handle") - {caps.GLOBAL_ROLE}


def escalation_roles() -> set[str]:
    """Who is told of an item left unanswered past its deadline (on its agency or above)."""
    return caps.roles_with("inbox.escalated") - {caps.GLOBAL_ROLE}


def transfer_deciders() -> set[str]:
    """Who is told of a transfer waiting for the receiving agency."""
    return caps.roles_with("inbox.manage") - {caps.GLOBAL_ROLE}


def may_reply(actor, item, *, at: datetime | None = None) -> Refusal | None:
    """Draft a reply to an item (`inbox.handle` on its account or its handling agency); approving it is the reply
    review's business (`editorial.policy.may_decide`: never the drafter)."""
    return _item_check(actor, "inbox.handle", item, at=at, message=_("当前岗位无权答复互动事项"))


def may_moderate(actor, item, *, at: datetime | None = None) -> Refusal | None:
    """Ask for a comment to be hidden or deleted (`inbox.handle`), approved in the same review."""
    return _item_check(actor, "inbox.handle", item, at=at, message=_("当前岗位无权处置评论"))


def may_retry_delivery(actor, item, *, confirmed_absent: bool = False, at: datetime | None = None) -> Refusal | None:
    """Send a failed reply or moderation again, as for a failed publication (`publication.retry`);
    one whose outcome was unknown once confirmed absent on the platform (`publication.confirm_absent`)."""
    capability = "publication.confirm_absent" if confirmed_absent else "publication.retry"
    return check(actor, capability, item.account.path, obj=item, at=at, message=_("当前岗位无权重试"))
