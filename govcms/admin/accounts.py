"""Account screens: lifecycle filings (账号状态变更), write-only credentials (凭据) and the account's
history (履历), with the buttons that lead there from an account's page headers."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.widgets.button import Button

from .. import history, policy, selectors, services
from ..models import (
    ACCOUNT_TRANSITIONS,
    AccountCredential,
    AccountPage,
    AccountStatus,
    Platform,
)
from .base import BeijingDateTimeField, FormPageMixin, add_service_error, beijing_time
from .history import HistoryView


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


class AccountObjectMixin:
    """Fetch the account from the caller's jurisdiction (404 outside); `admin_only` also requires
    that the policy lets the caller manage it (`policy.may_manage_account`, 403)."""

    admin_only = True

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.account = selectors.access_object(selectors.accounts_visible_to(request.user), kwargs["account_id"])

    def dispatch(self, request, *args, **kwargs):
        if self.admin_only and policy.may_manage_account(request.user, self.account) is not None:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.account.title

    def get_breadcrumbs_items(self):
        return [
            *WagtailAdminTemplateMixin.breadcrumbs_items,
            {"url": reverse("wagtailadmin_explore", args=[self.account.pk]), "label": self.account.title},
            {"url": "", "label": self.page_title},
        ]

    def get_context_data(self, **kwargs):
        return super().get_context_data(account=self.account, **kwargs)


class AccountTransitionView(AccountObjectMixin, FormPageMixin, FormView):
    form_class = AccountTransitionForm
    template_name = "govcms/admin/account_transition.html"
    page_title = _("账号状态变更")
    header_icon = "resubmit"
    submit_button_label = _("提交备案")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "account": self.account}

    def get_context_data(self, **kwargs):
        transitions = self.account.transitions.select_related("approver").order_by("-at", "-id")
        return super().get_context_data(
            transitions=transitions,
            closed=self.account.status == AccountStatus.CLOSED,
            **kwargs,
        )

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            transition = services.account_transition(
                actor=self.request.user,
                account=self.account,
                to=data["to"],
                reason=data["reason"],
                filing_number=data["filing_number"],
            )
        except services.ServiceError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("“%(account)s”状态已变更为“%(status)s”，备案号 %(filing)s")
            % {
                "account": self.account.title,
                "status": transition.get_to_status_display(),
                "filing": transition.filing_number,
            },
        )
        return redirect(
            get_valid_next_url_from_request(self.request)
            or reverse("govcms_accounts:transition", args=[self.account.pk])
        )


class AccountCredentialView(AccountObjectMixin, FormPageMixin, FormView):
    template_name = "govcms/admin/account_credentials.html"
    page_title = _("账号凭据")
    header_icon = "key"

    def get_form_class(self):
        return WechatCredentialForm if self.account.platform == Platform.WECHAT else WeiboCredentialForm

    def get_context_data(self, **kwargs):
        credential = AccountCredential.objects.filter(account=self.account).select_related("updated_by").first()
        # Only whether each value is set is shown; the values themselves never leave the server.
        status = [
            (field.label, bool(credential and getattr(credential, name)))
            for name, field in self.get_form_class().base_fields.items()
            if name != "expires_at"
        ]
        return super().get_context_data(
            credential=credential,
            credential_status=status,
            token_expires_at=beijing_time(credential.token_expires_at) if credential else "",
            updated_at=beijing_time(credential.updated_at) if credential and credential.version else "",
            **kwargs,
        )

    def form_valid(self, form):
        try:
            credential = services.credential_set(actor=self.request.user, account=self.account, **form.service_kwargs())
        except services.ServiceError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("凭据已更新（版本 %(version)s）") % {"version": credential.version})
        return redirect("govcms_accounts:credentials", self.account.pk)


class AccountHistoryView(AccountObjectMixin, HistoryView):
    admin_only = False  # anyone who can see the account, auditors included
    model = AccountPage

    def get_entries(self):
        return history.account_history(self.account)


def account_header_buttons(*, page, user, next_url=None) -> list[Button]:
    """Buttons on an AccountPage's edit and explore headers: history for whoever sees it,
    lifecycle and credentials for its agency admins."""
    specific_class = page.specific_class
    if specific_class is None or not issubclass(specific_class, AccountPage):
        return []
    buttons = []
    if selectors.can_see_path(user, page.path):
        buttons.append(
            Button(_("履历"), url=reverse("govcms_accounts:history", args=[page.pk]), icon_name="history", priority=80)
        )
    if policy.may_transition_account(user, page) is None:
        query = f"?{urlencode({'next': next_url})}" if next_url else ""
        buttons += [
            Button(
                _("状态变更"),
                url=reverse("govcms_accounts:transition", args=[page.pk]) + query,
                icon_name="resubmit",
                priority=81,
            ),
            Button(_("凭据"), url=reverse("govcms_accounts:credentials", args=[page.pk]), icon_name="key", priority=82),
        ]
    if policy.may_manage_account(user, page) is None:
        query = urlencode({"q": page.title})
        buttons.append(
            Button(_("岗位分配"), url=f"{reverse('govcms_assignments:index')}?{query}", icon_name="group", priority=83)
        )
    return buttons


class AccountAdminViewSet(ViewSet):
    name = "govcms_accounts"
    url_prefix = "govcms/accounts"

    def get_urlpatterns(self):
        return [
            path("<int:account_id>/transition/", AccountTransitionView.as_view(), name="transition"),
            path("<int:account_id>/credentials/", AccountCredentialView.as_view(), name="credentials"),
            path("<int:account_id>/history/", AccountHistoryView.as_view(), name="history"),
        ]
