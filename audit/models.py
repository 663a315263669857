"""The audit ledger and its daily anchors. Rows are written only by `audit.ledger`."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LedgerProblem(models.TextChoices):
    """The kinds of break `audit.ledger.verify` reports (docs/operations.md)."""

    BAD_MAC = "bad_mac", _("校验码不符")  # content or MAC altered, or an event forged without the key
    BROKEN_LINK = "broken_link", _("链接断裂")  # prev_hash is not the previous event's MAC
    GAP = "gap", _("中间缺失")  # events missing between two present ones
    TAIL_MISSING = "tail_missing", _("尾部缺失")  # an anchor seals events that are no longer there
    ANCHOR_MISMATCH = "anchor_mismatch", _("锚点不符")  # disagrees with the chain or the exported copy
    ANCHOR_BAD_SIGNATURE = "anchor_bad_signature", _("锚点签名无效")  # altered or made without the key
    UNKNOWN_KEY = "unknown_key", _("未知密钥")  # signed under a key id the settings do not list


class LedgerEvent(models.Model):
    """One event of the append-only, hash-chained audit ledger.

    `seq` is the primary key: it is the chain position, so it must be unique and gap-free, and
    a separate surrogate id would only cost a second index on every append. The actor is a
    snapshot (`actor_id` + username) rather than a foreign key, so deleting or renaming a user
    never touches, blocks on or rewrites ledger rows. `hash` is an HMAC-SHA256 under the key
    `kid` names (`audit.keys`), which the database never holds. On PostgreSQL triggers refuse
    UPDATE, DELETE and TRUNCATE (migrations 0002 and 0004).
    """

    seq = models.BigIntegerField(_("序号"), primary_key=True)
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor_id = models.BigIntegerField(_("操作人 ID"), null=True, blank=True)
    actor = models.CharField(_("操作人"), max_length=254, blank=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    user_agent = models.CharField(_("客户端标识"), max_length=512, blank=True)
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象 ID"), max_length=64, blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    scope = models.CharField(_("管辖范围"), max_length=255, blank=True, db_index=True)
    prev_hash = models.CharField(_("前一事件哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64)
    kid = models.CharField(_("密钥编号"), max_length=16)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_ledger_object_idx")]
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")

    def __str__(self):
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditAnchor(models.Model):
    """The ledger's head sealed at the end of one day (Asia/Shanghai), signed with the ledger key.

    `seq` and `head_hash` are the last event recorded by the end of `day` (0 and the genesis hash
    while there is none), `count` the number of events since the previous anchor. `signature` is
    `kid:hex` of an HMAC-SHA256 over day, seq, count and head hash. Anchors are exported to the
    supervising jurisdiction, so removing the newest events, or rewriting every event after an
    anchor, is detected even by someone able to rewrite both tables. Append-only like the ledger.
    """

    day = models.DateField(_("日期"), primary_key=True)
    seq = models.BigIntegerField(_("最后序号"))
    count = models.BigIntegerField(_("事件数"))
    head_hash = models.CharField(_("链头哈希"), max_length=64)
    signature = models.CharField(_("签名"), max_length=81)
    sealed_at = models.DateTimeField(_("封存时间"), default=timezone.now)

    class Meta:
        ordering = ["day"]
        verbose_name = _("审计锚点")
        verbose_name_plural = _("审计锚点")

    def __str__(self):
        return f"{self.day} #{self.seq}"
