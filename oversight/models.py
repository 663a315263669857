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
    # What content monitoring found ("<check rule>:<matched text>"): one finding per revision and
    # rule, whatever became of it (a dismissed one is not reopened by the next re-check).
    rule = models.CharField(_("检查规则"), max_length=255, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("监管发现")
        verbose_name_plural = _("监管发现")
        indexes = [models.Index(fields=["account", "kind", "confirmed_at"], name="finding_account_confirmed")]
        constraints = [
            models.UniqueConstraint(
                fields=["revision_id", "rule"], condition=~models.Q(rule=""), name="finding_once_per_revision_rule"
            ),
            models.CheckConstraint(
                condition=models.Q(confirmed_at__isnull=True) | models.Q(dismissed_at__isnull=True),
                name="finding_decided_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} · {self.account_id} ({self.status})"


class Scheme(models.Model):
    """One version of an assessment scheme (考核方案), immutable once written.

    The scheme of a jurisdiction is its `jurisdiction` agency's newest version created on or before
    the report's date; an account is assessed by the nearest jurisdiction up the tree that has one,
    else by the preset named by `GOVCMS_DEFAULT_SCHEME`. Presets (`jurisdiction` empty, `preset`
    set) are the shipped schemes ("national" pass/fail, "local_100" 100-point) a jurisdiction may
    copy. An edit writes a new version (`version` + 1 within its jurisdiction or preset).

    `deductions`: [{code, points, cap}] — `code` a warning code; `points` per occurrence; `cap` the
    most the item may deduct (null: no cap). `bonuses`: [{code, points, cap}] — `code` a counted
    figure ("posts", "answered_in_time"); `bonus_cap` bounds their sum. Score = 100 − deductions,
    plus the bonus when that reaches `excellent_line`; any veto makes it `veto_score`; an account
    passes with no veto and a score ≥ `pass_line`. `red_list_size` / `black_list_size` are the N
    of the weekly lists of the jurisdiction.
    """

    jurisdiction = models.ForeignKey(
        AgencyPage, null=True, blank=True, on_delete=models.PROTECT, related_name="schemes", verbose_name=_("辖区")
    )
    preset = models.CharField(_("预置方案"), max_length=32, blank=True)
    version = models.PositiveIntegerField(_("版本"))
    name = models.CharField(_("名称"), max_length=128)
    deductions = models.JSONField(_("扣分项"), default=list, blank=True)
    bonuses = models.JSONField(_("加分项"), default=list, blank=True)
    bonus_cap = models.DecimalField(_("加分上限"), max_digits=6, decimal_places=2, default=0)
    pass_line = models.DecimalField(_("合格线"), max_digits=6, decimal_places=2, default=60)
    excellent_line = models.DecimalField(_("优秀线"), max_digits=6, decimal_places=2, default=80)
    veto_score = models.DecimalField(_("否决计分"), max_digits=6, decimal_places=2, default=59)
    red_list_size = models.PositiveIntegerField(_("红榜名额"), default=10)
    black_list_size = models.PositiveIntegerField(_("黑榜名额"), default=10)
    created_at = models.DateTimeField(_("生效时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["jurisdiction_id", "preset", "version"]
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "version"],
                condition=models.Q(jurisdiction__isnull=False),
                name="scheme_version_per_jurisdiction",
            ),
            models.UniqueConstraint(
                fields=["preset", "version"],
                condition=models.Q(jurisdiction__isnull=True),
                name="scheme_version_per_preset",
            ),
            models.CheckConstraint(
                condition=models.Q(jurisdiction__isnull=False) | ~models.Q(preset=""), name="scheme_has_an_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def scope(self) -> str:
        """`agency-<id>` for a jurisdiction's scheme, `preset-<name>` for a shipped one."""
        return f"agency-{self.jurisdiction_id}" if self.jurisdiction_id else f"preset-{self.preset}"


class CommentClosure(models.Model):
    """A period during which an account's comments were closed (评论区关闭): from `closed_at` until
    `reopened_at` (open-ended while still closed). Kept as periods so a past report knows."""

    account = models.ForeignKey(AccountPage, on_delete=models.PROTECT, related_name="comment_closures")
    closed_at = models.DateTimeField(_("关闭时间"), default=timezone.now)
    reopened_at = models.DateTimeField(_("重新开放时间"), null=True, blank=True)
    reason = models.TextField(_("理由"), blank=True)

    class Meta:
        ordering = ["account_id", "closed_at"]
        verbose_name = _("评论区关闭")
        verbose_name_plural = _("评论区关闭")

    def __str__(self) -> str:
        return f"comments of {self.account_id} closed {self.closed_at:%Y-%m-%d}"


class SpotCheck(models.Model):
    """A spot check (抽查) of an agency's subtree: `sample_size` accounts drawn from `population`
    (the ids of the accounts in the subtree that could be drawn, ascending) by `random.Random(seed)`
    — the same seed on the same population draws the same sample, so a draw can be re-done and
    verified. `quarter` ("2026-Q1") is the quarter of `created_at`, for the quarterly history."""

    agency = models.ForeignKey(AgencyPage, on_delete=models.PROTECT, related_name="spot_checks", verbose_name=_("辖区"))
    seed = models.BigIntegerField(_("随机种子"))
    sample_size = models.PositiveIntegerField(_("抽查数量"))
    population = models.JSONField(_("抽取范围"), default=list)
    accounts = models.JSONField(_("抽中账号"), default=list)
    quarter = models.CharField(_("季度"), max_length=7, db_index=True)
    created_at = models.DateTimeField(_("抽取时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("抽查")
        verbose_name_plural = _("抽查")

    def __str__(self) -> str:
        return f"spot check #{self.pk} of {self.agency_id} ({self.quarter})"


class SpotCheckResult(models.Model):
    """The result for one drawn account: passed or not, with the auditor's findings (short texts).
    Recording again replaces it (the earlier answers stay in the history and the ledger)."""

    spot_check = models.ForeignKey(SpotCheck, on_delete=models.PROTECT, related_name="results")
    account = models.ForeignKey(AccountPage, on_delete=models.PROTECT, related_name="+")
    passed = models.BooleanField(_("是否合格"))
    findings = models.JSONField(_("发现问题"), default=list, blank=True)
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["spot_check_id", "account_id"]
        verbose_name = _("抽查结果")
        verbose_name_plural = _("抽查结果")
        constraints = [models.UniqueConstraint(fields=["spot_check", "account"], name="spot_check_result_once")]

    def __str__(self) -> str:
        return f"{self.spot_check_id}/{self.account_id}: {'pass' if self.passed else 'fail'}"


class CaseStatus(models.TextChoices):
    OPEN = "open", _("待答复")
    RESPONDED = "responded", _("已提交整改")
    RETURNED = "returned", _("已退回")
    CLOSED = "closed", _("已结案")


class Disposition(models.TextChoices):
    INTERVIEW = "interview", _("约谈")
    NOTICE = "notice", _("通报")
    RECTIFY = "rectify", _("责令整改")
    DISCIPLINE_REFERRAL = "discipline_referral", _("移送纪检监察")


class Case(models.Model):
    """An accountability case (问责) against an account and, optionally, a person on it, usually
    about a finding. `evidence` and `response_evidence` are lists of checked links
    ({object_type, id, revision_id}, see `oversight.cases`). The status moves open → responded
    (the account's agency) → returned (auditor) → responded → … → closed (auditor) only through
    `oversight.cases`; every step is a row of the history and an event of the ledger."""

    account = models.ForeignKey(AccountPage, on_delete=models.PROTECT, related_name="cases", verbose_name=_("账号"))
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accountability_cases",
        verbose_name=_("责任人"),
    )
    finding = models.ForeignKey(
        Finding, null=True, blank=True, on_delete=models.PROTECT, related_name="cases", verbose_name=_("监管发现")
    )
    summary = models.TextField(_("问题描述"), blank=True)
    disposition = models.CharField(_("处置方式"), max_length=32, choices=Disposition.choices)
    rectify_by = models.DateField(_("整改期限"), null=True, blank=True)
    evidence = models.JSONField(_("证据"), default=list, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    rectification = models.TextField(_("整改情况"), blank=True)
    response_evidence = models.JSONField(_("整改证据"), default=list, blank=True)
    comment = models.TextField(_("审核意见"), blank=True)
    opened_at = models.DateTimeField(_("立案时间"), default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    responded_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("问责案件")
        verbose_name_plural = _("问责案件")

    def __str__(self) -> str:
        return f"case #{self.pk} · {self.account_id} ({self.status})"


class ExportReport(models.TextChoices):
    COMPLIANCE = "compliance", _("合规报表")
    RANKING = "ranking", _("每周奖惩名单")
    ASSESSMENT = "assessment", _("年度考核")
    REGISTER = "register", _("账号台账")
    LEDGER = "ledger", _("审计日志")


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"
    PDF = "pdf", "PDF"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    EXPIRED = "expired", _("已过期")


class Export(models.Model):
    """One export job (导出): a report with its normalised `params`, in `format`, for `requester`.

    Built by `oversight.tasks.export_build` (`oversight.exports.export_build`): queued → running
    (`progress` 0–100, committed per chunk so other connections see it) → done (the file at
    `file_name` under `GOVCMS_EXPORT_ROOT`, a private directory that is not served publicly, with
    its `sha256`) or failed (`error`). Only the requester may fetch the file. A done job's file is
    deleted `GOVCMS_EXPORT_RETENTION_DAYS` after it finished (`oversight.exports.exports_expire`):
    the job becomes expired (`expired_at`), and the row with its `sha256` stays as proof.
    """

    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    report = models.CharField(_("报表"), max_length=16, choices=ExportReport.choices)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    format = models.CharField(_("格式"), max_length=8, choices=ExportFormat.choices)
    status = models.CharField(_("状态"), max_length=16, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    file_name = models.CharField(_("文件"), max_length=200, blank=True)
    sha256 = models.CharField(_("文件摘要"), max_length=64, blank=True)
    rows = models.PositiveIntegerField(_("行数"), null=True, blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    expired_at = models.DateTimeField(_("文件删除时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("导出")
        verbose_name_plural = _("导出")
        indexes = [
            models.Index(fields=["requester", "created_at"], name="export_requester_created"),
            models.Index(fields=["status", "finished_at"], name="export_status_finished"),
        ]

    def __str__(self) -> str:
        return f"{self.report}.{self.format} #{self.pk} ({self.status} {self.progress}%)"
