"""登录与令牌: the throttled admin login form, live API tokens (revoke) and login lockouts (unlock)."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView, View
from wagtail.admin import messages
from wagtail.admin.forms.auth import LoginForm
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from .. import selectors, services
from ..services import LoginThrottled, login_authenticate
from .base import BEIJING, AdminOnlyMixin, AssignmentsMenuItem, beijing_time


class ThrottledLoginForm(LoginForm):
    """The admin's login form (WAGTAILADMIN_USER_LOGIN_FORM), sharing the API's login throttle."""

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


LOCKOUT_KINDS = {"username": _("用户名"), "address": _("来源地址")}


class LoginsView(AdminOnlyMixin, WagtailAdminTemplateMixin, TemplateView):
    """Live API tokens of the users the caller administers (created, last used, expiry, source),
    each with a revoke button; for system admins also the lockouts in force, with unlock."""

    template_name = "govcms/admin/logins.html"
    page_title = _("登录与令牌")
    header_icon = "key"

    def get_context_data(self, **kwargs):
        user = self.request.user
        user_filter = self.request.GET.get("user", "").strip()
        tokens = selectors.tokens_visible_to(user)
        if user_filter:
            tokens = tokens.filter(user__username=user_filter)
        rows = [
            {
                "pk": t.pk,
                "user": t.user,
                "created": beijing_time(t.created_at),
                "last_used": beijing_time(t.last_used_at),
                "expires": beijing_time(t.expires_at),
                "source": " · ".join(filter(None, [t.created_ip, t.user_agent[:80]])),
            }
            for t in tokens[:500]
        ]
        show_lockouts = selectors.is_system_admin(user)
        lockouts = [
            {"kind": m.kind, "kind_label": LOCKOUT_KINDS[m.kind], "key": m.key, "until": beijing_time(m.until)}
            for m in (selectors.login_lockouts_in_force() if show_lockouts else [])
        ]
        return super().get_context_data(
            tokens=rows, user_filter=user_filter, show_lockouts=show_lockouts, lockouts=lockouts, **kwargs
        )


class TokenRevokeView(AdminOnlyMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        token = selectors.access_object(selectors.tokens_visible_to(request.user), pk)
        services.api_token_revoke(actor=request.user, token=token, reason="admin")
        messages.success(request, _("已吊销 %(user)s 的一个 API 令牌") % {"user": token.user.username})
        return redirect("govcms_logins:index")


class UnlockView(AdminOnlyMixin, View):
    """System admins end a lockout early (recorded as "auth.unlocked")."""

    http_method_names = ["post"]

    def post(self, request):
        if not selectors.is_system_admin(request.user):
            raise PermissionDenied
        kind, key = request.POST.get("kind", ""), request.POST.get("key", "")
        if kind in LOCKOUT_KINDS and services.login_unlock(actor=request.user, kind=kind, key=key):
            messages.success(request, _("已解锁：%(key)s") % {"key": key})
        else:
            messages.error(request, _("该用户名或地址当前未被锁定。"))
        return redirect("govcms_logins:index")


class LoginsViewSet(ViewSet):
    name = "govcms_logins"
    url_prefix = "govcms/logins"
    icon = "key"
    menu_label = _("登录与令牌")
    menu_name = "govcms_logins"
    menu_order = 260
    add_to_admin_menu = True

    menu_item_class = AssignmentsMenuItem  # the same audience: whoever administers something

    def get_urlpatterns(self):
        return [
            path("", LoginsView.as_view(), name="index"),
            path("tokens/<int:pk>/revoke/", TokenRevokeView.as_view(), name="revoke_token"),
            path("unlock/", UnlockView.as_view(), name="unlock"),
        ]
