"""The interaction inbox (部门答疑): the public's comments and messages, collected once.

One `InboxItem` per platform item: the pair (account, platform_id) is unique, so a comment
collected by two overlapping runs, or a WeChat message pushed twice, is stored once (the insert is
ON CONFLICT DO NOTHING under that constraint). Items entered by hand have no platform id.
`CollectionCursor` remembers, per publication, the newest comment stored; it is row-locked while
a run collects, so runs of the same publication never interleave.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from govcms.models import AccountPage, AgencyPage
from publishing.models import Publication

# Stored text is cut to this many characters (a Weibo comment is ≤ 140, a WeChat message ≤ 2048
# bytes; a letter typed in by hand may be longer, and the original stays with the sender).
TEXT_LIMIT = 2000


class ItemKind(models.TextChoices):
    COMMENT = "comment", _("评论")
    MESSAGE = "message", _("私信留言")
    MANUAL = "manual", _("人工录入")


class ItemStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    ACKNOWLEDGED = "acknowledged", _("已受理")
    ANSWERED = "answered", _("已答复")
    CLOSED = "closed", _("已办结")
    # Open or acknowledged past its answer deadline. The API derives it from `due_at` (so it is
    # exact at any moment); the deadline upkeep may also store it.
    OVERDUE = "overdue", _("已逾期")


class Channel(models.TextChoices):
    """Where an item came from: the platform, or (entered by hand) how it reached the agency."""

    PLATFORM = "platform", _("平台")
    PHONE = "phone", _("电话")
    LETTER = "letter", _("来信")
    HOTLINE = "hotline", _("12345 热线转办")
    OTHER = "other", _("其他")


class InboxItem(models.Model):
    """One comment, message or hand-entered item addressed to an account.

    `platform_id` is the platform's identity of the item within the account, prefixed by kind:
    `c:<msg_data_id>:<index>:<user_comment_id>` (WeChat comment), `c:<comment id>` (Weibo),
    `m:<MsgId>` (WeChat message), `e:<openid>:<CreateTime>` (WeChat event, which has no MsgId);
    blank for items entered by hand. `author` is the handle the platform gives (WeChat openid,
    Weibo screen name) and nothing more. `text` is plain text, sanitised and at most TEXT_LIMIT.
    """

    account = models.ForeignKey(AccountPage, on_delete=models.PROTECT, related_name="inbox_items")
    platform = models.CharField(_("平台"), max_length=16)
    kind = models.CharField(_("类型"), max_length=16, choices=ItemKind.choices)
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices, default=Channel.PLATFORM)
    platform_id = models.CharField(_("平台 ID"), max_length=200, blank=True)
    platform_post_id = models.CharField(_("平台内容 ID"), max_length=128, blank=True)
    publication = models.ForeignKey(
        Publication, verbose_name=_("来源内容"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    author = models.CharField(_("作者"), max_length=128, blank=True)
    text = models.TextField(_("内容"))
    text_truncated = models.BooleanField(_("内容已截断"), default=False)
    message_type = models.CharField(_("消息类型"), max_length=16, blank=True)  # text / image / voice / subscribe
    received_at = models.DateTimeField(_("收到时间"), db_index=True)
    collected_at = models.DateTimeField(_("入库时间"), default=timezone.now)
    status = models.CharField(_("状态"), max_length=16, choices=ItemStatus.choices, default=ItemStatus.OPEN)
    # Deadlines in working days from `received_at` (govcms.workdays, the account's jurisdiction).
    ack_due_at = models.DateTimeField(_("受理期限"), null=True, blank=True)
    due_at = models.DateTimeField(_("答复期限"), null=True, blank=True, db_index=True)
    # Deadline upkeep (inbox.deadlines): a complex item (复杂事项) has the longer answer deadline;
    # the reminder goes out from `remind_at`, the item is marked overdue after `due_at` and
    # escalated to the agency admins from `escalate_at`, each once (the *_at of doing it is set).
    is_complex = models.BooleanField(_("复杂事项"), default=False)
    remind_at = models.DateTimeField(_("提醒时间"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("已提醒"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("标记逾期时间"), null=True, blank=True)
    escalate_at = models.DateTimeField(_("升级时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("已升级"), null=True, blank=True)
    routing_rule = models.ForeignKey(
        "inbox.RoutingRule",
        verbose_name=_("分办规则"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    agency = models.ForeignKey(
        AgencyPage, verbose_name=_("承办单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inbox_items",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("互动事项")
        verbose_name_plural = _("互动事项")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "platform_id"],
                condition=~models.Q(platform_id=""),
                name="inbox_item_once_per_platform_id",
            )
        ]
        indexes = [models.Index(fields=["account", "status", "-received_at"], name="inbox_account_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} · {self.account_id}"


class CollectionCursor(models.Model):
    """How far comment collection of one publication has got: the platform id of the newest
    comment stored (`since_id`), when it last succeeded, and the last failure (for an outage the
    next run resumes from `since_id`, so comments that arrived meanwhile are collected then)."""

    publication = models.OneToOneField(Publication, on_delete=models.CASCADE, related_name="collection_cursor")
    since_id = models.CharField(max_length=64, blank=True)
    collected = models.PositiveIntegerField(default=0)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"cursor of publication {self.publication_id} at {self.since_id or '-'}"


# --- routing, transfers and deadlines (inbox.routing, inbox.moves, inbox.deadlines) ---------------


class RoutingRule(models.Model):
    """Where an account's new items go (分办规则): the first active rule by `priority` (then id)
    whose conditions all hold sends the item to `agency` and, when set, to `assignee`; an item no
    rule matches stays with the account's own agency. A condition left empty always holds:
    `keywords` (one per line or comma-separated; any of them in the text), `post` (the item
    comments on a publication of that post), `campaign` (… of a post in that campaign).

    `agency` lies in the account's jurisdiction (`inbox.routing.jurisdiction_of`) and `assignee`
    may handle that agency's items; `inbox.routing.rule_save` enforces both.
    """

    account = models.ForeignKey(
        AccountPage, verbose_name=_("账号"), on_delete=models.CASCADE, related_name="inbox_routing_rules"
    )
    name = models.CharField(_("规则名称"), max_length=100)
    priority = models.PositiveIntegerField(_("优先级"), default=100, help_text=_("数字小的规则先匹配"))
    keywords = models.TextField(_("关键词"), blank=True, help_text=_("每行一个或用逗号分隔；内容包含任一关键词即匹配"))
    post = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("来源内容"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    campaign = models.ForeignKey(
        "editorial.Campaign",
        verbose_name=_("联动专题"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    agency = models.ForeignKey(AgencyPage, verbose_name=_("承办单位"), on_delete=models.CASCADE, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承办人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    active = models.BooleanField(_("启用"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["account", "priority", "id"]
        verbose_name = _("分办规则")
        verbose_name_plural = _("分办规则")

    def __str__(self) -> str:
        return self.name

    def keyword_list(self) -> list[str]:
        return [k.strip() for k in self.keywords.replace("，", ",").replace("\n", ",").split(",") if k.strip()]


class DeadlinePolicy(models.Model):
    """The inbox deadlines of one jurisdiction, in working days (答复时限): acknowledge, answer,
    and answer a complex item. The deepest agency with a row above an account decides for its
    items; with none, the settings' defaults (1 / 5 / 15). Applies to items received after a
    change (and to an item marked complex afterwards)."""

    agency = models.OneToOneField(
        AgencyPage, verbose_name=_("适用机构"), on_delete=models.CASCADE, related_name="inbox_deadlines"
    )
    ack_days = models.PositiveSmallIntegerField(_("受理时限（工作日）"), default=1)
    answer_days = models.PositiveSmallIntegerField(_("答复时限（工作日）"), default=5)
    complex_days = models.PositiveSmallIntegerField(_("复杂事项答复时限（工作日）"), default=15)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("互动事项办理时限")
        verbose_name_plural = _("互动事项办理时限")

    def __str__(self) -> str:
        return f"{self.agency_id}: {self.ack_days}/{self.answer_days}/{self.complex_days}"


class TransferStatus(models.TextChoices):
    PENDING = "pending", _("待接收")
    ACCEPTED = "accepted", _("已接收")
    DECLINED = "declined", _("已退回")


class InboxTransfer(models.Model):
    """A transfer of an item to an agency of another jurisdiction (跨辖区转办): the item stays with
    its agency until an admin of the receiving agency accepts (then it moves) or declines. At most
    one pending transfer per item."""

    item = models.ForeignKey(InboxItem, on_delete=models.CASCADE, related_name="transfers")
    from_agency = models.ForeignKey(
        AgencyPage, verbose_name=_("转出单位"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    to_agency = models.ForeignKey(AgencyPage, verbose_name=_("接收单位"), on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("转办理由"), max_length=500)
    status = models.CharField(_("状态"), max_length=16, choices=TransferStatus.choices, default=TransferStatus.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人")
    )
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decision_note = models.CharField(_("处理意见"), max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("跨辖区转办")
        verbose_name_plural = _("跨辖区转办")
        constraints = [
            models.UniqueConstraint(
                fields=["item"], condition=models.Q(status="pending"), name="inbox_transfer_one_pending"
            )
        ]

    def __str__(self) -> str:
        return f"transfer of item {self.item_id} to {self.to_agency_id} ({self.status})"


# --- replies and moderation (部门答疑: answered through review, then posted once) ----------------


class DeliveryStatus(models.TextChoices):
    """Where a reply or a moderation request is between its drafting and the platform."""

    IN_REVIEW = "in_review", _("待审核")
    REJECTED = "rejected", _("已退回")
    QUEUED = "queued", _("待发送")
    SENDING = "sending", _("发送中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    UNKNOWN = "unknown", _("结果未知（待人工核对）")


DELIVERY_FINAL = {DeliveryStatus.REJECTED, DeliveryStatus.DONE, DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN}


class PlatformAction(models.Model):
    """What replies and moderation requests share: the review step that approves them and the
    delivery state the sender (`inbox.delivery`) keeps, with the publishing pipeline's rules:
    `in_flight_since` is committed before a call with a public effect, so a worker lost mid-call
    leaves evidence and the next run reconciles instead of sending again."""

    item = models.ForeignKey(InboxItem, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("状态"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.IN_REVIEW, db_index=True
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    review_step = models.OneToOneField(
        "editorial.ReviewStep", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("审核通过时间"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    in_flight_since = models.DateTimeField(null=True, blank=True)
    # A call whose outcome is unknown was made: the next run looks on the platform, never resends.
    unsettled = models.BooleanField(default=False)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    last_error_code = models.CharField(_("平台错误码"), max_length=64, blank=True)
    last_error = models.TextField(_("错误信息"), blank=True)

    class Meta:
        abstract = True


class Reply(PlatformAction):
    """One answer to an item (plain text, sanitised, within the platform's limit), drafted by
    someone who may handle the item and approved in the reply review before it is posted: a
    comment reply (`comment/reply/add`, `comments/reply`), a customer-service message to a WeChat
    follower (within 48 hours of their last message), or, for an item entered by hand, the answer
    given off the platforms (recorded, nothing is sent). `publish_as_qa` with the author's consent
    (`author_consent`) puts the question and answer, personal data removed, on the agency's public
    Q&A page once the reply is done (`qa_published_at`)."""

    body = models.TextField(_("答复内容"))
    publish_as_qa = models.BooleanField(_("公开为部门答疑"), default=False)
    author_consent = models.BooleanField(_("提问人同意公开"), default=False)
    platform_reply_id = models.CharField(_("平台回复 ID"), max_length=128, blank=True)
    qa_question = models.TextField(_("公开的问题"), blank=True)
    qa_answer = models.TextField(_("公开的答复"), blank=True)
    qa_published_at = models.DateTimeField(_("公开时间"), null=True, blank=True, db_index=True)

    history = HistoricalRecords(excluded_fields=["in_flight_since"])

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("答复")
        verbose_name_plural = _("答复")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="inbox_reply_due")]

    def __str__(self) -> str:
        return f"reply #{self.pk} to item {self.item_id} ({self.status})"


class ModerationAction(models.TextChoices):
    HIDE = "hide", _("隐藏（取消精选）")
    DELETE = "delete", _("删除")


class Moderation(PlatformAction):
    """Hiding or deleting a harmful comment, with a reason, approved in the same one-step review."""

    action = models.CharField(_("处置"), max_length=16, choices=ModerationAction.choices)
    reason = models.TextField(_("理由"))

    history = HistoricalRecords(excluded_fields=["in_flight_since"])

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("评论处置")
        verbose_name_plural = _("评论处置")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="inbox_moderation_due")]

    def __str__(self) -> str:
        return f"{self.action} of item {self.item_id} ({self.status})"
