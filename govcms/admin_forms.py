"""Forms of the organisation admin screens: the login form, role assignments (岗位分配), account
lifecycle (账号状态变更) and credentials (凭据).

The forms only collect and shape input; the views pass it to `govcms.services`, which validate
again and record the audit ledger.
"""

from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.auth import LoginForm
from wagtail.admin.widgets import AdminDateTimeInput

from .models import ACCOUNT_TRANSITIONS, AccountStatus, Role
from .services import LoginThrottled, login_authenticate

# Filings and assignment windows are legal records kept in Beijing time, whatever time zone an
# admin user has chosen in their Wagtail profile.
BEIJING = ZoneInfo("Asia/Shanghai")


class BeijingDateTimeField(forms.DateTimeField):
    """A date-time entered and shown in Beijing time; cleans to an aware datetime."""

    widget = AdminDateTimeInput

    def prepare_value(self, value):
        with timezone.override(BEIJING):
            return super().prepare_value(value)

    def to_python(self, value):
        with timezone.override(BEIJING):
            return super().to_python(value)


class ThrottledLoginForm(LoginForm):
    """The admin's login form (WAGTAILADMIN_USER_LOGIN_FORM), sharing the API's login throttle."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Wagtail's password field has no label: Django would show the field name, "Password".
        self.fields["password"].label = _("密码")

    def clean(self):
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = login_authenticate(request=self.request, username=username, password=password)
            except LoginThrottled as throttled:
                until = timezone.localtime(throttled.lockout.until, BEIJING).strftime("%H:%M")
                raise forms.ValidationError(
                    _("登录失败次数过多，已暂时锁定，请于 %(until)s（北京时间）后再试。"),
                    code="locked_out",
                    params={"until": until},
                ) from throttled
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


def _window_fields(*, from_required: bool) -> tuple[BeijingDateTimeField, BeijingDateTimeField]:
    valid_from = BeijingDateTimeField(
        label=_("生效时间"),
        required=from_required,
        help_text=_("北京时间") if from_required else _("北京时间；留空表示立即生效"),
    )
    valid_to = BeijingDateTimeField(label=_("失效时间"), required=False, help_text=_("北京时间；留空表示长期有效"))
    return valid_from, valid_to


class RoleAssignmentCreateForm(forms.Form):
    """Grant a role: an existing active user, a role and a scope the caller administers."""

    username = forms.CharField(label=_("用户名"), max_length=150)
    role = forms.ChoiceField(label=_("岗位"))
    scope = forms.ChoiceField(
        label=_("范围"), required=False, help_text=_("机构（含下级机构和账号）或单个账号；系统管理员岗位不选")
    )
    valid_from, valid_to = _window_fields(from_required=False)

    def __init__(self, *args, agencies, accounts, can_grant_system_admin: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [
            (value, label) for value, label in Role.choices if value != Role.SYSTEM_ADMIN or can_grant_system_admin
        ]
        agencies, accounts = list(agencies), list(accounts)
        self._scopes = {f"agency:{a.pk}": a for a in agencies} | {f"account:{a.pk}": a for a in accounts}
        top = min((a.depth for a in agencies), default=0)
        self.fields["scope"].choices = [
            ("", "---------"),
            (_("机构"), [(f"agency:{a.pk}", f"{'　' * (a.depth - top)}{a.title}") for a in agencies]),
            (_("账号"), [(f"account:{a.pk}", f"{a.title}（{a.get_platform_display()}）") for a in accounts]),
        ]

    def clean_username(self):
        username = self.cleaned_data["username"]
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("没有名为“%(username)s”的在用账户"), params={"username": username})
        return user

    def clean_scope(self):
        return self._scopes.get(self.cleaned_data["scope"])

    def clean(self):
        cleaned = super().clean()
        role, scope = cleaned.get("role"), cleaned.get("scope")
        if role == Role.SYSTEM_ADMIN and scope is not None:
            self.add_error("scope", _("系统管理员岗位不限定机构或账号"))
        elif role and role != Role.SYSTEM_ADMIN and scope is None and "scope" not in self.errors:
            self.add_error("scope", _("请选择机构或账号"))
        return cleaned


class RoleAssignmentChangeForm(forms.Form):
    """Move the validity window of an assignment (e.g. end it early at a rotation, 轮岗)."""

    valid_from, valid_to = _window_fields(from_required=True)


class AccountTransitionForm(forms.Form):
    """File a lifecycle transition; only the states the lifecycle allows next are offered."""

    to = forms.ChoiceField(label=_("变更为"))
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 4}))
    filing_number = forms.CharField(
        label=_("备案号"), max_length=64, required=False, help_text=_("留空则自动编制本地备案号")
    )

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = ACCOUNT_TRANSITIONS[account.status]
        self.fields["to"].choices = [(value, label) for value, label in AccountStatus.choices if value in allowed]

    def clean(self):
        if not self.fields["to"].choices:
            raise forms.ValidationError(_("已注销的账号不能再变更状态"))
        return super().clean()


def _secret_input() -> forms.PasswordInput:
    # render_value=False: a stored or just-posted secret never travels back to the browser.
    return forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})


class CredentialForm(forms.Form):
    """Write-only credentials: blank fields keep their stored value; nothing stored is ever shown."""

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(name) for name in self.fields):
            raise forms.ValidationError(_("请至少填写一项凭据"))
        return cleaned

    def service_kwargs(self) -> dict:
        """Keyword arguments for `services.credential_set`: only the fields that were filled in."""
        return {name: value for name, value in self.cleaned_data.items() if value}


class WechatCredentialForm(CredentialForm):
    appid = forms.CharField(label=_("AppID"), required=False, max_length=64, widget=_secret_input())
    secret = forms.CharField(label=_("AppSecret"), required=False, max_length=256, widget=_secret_input())


class WeiboCredentialForm(CredentialForm):
    access_token = forms.CharField(label=_("Access token"), required=False, max_length=512, widget=_secret_input())
    uid = forms.CharField(label=_("微博 UID"), required=False, max_length=32)
    expires_at = BeijingDateTimeField(label=_("令牌过期时间"), required=False, help_text=_("北京时间"))
