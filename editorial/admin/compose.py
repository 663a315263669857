"""写微博 / 写微信文章: one entry per account the user may write for, in the menu and on the
dashboard, straight to the create view under that account; the author's sent-back posts.

Accounts are named with their platform everywhere here ("县公安局（微博）"), and with their agency
as well when two of the listed accounts share a name ("县公安局（微博）· 某某县").
"""

import logging
from collections import Counter
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.ui.components import Component
from wagtail.models import Page

from govcms.models import AccountPage, Platform
from govcms.selectors import accounts_visible_to

from ..models import WechatArticlePage, WeiboPostPage
from ..panels import rejection_of
from ..policy import may_draft
from ..selectors import posts_visible_to
from ..statuses import PostStatus

logger = logging.getLogger(__name__)

PLATFORM_ICONS = {Platform.WEIBO: "govcms-weibo", Platform.WECHAT: "govcms-wechat"}
POST_MODEL_OF = {Platform.WEIBO: WeiboPostPage, Platform.WECHAT: WechatArticlePage}
MAX_MENU_ENTRIES = 30  # beyond this the dashboard lists them all; the menu would not fit


def platform_word(platform: str) -> str:
    """微博 / 微信公众号."""
    return Platform(platform).label if platform in Platform.values else platform


def account_label(account: AccountPage, *, agency_name: str = "") -> str:
    """ "县公安局（微博）", with " · 某某县" when `agency_name` is given (to tell namesakes apart)."""
    label = _("%(account)s（%(platform)s）") % {"account": account.title, "platform": platform_word(account.platform)}
    return f"{label} · {agency_name}" if agency_name else label


@dataclass(frozen=True)
class ComposeEntry:
    account: AccountPage
    label: str
    action: str  # 写微博 / 写微信文章
    icon: str
    url: str


def compose_entries(user) -> list[ComposeEntry]:
    """The accounts `user` may draft on now (jurisdiction and `may_draft`, on the air), in tree
    order, each with the create-view URL of its platform's post type. Two queries."""
    accounts = [
        account
        for account in accounts_visible_to(user)
        if account.posting_refusal() is None and may_draft(user, account) is None
    ]
    names = Counter(account.title for account in accounts)
    agencies = dict(Page.objects.filter(path__in={a.path[: -a.steplen] for a in accounts}).values_list("path", "title"))
    entries = []
    for account in accounts:
        model = POST_MODEL_OF.get(account.platform)
        if model is None:
            continue
        agency = agencies.get(account.path[: -account.steplen], "") if names[account.title] > 1 else ""
        entries.append(
            ComposeEntry(
                account=account,
                label=account_label(account, agency_name=agency),
                action=_("写微博") if account.platform == Platform.WEIBO else _("写微信文章"),
                icon=PLATFORM_ICONS[account.platform],
                url=reverse("wagtailadmin_pages:add", args=[model._meta.app_label, model._meta.model_name, account.pk]),
            )
        )
    return entries


class ComposeMenu(Menu):
    """The 写作 submenu, built per request from the user's accounts."""

    def __init__(self):
        super().__init__(register_hook_name=None)

    def menu_items_for_request(self, request):
        return [
            MenuItem(
                f"{entry.action} · {entry.label}", entry.url, name=f"compose-{entry.account.pk}", icon_name=entry.icon
            )
            for entry in _entries_for_request(request)[:MAX_MENU_ENTRIES]
        ]


def _entries_for_request(request) -> list[ComposeEntry]:
    """Computed once per request (the menu and the dashboard both ask)."""
    cached = getattr(request, "_govcms_compose_entries", None)
    if cached is None:
        cached = compose_entries(request.user)
        request._govcms_compose_entries = cached
    return cached


class ComposeMenuItem(SubmenuMenuItem):
    def is_shown(self, request):
        return bool(_entries_for_request(request))


def compose_menu_item() -> ComposeMenuItem:
    return ComposeMenuItem(gettext_lazy("写作"), ComposeMenu(), name="compose", icon_name="edit", order=80)


def sent_back_posts(user, *, limit: int = 20) -> list[dict]:
    """The user's posts that were sent back (退回修改) and not yet resubmitted, with the comment."""
    posts = posts_visible_to(user, status=PostStatus.REJECTED).filter(owner=user)[:limit]
    return [{"post": post, "rejection": rejection_of(post)} for post in posts]


class ComposePanel(Component):
    """Dashboard: 写微博 / 写微信文章 per account, and the author's posts sent back for changes."""

    name = "govcms_compose"
    template_name = "editorial/admin/compose_panel.html"
    order = 80

    class Media:
        css = {"all": ["editorial/composer.css"]}

    def __init__(self, request):
        self.request = request

    def get_context_data(self, parent_context=None):
        return {
            "entries": _entries_for_request(self.request),
            "sent_back": sent_back_posts(self.request.user),
        }
