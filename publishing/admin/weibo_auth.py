"""微博授权: an account's agency admins re-authorise the project's Weibo app for the account (OAuth),
from the account's page header or from a publication that failed on an expired token."""

import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import View
from wagtail.admin import messages
from wagtail.admin.widgets.button import Button

from govcms import services as org_services
from govcms.admin.base import beijing_time
from govcms.models import AccountCredential, AccountPage, Platform, Role
from govcms.selectors import access_object, accounts_visible_to, has_role_at

from ..backends.weibo import AUTH_ERRORS as WEIBO_AUTH_ERRORS
from ..models import Publication
from ..oauth import OAuthError, authorize_url, exchange_code

ADMIN_ROLES = {Role.AGENCY_ADMIN}


def needs_weibo_authorisation(pub: Publication) -> bool:
    return pub.platform == Platform.WEIBO and pub.last_error_code in {str(code) for code in WEIBO_AUTH_ERRORS}


OAUTH_SESSION_KEY = "publishing_weibo_oauth"
OAUTH_STATE_TTL = 15 * 60  # seconds from leaving for Weibo to coming back
OAUTH_MAX_PENDING = 5  # authorisations started and not finished, per session


def weibo_app(request) -> tuple[str, str, str]:
    """(client_id, client_secret, redirect_uri) of the project's Weibo app; the redirect URI
    defaults to this admin's callback URL as the browser reaches it."""
    client_id = getattr(settings, "GOVCMS_WEIBO_CLIENT_ID", "")
    client_secret = getattr(settings, "GOVCMS_WEIBO_CLIENT_SECRET", "")
    redirect_uri = getattr(settings, "GOVCMS_WEIBO_REDIRECT_URI", "") or request.build_absolute_uri(
        reverse("publishing_admin:weibo_callback")
    )
    return client_id, client_secret, redirect_uri


def account_url(account) -> str:
    return reverse("wagtailadmin_pages:edit", args=[account.pk])


def administered_weibo_account(user, account_id) -> AccountPage:
    """A Weibo account in the caller's jurisdiction (404) that the caller administers (403)."""
    account = access_object(accounts_visible_to(user).filter(platform=Platform.WEIBO), account_id)
    if not has_role_at(user, ADMIN_ROLES, account.path):
        raise PermissionDenied
    return account


class WeiboAuthorizeView(View):
    """Send an agency admin to Weibo to authorise the app for one account. The random `state`
    is kept in the session, bound to the user and the account, and checked by the callback."""

    http_method_names = ["get"]

    def get(self, request, account_id):
        account = administered_weibo_account(request.user, account_id)
        client_id, client_secret, redirect_uri = weibo_app(request)
        if not client_id or not client_secret:
            messages.error(
                request,
                _("尚未配置微博应用（GOVCMS_WEIBO_CLIENT_ID、GOVCMS_WEIBO_CLIENT_SECRET），请联系系统管理员。"),
            )
            return redirect(account_url(account))
        state = secrets.token_urlsafe(32)
        now = time.time()
        pending = {
            key: entry
            for key, entry in request.session.get(OAUTH_SESSION_KEY, {}).items()
            if now - entry["at"] < OAUTH_STATE_TTL
        }
        pending[state] = {"user": request.user.pk, "account": account.pk, "redirect_uri": redirect_uri, "at": now}
        newest = sorted(pending.items(), key=lambda item: item[1]["at"])[-OAUTH_MAX_PENDING:]
        request.session[OAUTH_SESSION_KEY] = dict(newest)
        base = settings.GOVCMS_WEIBO_API_BASE
        return redirect(authorize_url(base, client_id=client_id, redirect_uri=redirect_uri, state=state))


class WeiboCallbackView(View):
    """Weibo sends the admin back here with `code` and `state`: check the state (one use, this
    user, not expired), exchange the code, store the token through `credential_set`. The token
    goes from Weibo's answer to the encrypted credential and nowhere else."""

    http_method_names = ["get"]

    def get(self, request):
        entry = self.pop_state(request)
        if entry is None:
            messages.error(request, _("微博授权请求无效或已过期（state 校验失败），请从账号页面重新发起授权。"))
            return redirect("wagtailadmin_home")
        account = administered_weibo_account(request.user, entry["account"])
        back = account_url(account)
        if request.GET.get("error") or request.GET.get("error_code"):
            messages.error(
                request,
                _("微博授权未完成：[%(code)s] %(message)s")
                % {
                    "code": request.GET.get("error_code", "-"),
                    "message": request.GET.get("error_description") or request.GET.get("error", ""),
                },
            )
            return redirect(back)
        code = request.GET.get("code", "")
        if not code:
            messages.error(request, _("微博没有返回授权码，请重新发起授权。"))
            return redirect(back)
        client_id, client_secret, _redirect_uri = weibo_app(request)
        try:
            answer = exchange_code(
                settings.GOVCMS_WEIBO_API_BASE,
                client_id,
                client_secret,
                code,
                entry["redirect_uri"],  # the exchange must repeat the URI the code was issued for
                timeout=settings.GOVCMS_PLATFORM_TIMEOUT,
            )
        except OAuthError as error:
            messages.error(
                request,
                _("微博授权失败，微博返回错误 [%(code)s] %(message)s")
                % {"code": error.error_code, "message": error.message},
            )
            return redirect(back)
        known_uid = AccountCredential.objects.filter(account=account).values_list("uid", flat=True).first()
        if known_uid and known_uid != answer["uid"]:
            # Someone logged in to Weibo as another account: its posts would go to the wrong place.
            messages.error(
                request,
                _(
                    "授权的微博账号（UID %(got)s）与本账号登记的 UID %(known)s 不一致，未保存。"
                    "请退出微博后用正确的账号重新授权；如账号确已更换，请先在“凭据”中修改 UID。"
                )
                % {"got": answer["uid"], "known": known_uid},
            )
            return redirect(back)
        try:
            credential = org_services.credential_set(
                actor=request.user,
                account=account,
                access_token=answer["access_token"],
                uid=answer["uid"],
                expires_at=timezone.now() + timedelta(seconds=answer["expires_in"]),
            )
        except org_services.ServiceError as error:
            messages.error(request, error.message)
            return redirect(back)
        messages.success(
            request,
            _("微博授权成功：UID %(uid)s，令牌有效期至 %(expires)s（北京时间），凭据版本 %(version)s。")
            % {
                "uid": credential.uid,
                "expires": beijing_time(credential.token_expires_at),
                "version": credential.version,
            },
        )
        return redirect(back)

    @staticmethod
    def pop_state(request) -> dict | None:
        """The pending authorisation `state` names, removed so that it works once; None unless it
        was started by this user within OAUTH_STATE_TTL."""
        state = request.GET.get("state", "")
        pending = dict(request.session.get(OAUTH_SESSION_KEY, {}))
        entry = pending.pop(state, None) if state else None
        request.session[OAUTH_SESSION_KEY] = pending
        if entry is None or entry.get("user") != request.user.pk or time.time() - entry["at"] >= OAUTH_STATE_TTL:
            return None
        return entry


def weibo_header_buttons(*, page, user) -> list[Button]:
    """微博授权 on a Weibo account's edit and explore headers, for the account's agency admins."""
    specific_class = page.specific_class
    if specific_class is None or not issubclass(specific_class, AccountPage):
        return []
    if not has_role_at(user, ADMIN_ROLES, page.path):
        return []
    account = page if isinstance(page, AccountPage) else page.specific_deferred
    if account.platform != Platform.WEIBO:
        return []
    return [
        Button(
            _("微博授权"),
            url=reverse("publishing_admin:weibo_authorize", args=[page.pk]),
            icon_name="key",
            priority=83,
        )
    ]
