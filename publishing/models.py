"""Publications: what reached (or is on its way to) a platform, and every attempt to get it there.

One Publication per (post revision × account) — the unique constraint is what makes a duplicate
enqueue or a redelivered task harmless. `in_flight_since` is written and committed *before* a
non-idempotent platform call, so a worker killed mid-call leaves evidence: whoever picks the job up
next reconciles with the platform instead of publishing again.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from wagtail.models import Page, Revision

from govcms.models import AccountPage


class PublicationStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    PUBLISHING = "publishing", _("发布中")
    PUBLISHED = "published", _("已发布")
    FAILED = "failed", _("失败")
    UNKNOWN = "unknown", _("结果未知（待人工核对）")
    WITHDRAWN = "withdrawn", _("已撤回")


FINAL_STATUSES = {
    PublicationStatus.PUBLISHED,
    PublicationStatus.FAILED,
    PublicationStatus.UNKNOWN,
    PublicationStatus.WITHDRAWN,
}


class Publication(models.Model):
    """The publication record: platform ids, URL, published-content hash, reviewer names, time."""

    post = models.ForeignKey(Page, on_delete=models.PROTECT, related_name="publications")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(AccountPage, on_delete=models.PROTECT, related_name="account_publications")
    platform = models.CharField(_("平台"), max_length=16)
    status = models.CharField(
        _("状态"), max_length=16, choices=PublicationStatus.choices, default=PublicationStatus.QUEUED, db_index=True
    )
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    in_flight_since = models.DateTimeField(null=True, blank=True)
    job_id = models.CharField(_("平台任务号"), max_length=128, blank=True)
    platform_post_id = models.CharField(_("平台内容 ID"), max_length=128, blank=True)
    url = models.URLField(_("链接"), max_length=1000, blank=True)
    content_hash = models.CharField(_("发布内容哈希"), max_length=64, blank=True)
    reviewers = models.JSONField(_("审核人员"), default=list)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    last_error_code = models.CharField(_("平台错误码"), max_length=64, blank=True)
    last_error = models.TextField(_("错误信息"), blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When a call whose outcome is unknown was sent (timeout, 5xx, Weibo 20032, a worker lost
    # mid-call). Until the publication is settled the item may be on the platform already: it is
    # looked for before anything is sent again, and a duplicate refusal of a later share means
    # that call landed. Kept after a person's retry, which then stays protected the same way.
    unsettled_since = models.DateTimeField(null=True, blank=True)
    # Seconds after `unsettled_since` of the looks on the platform still to make (Weibo 20032:
    # [120, 300]); the next run is a look, not a share, while this is not empty.
    looks_due = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["in_flight_since", "looks_due", "updated_at"])

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["revision", "account"], name="publication_once_per_revision")]
        verbose_name = _("发布记录")
        verbose_name_plural = _("发布记录")

    def __str__(self) -> str:
        return f"{self.platform} publication of post {self.post_id} ({self.status})"


class PublicationAttempt(models.Model):
    """One try: what was asked of the platform (summaries, never secrets), what it answered, how long."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, default="publish")  # publish / poll / reconcile / withdraw
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    request_summary = models.JSONField(default=list)
    response = models.JSONField(null=True, blank=True)
    outcome = models.CharField(max_length=16, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)

    class Meta:
        ordering = ["publication", "number", "id"]

    def __str__(self) -> str:
        return f"attempt {self.number} of publication {self.publication_id}: {self.outcome or 'in flight'}"
