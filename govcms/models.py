"""The organisation core: agencies and accounts as Wagtail pages, role assignments, credentials.

The page tree is the administrative tree (root → province → city/department … → account), so a
subtree is a jurisdiction (属地管理) and `path__startswith` answers "is this inside that".
Writes go through `govcms.services`; reads through `govcms.selectors`.
"""

import re

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.models import Page, PagePermissionTester

from .crypto import EncryptedTextField
from .lazy import ClassAt
from .panels import PageActionsPanel

REGION_CODE_RE = re.compile(r"^[1-9][0-9]{5}$")  # ASCII digits only: \d would admit full-width ones
# First two digits of a mainland administrative division code (GB/T 2260): the provinces.
PROVINCE_PREFIXES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
}  # fmt: skip


def validate_region_code(value: str) -> None:
    """Accept a 6-digit administrative division code whose first two digits name a province."""
    if not REGION_CODE_RE.match(value or "") or value[:2] not in PROVINCE_PREFIXES:
        raise ValidationError(
            _("行政区划代码必须是 6 位数字，且前两位为有效的省级代码：%(value)s"),
            code="invalid_region_code",
            params={"value": value},
        )


class Level(models.TextChoices):
    PROVINCE = "province", _("省级")
    CITY = "city", _("市级")
    COUNTY = "county", _("县级")
    TOWNSHIP = "township", _("乡镇")
    DEPARTMENT = "department", _("部门")


class Category(models.TextChoices):
    GOVERNMENT_OFFICE = "government_office", _("政府办公室")
    CYBERSPACE = "cyberspace", _("网信")
    PUBLIC_SECURITY = "public_security", _("公安")
    HEALTH = "health", _("卫健")
    EDUCATION = "education", _("教育")
    EMERGENCY = "emergency", _("应急管理")
    TRANSPORT = "transport", _("交通运输")
    ENVIRONMENT = "environment", _("生态环境")
    MARKET = "market", _("市场监管")
    OTHER = "other", _("其他")


class Platform(models.TextChoices):
    WEIBO = "weibo", _("微博")
    WECHAT = "wechat", _("微信公众号")


class AccountStatus(models.TextChoices):
    APPLIED = "applied", _("申请开设")
    OPERATING = "operating", _("已备案运营")
    CHANGED = "changed", _("已变更")
    SUSPENDED = "suspended", _("停更")
    CLOSED = "closed", _("已注销")


# The account lifecycle. "changed" is an operating account whose filing was amended (e.g. a
# rename); it keeps operating and may be changed again. Closed is final.
ACCOUNT_TRANSITIONS: dict[str, set[str]] = {
    AccountStatus.APPLIED: {AccountStatus.OPERATING, AccountStatus.CLOSED},
    AccountStatus.OPERATING: {AccountStatus.CHANGED, AccountStatus.SUSPENDED, AccountStatus.CLOSED},
    AccountStatus.CHANGED: {
        AccountStatus.OPERATING,
        AccountStatus.CHANGED,
        AccountStatus.SUSPENDED,
        AccountStatus.CLOSED,
    },
    AccountStatus.SUSPENDED: {AccountStatus.OPERATING, AccountStatus.CLOSED},
    AccountStatus.CLOSED: set(),
}

# Accounts off the air: a suspended (停更) or closed (注销) account takes no new post and no
# submission, and nothing is published to it, whatever was approved before.
OFF_AIR_REFUSALS = {
    AccountStatus.SUSPENDED: ("account_suspended", _("账号已停更，不能新建、提交或发布内容")),
    AccountStatus.CLOSED: ("account_closed", _("账号已注销，不能再发布内容")),
}


class Role(models.TextChoices):
    EDITOR = "editor", _("编辑")
    REVIEWER = "reviewer", _("审核")
    SIGNER = "signer", _("签发")
    AGENCY_ADMIN = "agency_admin", _("单位管理员")
    AUDITOR = "auditor", _("监管审计")
    SYSTEM_ADMIN = "system_admin", _("系统管理员")


def auditor_group_ids(user) -> set[int]:
    """Ids of the derived auditor groups `user` belongs to (cached per request)."""
    cached = getattr(user, "_govcms_auditor_groups", None)
    if cached is None:
        cached = set(
            Group.objects.filter(user=user, name__startswith=f"govcms:{Role.AUDITOR}:").values_list("id", flat=True)
        )
        user._govcms_auditor_groups = cached
    return cached


class GovPagePermissionTester(PagePermissionTester):
    """Page permissions in which an auditor's grant is read-only.

    Auditors receive Wagtail's "lock" permission on their jurisdiction only because Wagtail grants
    explorer access through one of its six page permissions; it has no read-only one. This tester
    drops the actions that come solely from auditor groups, so an auditor can browse but not lock.
    """

    def __init__(self, user, page):
        super().__init__(user, page)
        if self.user.is_active and not self.user.is_superuser:
            auditor_groups = auditor_group_ids(user)
            self.permissions = {
                perm.permission.codename.rsplit("_", maxsplit=1)[0]
                for perm in self.permission_policy.get_cached_permissions_for_user(user)
                if self.page.path.startswith(perm.page.path) and perm.group_id not in auditor_groups
            }


class GovPage(Page):
    """Base for every page type of the administrative tree; applies the project permission tester."""

    class Meta:
        abstract = True

    def permissions_for_user(self, user):
        return GovPagePermissionTester(user, self)


class AgencyPage(GovPage):
    """An agency (机构): province, city, county, township or a department under any of them."""

    region_code = models.CharField(_("行政区划代码"), max_length=6, validators=[validate_region_code])
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    category = models.CharField(_("类别"), max_length=32, choices=Category.choices, default=Category.GOVERNMENT_OFFICE)

    parent_page_types = ["wagtailcore.Page", "govcms.AgencyPage"]
    subpage_types = ["govcms.AgencyPage", "govcms.AccountPage"]
    template = "govcms/agency_page.html"

    content_panels = [
        FieldPanel("title", heading=_("机构名称")),
        FieldRowPanel([FieldPanel("region_code"), FieldPanel("level"), FieldPanel("category")]),
    ]
    promote_panels = [FieldPanel("slug")]
    settings_panels = []

    class Meta:
        verbose_name = _("机构")
        verbose_name_plural = _("机构")


class AccountPage(GovPage):
    """One Weibo or WeChat account (政务新媒体账号) owned by the parent agency.

    `status` changes only through `govcms.services.account_transition`, which files an
    AccountTransition; the admin shows it read-only.
    """

    platform = models.CharField(_("平台"), max_length=16, choices=Platform.choices)
    platform_account_id = models.CharField(_("平台账号 ID"), max_length=64, blank=True)
    operating_unit = models.CharField(_("运维单位"), max_length=128, blank=True)
    outsourced = models.BooleanField(_("委托第三方运维"), default=False)
    contract_start = models.DateField(_("运维合同开始"), null=True, blank=True)
    contract_end = models.DateField(_("运维合同结束"), null=True, blank=True)
    security_agreement_signed_on = models.DateField(_("保密协议签订日期"), null=True, blank=True)
    security_agreement_expires_on = models.DateField(_("保密协议到期日期"), null=True, blank=True)
    responsible_person = models.CharField(_("责任人"), max_length=64, blank=True)
    verified = models.BooleanField(_("已认证"), default=False)
    status = models.CharField(_("状态"), max_length=16, choices=AccountStatus.choices, default=AccountStatus.APPLIED)
    exemption_reason = models.TextField(
        _("同平台多账号豁免理由"),
        blank=True,
        help_text=_("同一机构在同一平台开设第二个账号时必须填写"),
    )

    parent_page_types = ["govcms.AgencyPage"]
    # By name: the editorial app depends on this one, never the other way round.
    subpage_types = ["editorial.WeiboPostPage", "editorial.WechatArticlePage"]
    base_form_class = ClassAt("govcms.forms.AccountPageForm")  # the form imports services, built on models
    template = "govcms/account_page.html"

    content_panels = [
        PageActionsPanel(),
        FieldPanel("title", heading=_("账号名称")),
        FieldRowPanel([FieldPanel("platform"), FieldPanel("platform_account_id"), FieldPanel("verified")]),
        MultiFieldPanel(
            [
                FieldPanel("operating_unit"),
                FieldPanel("outsourced"),
                FieldRowPanel(
                    [
                        FieldPanel("contract_start"),
                        FieldPanel("contract_end"),
                        FieldPanel("security_agreement_signed_on"),
                        FieldPanel("security_agreement_expires_on"),
                    ]
                ),
            ],
            heading=_("运维"),
        ),
        FieldPanel("responsible_person"),
        FieldPanel("status", read_only=True),
        FieldPanel("exemption_reason"),
    ]
    promote_panels = [FieldPanel("slug")]
    settings_panels = []

    class Meta:
        verbose_name = _("政务新媒体账号")
        verbose_name_plural = _("政务新媒体账号")

    def get_admin_display_title(self):
        """The account with its platform wherever the admin names it (explorer, breadcrumbs,
        choosers): an agency's Weibo and WeChat accounts often share a name."""
        return _("%(account)s（%(platform)s）") % {
            "account": super().get_admin_display_title(),
            "platform": self.get_platform_display(),
        }

    @property
    def agency(self) -> AgencyPage:
        return AgencyPage.objects.get(path=self.path[: -self.steplen])

    def posting_refusal(self) -> tuple[str, str] | None:
        """(code, message) when the account is off the air (`OFF_AIR_REFUSALS`), else None."""
        refusal = OFF_AIR_REFUSALS.get(self.status)
        return None if refusal is None else (refusal[0], str(refusal[1]))

    def clean(self):
        super().clean()
        if self.outsourced and not self.operating_unit:
            raise ValidationError({"operating_unit": _("委托第三方运维的账号必须填写运维单位")})
        if self.contract_start and self.contract_end and self.contract_end < self.contract_start:
            raise ValidationError({"contract_end": _("合同结束日期早于开始日期")})


class AccountTransition(models.Model):
    """One filed lifecycle transition of an account (备案): immutable once written."""

    account = models.ForeignKey(AccountPage, on_delete=models.PROTECT, related_name="transitions")
    from_status = models.CharField(_("原状态"), max_length=16, choices=AccountStatus.choices)
    to_status = models.CharField(_("新状态"), max_length=16, choices=AccountStatus.choices)
    reason = models.TextField(_("理由"))
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("批准人")
    )
    filing_number = models.CharField(_("备案号"), max_length=64)
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("账号状态变更")
        verbose_name_plural = _("账号状态变更")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.from_status} → {self.to_status} ({self.filing_number})"


class AccountCredential(models.Model):
    """Platform credentials of one account, encrypted at rest (GOVCMS_FIELD_KEY).

    History keeps only metadata: the encrypted columns are excluded from the history table, and
    `version` records that a change happened without recording what the secret was.
    """

    account = models.OneToOneField(AccountPage, on_delete=models.CASCADE, related_name="credential")
    appid = EncryptedTextField(_("AppID"), blank=True)
    secret = EncryptedTextField(_("AppSecret"), blank=True)
    access_token = EncryptedTextField(_("Access token"), blank=True)
    # The token configured as the WeChat server-config "Token": signs the event pushes we receive.
    callback_token = EncryptedTextField(_("消息推送 Token"), blank=True)
    uid = models.CharField(_("微博 UID"), max_length=32, blank=True)
    token_expires_at = models.DateTimeField(_("令牌过期时间"), null=True, blank=True)
    has_secret = models.BooleanField(_("已设置密钥"), default=False)
    # Set when a platform refused the account's configuration or token (e.g. 48001 unverified,
    # 40164 IP not whitelisted, 21327 token expired); cleared by new credentials or a success.
    problem_code = models.CharField(_("配置问题代码"), max_length=64, blank=True)
    problem_at = models.DateTimeField(_("配置问题时间"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords(excluded_fields=["appid", "secret", "access_token", "callback_token"])

    class Meta:
        verbose_name = _("账号凭据")
        verbose_name_plural = _("账号凭据")

    def __str__(self) -> str:  # never show secret values, even in debug output
        return f"<AccountCredential account={self.account_id} version={self.version}>"

    __repr__ = __str__


class RoleAssignmentQuerySet(models.QuerySet):
    def active(self, at=None):
        """Assignments in force at `at` (default now): started, not ended, not revoked."""
        at = at or timezone.now()
        return self.filter(valid_from__lte=at, revoked_at__isnull=True).filter(
            models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=at)
        )


class RoleAssignment(models.Model):
    """A user's role (岗位) on an agency subtree or a single account, for a validity window.

    This is the source of truth for permissions; Wagtail groups and guardian object permissions
    are derived from it by `govcms.services.permissions_sync_user`. `system_admin` is the only
    role held without a scope (it applies everywhere).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("岗位"), max_length=16, choices=Role.choices)
    agency = models.ForeignKey(
        AgencyPage, null=True, blank=True, on_delete=models.PROTECT, related_name="role_assignments"
    )
    account = models.ForeignKey(
        AccountPage, null=True, blank=True, on_delete=models.PROTECT, related_name="role_assignments"
    )
    valid_from = models.DateTimeField(_("生效时间"), default=timezone.now)
    valid_to = models.DateTimeField(_("失效时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set once the natural end (valid_to) has been written to the audit ledger.
    expiry_recorded = models.BooleanField(default=False)

    objects = RoleAssignmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        verbose_name = _("岗位分配")
        verbose_name_plural = _("岗位分配")
        constraints = [
            models.CheckConstraint(
                condition=~(models.Q(agency__isnull=False) & models.Q(account__isnull=False)),
                name="role_assignment_single_scope",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=models.F("valid_from")),
                name="role_assignment_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.scope_page or _('全局')}"

    @property
    def scope_page(self):
        return self.account or self.agency


class UserPermissionState(models.Model):
    """When the derived permissions of a user were last computed and when they next change.

    `valid_until` is the earliest future start or end among the user's assignments; a request
    arriving at or after it recomputes the user's permissions first, so an assignment that ends
    grants nothing on the very next request.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="permission_state")
    synced_at = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id} synced {self.synced_at:%Y-%m-%d %H:%M}"


class ApiTokenQuerySet(models.QuerySet):
    def active(self, at=None):
        """Tokens usable at `at` (default now): not revoked, not expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=at or timezone.now())


class ApiToken(models.Model):
    """A bearer token for /api/v1. Only the SHA-256 of the token is stored.

    A token ends at `expires_at` or when revoked (`revoked_at`, `revoked_reason`): by its holder's
    logout, an admin, a password change, deactivation or the end of the holder's last role.
    `created_ip` / `user_agent` say where it was issued; `last_used_at` is kept to within
    `LAST_USED_PRECISION` so that using a token costs no write on most requests.
    """

    LAST_USED_PRECISION_SECONDS = 300

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="govcms_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("签发时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("过期时间"))
    created_ip = models.GenericIPAddressField(_("签发地址"), null=True, blank=True)
    user_agent = models.CharField(_("客户端标识"), max_length=512, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revoked_reason = models.CharField(_("吊销原因"), max_length=32, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        indexes = [models.Index(fields=["user", "revoked_at"], name="apitoken_user_revoked")]

    def __str__(self) -> str:  # the hash is not shown: it is the lookup key of a live token
        return f"token of {self.user_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class Notification(models.Model):
    """A message to one user (review reminders, escalations, publishing problems), shown in the
    admin and mailed when the user has an address."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="govcms_notifications")
    kind = models.CharField(_("类型"), max_length=32)
    message = models.TextField(_("内容"))
    url = models.CharField(_("链接"), max_length=500, blank=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id}"


class AgencyCollection(models.Model):
    """The Wagtail collection holding an agency's images (uploads and images fetched into posts).

    Collections mirror the agency tree (an agency's collection is a child of its parent agency's,
    a top-level agency's a child of the root collection), so a collection permission granted on
    an agency covers its whole subtree exactly as the page permissions do. Kept beside the page
    rather than as a page field so that publishing an old revision of the agency cannot unlink it.
    """

    agency = models.OneToOneField(AgencyPage, on_delete=models.CASCADE, related_name="media_collection")
    collection = models.OneToOneField("wagtailcore.Collection", on_delete=models.PROTECT, related_name="govcms_agency")

    class Meta:
        verbose_name = _("机构图片库")
        verbose_name_plural = _("机构图片库")

    def __str__(self) -> str:
        return f"{self.agency_id} → collection {self.collection_id}"


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("放假")
    WORKDAY = "workday", _("调休上班")


class CalendarSource(models.TextChoices):
    PACKAGE = "package", _("日历程序包")
    STATE_COUNCIL = "state_council", _("国务院办公厅通知")
    ESTIMATE = "estimate", _("按农历估算")
    LOCAL = "local", _("地方规定")


class CalendarDay(models.Model):
    """One exception to the Monday–Friday week on the working-day calendar (`govcms.workdays`).

    A row says that `date` is a holiday (放假) or a make-up working day (调休上班), nationally when
    `jurisdiction` is empty, or inside one agency's subtree (a local day, e.g. a minority festival)
    when it is set: the deepest jurisdiction containing the question wins over the national row.
    System admins edit the rows in the admin; `manage.py seed_calendar` copies the chinesecalendar
    package's years in. A national row of source "estimate" counts only while its year has no row
    from the package or the State Council.
    """

    date = models.DateField(_("日期"))
    kind = models.CharField(_("类型"), max_length=16, choices=CalendarDayKind.choices)
    name = models.CharField(_("名称"), max_length=64, blank=True)
    source = models.CharField(
        _("来源"), max_length=16, choices=CalendarSource.choices, default=CalendarSource.STATE_COUNCIL
    )
    jurisdiction = models.ForeignKey(
        AgencyPage,
        verbose_name=_("适用地区"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calendar_days",
        help_text=_("留空表示全国；选择机构表示仅在该机构辖区内适用"),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")
        constraints = [
            models.UniqueConstraint(
                fields=["date"], condition=models.Q(jurisdiction__isnull=True), name="calendar_day_national_unique"
            ),
            models.UniqueConstraint(
                fields=["date", "jurisdiction"],
                condition=models.Q(jurisdiction__isnull=False),
                name="calendar_day_local_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.name}"
