"""Writes of the inbox: collection of comments, WeChat user messages, items entered by hand.

Exactly once: an item's (account, platform_id) is unique in the database and every insert is
ON CONFLICT DO NOTHING under it, so two overlapping collection runs, a message WeChat pushes
twice or a redelivered task store one item. Comment collection of a publication also holds its
`CollectionCursor` row lock for the run (a second run skips the publication meanwhile), fetches
only what is newer than the cursor, and advances the cursor in the same transaction as the
inserts: a run that fails (platform outage, worker killed) leaves the cursor where it was, and
the next run collects everything since, including what arrived during the outage.
Each write records its ledger event in its own transaction.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import ledger
from govcms.capabilities import person, require
from govcms.models import AccountPage
from govcms.services import ServiceError, notify
from govcms.workdays import WorkCalendar
from publishing.backends import base
from publishing.backends.registry import get_backend
from publishing.backends.wechat import split_post_id
from publishing.models import Publication
from publishing.services import account_credentials

from . import policy
from .deadlines import days_at, item_deadlines
from .models import TEXT_LIMIT, Channel, CollectionCursor, InboxItem, ItemKind, ItemStatus
from .routing import Router
from .text import sanitize_text

logger = logging.getLogger(__name__)

# Shown instead of the content of messages the inbox cannot keep as text.
PLACEHOLDERS = {
    "image": "[图片]",
    "voice": "[语音消息，请在公众平台收听]",
    "subscribe": "[关注了公众号]",
}


def _placed(account: AccountPage, received_at: datetime, *, text: str, publication=None, many=None) -> dict:
    """Where a new item goes and when it is due: its routing (`inbox.routing`) and deadlines
    (`inbox.deadlines`) as model fields. `many`: (Router, Days, WorkCalendar) loaded once for a
    batch of items of `account`."""
    router, days, calendar = many or (Router(account), None, WorkCalendar())
    return {
        **router.route(text=text, publication=publication).fields(),
        **item_deadlines(account, received_at, calendar=calendar, days=days),
    }


# --- comments on published posts -----------------------------------------------------------


@dataclass
class CollectResult:
    action: str  # "collected", "busy" (another run holds the cursor), "failed"
    new: int = 0
    error: str = ""


def _comment_platform_id(pub: Publication, comment: dict) -> str:
    if pub.platform == "wechat":
        _, msg_data_id = split_post_id(pub.platform_post_id)
        return f"c:{msg_data_id}:0:{comment['id']}"
    return f"c:{comment['id']}"


def comments_collect(publication_id: int) -> CollectResult:
    """Store the comments on one publication that are newer than its cursor, once.

    Holds the cursor's row lock (SKIP LOCKED: a concurrent run of the same publication returns
    "busy" at once) through the fetch, the inserts and the cursor update, all in one transaction.
    A platform failure rolls all of it back and notes the error on the cursor.
    """
    pub = Publication.objects.select_related("account").get(pk=publication_id)
    CollectionCursor.objects.get_or_create(publication=pub)
    backend = get_backend(pub.platform)
    try:
        with transaction.atomic():
            cursor = CollectionCursor.objects.select_for_update(skip_locked=True).filter(publication=pub).first()
            if cursor is None:
                return CollectResult("busy")
            credentials = account_credentials(pub.account_id)
            comments = backend.fetch_interactions(
                credentials=credentials, platform_post_id=pub.platform_post_id, since_id=cursor.since_id
            )
            # The account's own comments (our replies on Weibo) are answers, not items.
            new = _store_comments(pub, [c for c in comments if not _by_account(c, credentials)])
            now = timezone.now()
            if comments:
                cursor.since_id = max((str(c["id"]) for c in comments), key=int)
            cursor.collected += new
            cursor.last_success_at = cursor.last_attempt_at = now
            cursor.last_error = ""
            cursor.save()
            if new:
                ledger.record(
                    action="inbox.collected",
                    object_type="publication",
                    object_id=pub.pk,
                    data={"account_id": pub.account_id, "new": new, "since_id": cursor.since_id},
                    scope=pub.account.path,
                )
    except base.PlatformError as error:
        logger.warning("comment collection of publication %s failed: %s", pub.pk, error)
        CollectionCursor.objects.filter(publication=pub).update(
            last_attempt_at=timezone.now(), last_error=str(error)[:500]
        )
        return CollectResult("failed", error=str(error))
    if new:
        transaction.on_commit(lambda: _announce(pub.account_id, new))
    return CollectResult("collected", new=new)


def _by_account(comment: dict, credentials: base.Credentials) -> bool:
    return bool(credentials.uid) and str(comment.get("author_id") or "") == str(credentials.uid)


def _store_comments(pub: Publication, comments: list[dict]) -> int:
    """Insert the comments not stored yet (ON CONFLICT DO NOTHING); returns how many were new."""
    if not comments:
        return 0
    account = pub.account
    by_id = {_comment_platform_id(pub, c): c for c in comments}
    have = set(
        InboxItem.objects.filter(account=account, platform_id__in=list(by_id)).values_list("platform_id", flat=True)
    )
    many = (Router(account), days_at(account.path), WorkCalendar())
    now = timezone.now()
    rows = []
    for platform_id, comment in by_id.items():
        if platform_id in have:
            continue
        text, cut = sanitize_text(comment.get("text"))
        received_at = comment.get("created_at") or now
        rows.append(
            InboxItem(
                account=account,
                platform=pub.platform,
                kind=ItemKind.COMMENT,
                platform_id=platform_id,
                platform_post_id=pub.platform_post_id,
                publication=pub,
                author=str(comment.get("author") or "")[:128],
                text=text,
                text_truncated=cut,
                received_at=received_at,
                collected_at=now,
                **_placed(account, received_at, text=text, publication=pub, many=many),
            )
        )
    InboxItem.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _announce(account_id: int, count: int) -> None:
    """After commit: tell the account's editors and agency admins (on it or above) that new
    items arrived. Outside the storing transaction, so a mail problem never loses an item."""
    from editorial.services import users_with_role_at

    account = AccountPage.objects.filter(pk=account_id).first()
    if account is None:
        return
    notify(
        users=list(users_with_role_at(roles=policy.notified_roles(), path=account.path)),
        kind="inbox_new",
        message=_("%(account)s 收到 %(count)s 条新的评论或留言") % {"account": account.title, "count": count},
        obj=account,
    )


# --- WeChat user messages ----------------------------------------------------------------------


def wechat_message_received(*, account: AccountPage, message: dict) -> InboxItem | None:
    """Store one user message or subscribe event pushed to the account's callback
    (`publishing.backends.wechat.parse_user_message`), once per dedup key; None when it was
    stored before (WeChat pushes again when it got no answer within 5 seconds)."""
    text, cut = sanitize_text(message["content"]) if message["msg_type"] == "text" else ("", False)
    if not text:
        text = PLACEHOLDERS.get(message["msg_type"], "")
    with transaction.atomic():
        # get_or_create under the unique constraint: a concurrent push that inserts first makes
        # this one's INSERT fail inside a savepoint, and the existing row is returned instead.
        item, created = InboxItem.objects.get_or_create(
            account=account,
            platform_id=message["dedup_key"],
            defaults={
                "platform": "wechat",
                "kind": ItemKind.MESSAGE,
                "author": message["openid"][:128],
                "text": text,
                "text_truncated": cut,
                "message_type": message["msg_type"],
                "received_at": message["created_at"],
                **_placed(account, message["created_at"], text=text),
            },
        )
        if not created:
            return None  # stored by an earlier push
        ledger.record(
            action="inbox.received",
            obj=item,
            data={"account_id": account.pk, "kind": item.kind, "message_type": item.message_type},
            scope=account.path,
        )
        transaction.on_commit(lambda: _announce(account.pk, 1))
    return item


# --- items entered by hand -------------------------------------------------------------------


def item_enter(
    *, actor, account: AccountPage, text: str, author: str = "", channel: str, received_at: datetime | None = None
) -> InboxItem:
    """An item that reached the agency off the platforms (phone, letter, 12345 hotline referral),
    typed in by someone who may handle the account's inbox."""
    require(policy.may_enter_item(actor, account))
    if channel not in Channel.values or channel == Channel.PLATFORM:
        raise ServiceError("invalid_channel", _("渠道必须是电话、来信、12345 热线转办或其他"), status=422)
    clean, cut = sanitize_text(text)
    if not clean:
        raise ServiceError("empty_text", _("内容不能为空"), status=422)
    if cut:
        raise ServiceError("text_too_long", _("内容不能超过 %(limit)s 个字符") % {"limit": TEXT_LIMIT}, status=422)
    now = timezone.now()
    received_at = received_at or now
    if received_at > now:
        raise ServiceError("invalid_received_at", _("收到时间不能晚于当前时间"), status=422)
    author_clean, _cut = sanitize_text(author)
    with transaction.atomic():
        item = InboxItem.objects.create(
            account=account,
            platform=account.platform,
            kind=ItemKind.MANUAL,
            channel=channel,
            author=author_clean[:128],
            text=clean,
            received_at=received_at,
            created_by=person(actor),
            **_placed(account, received_at, text=clean),
        )
        ledger.record(
            action="inbox.entered",
            actor=actor,
            obj=item,
            data={"account_id": account.pk, "channel": channel},
            scope=account.path,
        )
    return item


# --- handling ------------------------------------------------------------------------------------


def item_acknowledge(*, actor, item: InboxItem) -> InboxItem:
    """Mark an open item acknowledged (受理) now; the acknowledgement deadline is met or not by
    this moment. Acknowledging twice changes nothing."""
    require(policy.may_handle_item(actor, item))
    with transaction.atomic():
        item = InboxItem.objects.select_for_update().get(pk=item.pk)
        if item.acknowledged_at is not None:
            return item
        item.acknowledged_at = timezone.now()
        if item.status == ItemStatus.OPEN:
            item.status = ItemStatus.ACKNOWLEDGED
        item._change_reason = "acknowledged"
        item.save(update_fields=["acknowledged_at", "status"])
        ledger.record(
            action="inbox.acknowledged",
            actor=actor,
            obj=item,
            data={
                "account_id": item.account_id,
                "in_time": bool(item.ack_due_at and item.acknowledged_at <= item.ack_due_at),
            },
            scope=item.account.path,
        )
    return item
