"""Replies (答复): drafted by someone who may handle the item, approved in the reply review
(`inbox.reviewing`), then posted once by `inbox.delivery`.

How an item is answered depends on where it came from:

- a comment: publicly, under it (WeChat `comment/reply/add`, which replaces the comment's reply,
  so a lost answer is simply retried; Weibo `comments/reply`, whose lost answer is looked up
  among the post's comments before anything is sent again);
- a WeChat follower's message: a customer-service message (`message/custom/send`), only within
  48 hours of the follower's last message to the account — checked when the reply is drafted and
  again before it is sent; past that, the reply is refused and the item must be answered another
  way (phone, letter), which the refusal says;
- an item entered by hand: the answer is given off the platforms; the approved reply is recorded
  and nothing is sent.

The item becomes answered (`answered_at`) when its reply is done. A reply with `publish_as_qa`
and the author's consent then goes to the agency's public Q&A page (`inbox.qa`).
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import ledger
from editorial.content import weibo_weighted_length
from editorial.services import text_findings
from govcms.capabilities import person, require
from govcms.services import ServiceError
from publishing.backends import base

from . import delivery, policy, qa, reviewing
from .models import TEXT_LIMIT, DeliveryStatus, InboxItem, ItemKind, ItemStatus, Moderation, Reply
from .moderation import moderation_out
from .text import sanitize_text

logger = logging.getLogger(__name__)

# WeChat's customer-service window after the follower's last message (platforms.md).
MESSAGE_WINDOW = timedelta(hours=48)
# Limits of a reply's text: Weibo `comments/reply` ≤ 140 weighted characters; a WeChat text
# message ≤ 2048 bytes (UTF-8); a WeChat comment reply (undocumented: we keep to the same 2048
# bytes); an answer given off the platforms ≤ TEXT_LIMIT characters.
WEIBO_REPLY_MAX = 140
WECHAT_TEXT_MAX_BYTES = 2048
PENDING = (DeliveryStatus.IN_REVIEW, DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.UNKNOWN)


def _refuse_length(item: InboxItem, body: str) -> None:
    if item.kind == ItemKind.MANUAL:
        limit, actual, unit = TEXT_LIMIT, len(body), "characters"
    elif item.platform == "weibo":
        limit, actual, unit = WEIBO_REPLY_MAX, weibo_weighted_length(body), "weighted_characters"
    else:
        limit, actual, unit = WECHAT_TEXT_MAX_BYTES, len(body.encode("utf-8")), "bytes"
    if actual > limit:
        raise ServiceError(
            "reply_too_long",
            _("答复超出平台长度限制（上限 %(limit)s，当前 %(actual)s）") % {"limit": limit, "actual": actual},
            status=422,
            details={"limit": limit, "actual": actual, "unit": unit},
        )


def message_window_end(item: InboxItem):
    """When the customer-service window of a WeChat message item closes: 48 hours after the
    follower's latest message to the account (any item of theirs, this one or a later one)."""
    latest = (
        InboxItem.objects.filter(account_id=item.account_id, kind=ItemKind.MESSAGE, author=item.author)
        .order_by("-received_at")
        .values_list("received_at", flat=True)
        .first()
    )
    return max(latest or item.received_at, item.received_at) + MESSAGE_WINDOW


def refuse_closed_window(item: InboxItem, *, now=None) -> None:
    """ServiceError(409 reply_window_closed) for a WeChat message past its 48-hour window."""
    if item.kind != ItemKind.MESSAGE:
        return
    closes = message_window_end(item)
    if (now or timezone.now()) > closes:
        raise ServiceError(
            "reply_window_closed",
            _(
                "用户最后一条消息已超过 48 小时，微信不再允许通过客服消息答复："
                "请通过电话、来信等其他方式答复该事项，并在系统中记录"
            ),
            status=409,
            details={"window_closed_at": closes.isoformat()},
        )


def refuse_blocking_findings(text: str, platform: str) -> None:
    findings = text_findings(text=text, platform=platform)
    if any(f["severity"] == "block" for f in findings):
        raise ServiceError(
            "content_blocked", _("答复未通过内容检查，请修改后再提交"), status=422, details={"checks": findings}
        )


def reply_draft(
    *, actor, item: InboxItem, body: str, publish_as_qa: bool = False, author_consent: bool = False
) -> Reply:
    """Draft a reply and open its review. Refusals (ServiceError): empty_body / reply_too_long /
    content_blocked / consent_required (422), item_closed / reply_pending / reply_window_closed (409)."""
    require(policy.may_reply(actor, item))
    text, _cut = sanitize_text(body)
    if not text:
        raise ServiceError("empty_body", _("答复内容不能为空"), status=422)
    _refuse_length(item, text)
    if publish_as_qa and not author_consent:
        raise ServiceError("consent_required", _("公开为部门答疑须经提问人同意（author_consent）"), status=422)
    refuse_blocking_findings(text, item.platform)
    with transaction.atomic():
        item = InboxItem.objects.select_for_update().select_related("account").get(pk=item.pk)
        if item.status == ItemStatus.CLOSED:
            raise ServiceError("item_closed", _("该事项已办结"), status=409)
        if Reply.objects.filter(item=item, status__in=PENDING).exists():
            raise ServiceError("reply_pending", _("该事项已有待审核或待发送的答复"), status=409)
        refuse_closed_window(item)
        step = reviewing.open_review(actor=actor, item=item, step_name=_("答复审核"), note=text)
        reply = Reply.objects.create(
            item=item,
            body=text,
            publish_as_qa=publish_as_qa,
            author_consent=author_consent,
            requested_by=person(actor),
            review_step=step,
        )
        ledger.record(
            action="inbox.reply_drafted",
            actor=actor,
            obj=item,
            data={"reply_id": reply.pk, "task_id": step.pk, "publish_as_qa": publish_as_qa, "length": len(text)},
            scope=item.account.path,
        )
    return reply


# --- sending ------------------------------------------------------------------------------------


def _comment_id(item: InboxItem) -> str:
    """The platform's comment id from the item's platform id (`c:<msg_data_id>:<index>:<id>`
    for WeChat, `c:<id>` for Weibo)."""
    return item.platform_id.rsplit(":", 1)[-1]


def _send(reply: Reply, backend, credentials) -> dict:
    item = reply.item
    if item.kind == ItemKind.MESSAGE:
        refuse_closed_window(item)  # time passed in review: the window may have closed meanwhile
        return backend.send_message(credentials=credentials, recipient=item.author, text=reply.body)
    return backend.reply(
        credentials=credentials, platform_post_id=item.platform_post_id, comment_id=_comment_id(item), text=reply.body
    )


def _look(reply: Reply, backend, credentials) -> dict | None:
    """Settle an unknown outcome: WeChat replaces a comment's reply, so sending again is the look;
    Weibo's reply is looked for among the post's comments; a customer-service message cannot be."""
    item = reply.item
    if item.kind == ItemKind.COMMENT and backend.reply_replaces:
        return _send(reply, backend, credentials)
    if item.kind != ItemKind.COMMENT:
        raise base.OutcomeUnknown(_("微信客服消息无法查询是否已送达，请向用户核实后处理"), platform_code="no_lookup")
    return backend.find_reply(
        credentials=credentials, platform_post_id=item.platform_post_id, comment_id=_comment_id(item), text=reply.body
    )


def _done(reply: Reply, result: dict) -> None:
    """The reply reached the platform (or was given off it): the item is answered, once (and
    acknowledged then, if nobody acknowledged it before: an answer accepts the item)."""
    reply.platform_reply_id = str(result.get("id") or "")[:128]
    item = InboxItem.objects.select_for_update().get(pk=reply.item_id)
    if item.answered_at is None:
        item.answered_at = reply.done_at
    if item.acknowledged_at is None:
        item.acknowledged_at = item.answered_at
    if item.status != ItemStatus.CLOSED:
        item.status = ItemStatus.ANSWERED
    item._change_reason = "answered"
    item.save(update_fields=["answered_at", "acknowledged_at", "status"])
    ledger.record(
        action="inbox.answered",
        obj=item,
        data={
            "reply_id": reply.pk,
            "account_id": item.account_id,
            "in_time": bool(item.due_at is None or item.answered_at <= item.due_at),
        },
        scope=reply.item.account.path,
    )
    if reply.publish_as_qa and reply.author_consent:
        qa.qa_publish(reply=reply, item=item)


REPLY = delivery.register(
    delivery.Kind(
        name="reply",
        model=Reply,
        send=_send,
        look=_look,
        done=_done,
        offline=lambda reply: reply.item.kind == ItemKind.MANUAL,
    )
)


# --- reading --------------------------------------------------------------------------------------


def reply_out(reply: Reply) -> dict:
    """A reply as the API and the item's conversation show it."""
    return {
        "id": reply.pk,
        "kind": "reply",
        "body": reply.body,
        "status": reply.status,
        "publish_as_qa": reply.publish_as_qa,
        "author_consent": reply.author_consent,
        "task_id": reply.review_step_id,
        "requested_by": reply.requested_by.username if reply.requested_by_id else None,
        "requested_at": reply.requested_at,
        "approved_by": reply.approved_by.username if reply.approved_by_id else None,
        "done_at": reply.done_at,
        "error": {"code": reply.last_error_code, "message": reply.last_error} if reply.last_error else None,
        "qa_published_at": reply.qa_published_at,
    }


def conversation(item: InboxItem) -> list[dict]:
    """The item's replies and moderation requests, oldest first (two queries)."""
    rows = [reply_out(r) for r in Reply.objects.filter(item=item).select_related("requested_by", "approved_by")]
    rows += [
        moderation_out(m) for m in Moderation.objects.filter(item=item).select_related("requested_by", "approved_by")
    ]
    return sorted(rows, key=lambda r: (r["requested_at"], r["id"]))


def render_conversation(item: InboxItem) -> str:
    """The item's replies and moderation requests as an HTML fragment (`inbox/replies.html`), for
    the item detail screen to include."""
    from django.template.loader import render_to_string

    return render_to_string("inbox/replies.html", {"conversation": conversation(item)})
