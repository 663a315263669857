"""Supervision data: auditors' findings, assessment schemes (versioned), comment-closure periods.

Everything a past report needs is a timestamp here, never a current flag: a finding counts as
confirmed at D when `confirmed_at` ≤ D (and it was not dismissed first), a scheme version is in
force from its `created_at`, comments were closed at D when a closure period covers D. Rows are
never deleted; edits make new rows or fill the closing timestamp.
"""

import logging

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from govcms.models import AccountPage, AgencyPage

logger = logging.getLogger(__name__)


class FindingKind(models.TextChoices):
    SERIOUS_MISSTATEMENT = "serious_misstatement", _("严重表述错误")
    SECURITY_INCIDENT = "security_incident", _("安全泄密事件")
    FAKE_ENGAGEMENT = "fake_engagement", _("虚假互动（买粉刷量）")
    CONTENT = "content", _("内容问题")


class FindingStatus(models.TextChoices):
    OPEN = "open", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    DISMISSED = "dismissed", _("已排除")


# The kinds that are vetoes (单项否决) once confirmed; "content" findings are not by themselves.
VETO_KINDS = (FindingKind.SERIOUS_MISSTATEMENT, FindingKind.SECURITY_INCIDENT, FindingKind.FAKE_ENGAGEMENT)


class Finding(models.Model):
    """An auditor's finding against an account: open, then confirmed or dismissed (once).

    `occurred_at` is when the problem happened (e.g. the post's publication); a confirmed finding
    of a veto kind vetoes the account in every report whose period contains `occurred_at` and whose
    date is on or after `confirmed_at`. Status changes only through `oversight.services`.
    """

    account = models.ForeignKey(AccountPage, on_delete=models.PROTECT, related_name="findings")
    kind = models.CharField(_("类型"), max_length=32, choices=FindingKind.choices)
    status = models.CharField(_("状态"), max_length=16, choices=FindingStatus.choices, default=FindingStatus.OPEN)
    evidence = models.TextField(_("证据"), blank=True)
    # Exact objects the finding is about, when it has them (a post revision, a publication).
    revision_id = models.BigIntegerField(_("修订版本"), null=True, blank=True)
    publication_id = models.BigIntegerField(_("发布记录"), null=True, blank=True)
    occurred_at = models.DateTimeField(_("发生时间"), default=timezone.now)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    dismissed_at = models.DateTimeField(_("排除时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_comment = models.TextField(_("处理意见"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("监管发现")
        verbose_name_plural = _("监管发现")
        indexes = [models.Index(fields=["account", "kind", "confirmed_at"], name="finding_account_confirmed")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(confirmed_at__isnull=True) | models.Q(dismissed_at__isnull=True),
                name="finding_decided_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} · {self.account_id} ({self.status})"
