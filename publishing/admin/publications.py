"""发布问题: publications that need a person, each publication's attempt log (尝试记录), and retry
(with an explicit "checked, it is not there" step for unknown outcomes).

Same shape as the organisation screens (`govcms.admin`): fetch through a scoped queryset (anything
outside the caller's jurisdiction is 404), check the role (403), call one service, and show a
refused write (ServiceError) as a message, never a 500.
"""

import json

import django_filters
from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, QuerySet, Subquery
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView, View
from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.sidebar import LinkMenuItem
from wagtail.admin.ui.tables import Column, StatusTagColumn, Table, TitleColumn
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views.generic import BaseListingView, WagtailAdminTemplateMixin

from audit.redaction import redact
from govcms import services as org_services
from govcms.admin.base import FormPageMixin, beijing_time
from govcms.models import AccountCredential, Platform
from govcms.selectors import access_object, scope_paths

from ..models import Publication, PublicationAttempt, PublicationStatus
from ..policy import may_authorise_account, may_retry
from ..selectors import problems_visible_to, publications_visible_to
from ..services import publication_retry
from .weibo_auth import needs_weibo_authorisation

PLATFORM_LABELS = dict(Platform.choices)
# Where a person checks whether an item reached the platform (real platforms; see check_url).
OFFICIAL_API_BASES = {"weibo": "https://api.weibo.com", "wechat": "https://api.weixin.qq.com"}

ATTEMPT_KIND_LABELS = {
    "publish": gettext_lazy("发布"),
    "poll": gettext_lazy("查询发布任务"),
    "reconcile": gettext_lazy("与平台核对"),
    "look": gettext_lazy("到时核对"),
    "withdraw": gettext_lazy("撤回"),
}
OUTCOME_LABELS = {
    "published": gettext_lazy("已发布"),
    "publishing": gettext_lazy("平台处理中"),
    "transient": gettext_lazy("暂时性错误（自动重试）"),
    "auth": gettext_lazy("授权失效"),
    "config": gettext_lazy("账号配置错误"),
    "content": gettext_lazy("内容被平台拒绝"),
    "invalid": gettext_lazy("发布前校验未通过（未发送到平台）"),
    "unknown": gettext_lazy("结果未知"),
    "error": gettext_lazy("未归类错误"),
    "absent": gettext_lazy("核对：平台上不存在"),
    "unsettled": gettext_lazy("结果未知，已安排核对"),
    "deferred": gettext_lazy("限流，已推迟"),
    "withdrawn": gettext_lazy("已撤回"),
}


def with_listing_data(queryset: QuerySet[Publication]) -> QuerySet[Publication]:
    """What a listing row shows, in the same query: post, account, start of the latest attempt."""
    latest = PublicationAttempt.objects.filter(publication=OuterRef("pk")).order_by("-started_at", "-id")
    return queryset.select_related("post", "account").annotate(
        last_attempt_at=Subquery(latest.values("started_at")[:1])
    )


def retry_offered(user, pub: Publication) -> bool:
    """Whether to offer retrying `pub` (`policy.may_retry`; the service decides again)."""
    return may_retry(user, pub) is None


def status_label(pub: Publication) -> str:
    if pub.status == PublicationStatus.QUEUED:
        return _("排队超时")
    return str(pub.get_status_display())


def check_url(pub: Publication) -> str:
    """Where to look for the item on the platform: its own URL when known; the emulator's account
    page when the API base is not the official one (the project's sandbox); else the account's
    public Weibo page, or the WeChat official-account backend (发表记录)."""
    if pub.url:
        return pub.url
    base = getattr(settings, f"GOVCMS_{pub.platform.upper()}_API_BASE", "").rstrip("/")
    credential = AccountCredential.objects.filter(account_id=pub.account_id).first()
    # The WeChat AppID is an identifier, not a secret; the AppSecret is never read here.
    account_id = (credential.uid if pub.platform == Platform.WEIBO else credential.appid) if credential else ""
    if base and base != OFFICIAL_API_BASES.get(pub.platform):
        return f"{base}/_sandbox/accounts/{pub.platform}/{account_id}" if account_id else ""
    if pub.platform == Platform.WEIBO:
        return f"https://weibo.com/u/{account_id}" if account_id else "https://weibo.com/"
    return "https://mp.weixin.qq.com/"


def step_lines(steps) -> list[str]:
    """One line per platform call of an attempt, e.g. "POST /2/statuses/share.json · http_status=200".

    The summaries are written without secrets; they are redacted here as well, so that a
    backend bug could not put a token on this page."""
    lines = []
    for step in steps if isinstance(steps, list) else [steps]:
        if isinstance(step, dict):
            rest = ", ".join(
                f"{key}={json.dumps(value, ensure_ascii=False, default=str)}"
                for key, value in step.items()
                if key != "call"
            )
            line = " · ".join(part for part in (str(step.get("call", "")), rest) if part)
        else:
            line = json.dumps(step, ensure_ascii=False, default=str)
        lines.append(redact(line))
    return lines


# --- 发布问题 (the problems listing) ---------------------------------------------------------------


def problems_breadcrumbs(*items) -> list[dict]:
    return [
        *WagtailAdminTemplateMixin.breadcrumbs_items,
        {"url": reverse("publishing_admin:problems"), "label": _("发布问题")},
        *items,
    ]


def action_urls(user, pub, *, retry_allowed: bool) -> dict:
    """The retry / confirm-absent / Weibo-authorise links `user` is offered on `pub` ("" for none):
    the listing's cells and the detail page show the same actions."""
    return {
        "retry_url": (
            reverse("publishing_admin:retry", args=[pub.pk])
            if retry_allowed and pub.status == PublicationStatus.FAILED
            else ""
        ),
        "confirm_url": (
            reverse("publishing_admin:confirm_absent", args=[pub.pk])
            if retry_allowed and pub.status == PublicationStatus.UNKNOWN
            else ""
        ),
        "authorise_url": (
            reverse("publishing_admin:weibo_authorize", args=[pub.account_id])
            if needs_weibo_authorisation(pub) and may_authorise_account(user, pub.account) is None
            else ""
        ),
    }


class ProblemFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("状态"),
        choices=[
            (PublicationStatus.FAILED, PublicationStatus.FAILED.label),
            (PublicationStatus.UNKNOWN, PublicationStatus.UNKNOWN.label),
            (PublicationStatus.QUEUED, gettext_lazy("排队超时")),
        ],
        empty_label=gettext_lazy("全部"),
    )
    platform = django_filters.ChoiceFilter(
        label=gettext_lazy("平台"), choices=Platform.choices, empty_label=gettext_lazy("全部")
    )

    class Meta:
        model = Publication
        fields = ["status", "platform"]


class ActionsColumn(Column):
    """Retry (failed), confirm-then-retry (unknown), re-authorise (expired Weibo token) and the
    attempt log; only the log for callers without a retrying role (auditors, reviewers)."""

    cell_template_name = "publishing/admin/actions_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        request = parent_context["request"]
        user = request.user
        retry_allowed = retry_offered(user, instance)
        context.update(
            detail_url=reverse("publishing_admin:publication", args=[instance.pk]),
            **action_urls(user, instance, retry_allowed=retry_allowed),
            next_url=request.get_full_path(),
            # Cells render outside the request context, so the token is handed over explicitly.
            csrf_token=get_token(request),
        )
        return context


class ProblemIndexView(BaseListingView):
    page_title = gettext_lazy("发布问题")
    header_icon = "warning"
    paginate_by = 50
    index_url_name = "publishing_admin:problems"
    index_results_url_name = "publishing_admin:problems_results"
    filterset_class = ProblemFilterSet
    is_searchable = True
    search_fields = ["post__title", "account__title", "last_error_code", "last_error"]
    default_ordering = ("-updated_at", "-id")
    verbose_name_plural = gettext_lazy("发布问题")

    def get_base_queryset(self):
        return with_listing_data(problems_visible_to(self.request.user))

    @cached_property
    def no_results_message(self):
        return _("没有需要处理的发布问题。")

    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "post",
                label=_("内容"),
                accessor="post.title",
                get_url=lambda p: reverse("wagtailadmin_pages:edit", args=[p.post_id]),
            ),
            Column("account", label=_("账号"), accessor="account.title"),
            Column("platform", label=_("平台"), accessor=lambda p: PLATFORM_LABELS.get(p.platform, p.platform)),
            StatusTagColumn(
                "status",
                label=_("状态"),
                accessor=status_label,
                primary=lambda p: p.status == PublicationStatus.UNKNOWN,
            ),
            Column("attempts", label=_("尝试次数")),
            Column("last_error_code", label=_("平台错误码")),
            Column("last_error", label=_("错误信息"), accessor=lambda p: p.last_error[:300]),
            Column(
                "last_attempt_at",
                label=_("最近尝试（北京时间）"),
                accessor=lambda p: beijing_time(p.last_attempt_at),
                sort_key="last_attempt_at",
            ),
            ActionsColumn("actions", label=_("操作")),
        ]


class ProblemsMenuItem(MenuItem):
    """Shown to whoever works in a jurisdiction; the label carries the number of problems."""

    def is_shown(self, request):
        return bool(scope_paths(request.user))

    def render_component(self, request):
        count = problems_visible_to(request.user).count()
        label = f"{self.label}（{count}）" if count else self.label
        return LinkMenuItem(
            self.name, label, self.url, icon_name=self.icon_name, classname=self.classname, attrs=self.attrs
        )


# --- one publication: attempt log, retry --------------------------------------------------------


class StepsColumn(Column):
    cell_template_name = "govcms/admin/changes_cell.html"  # a list of lines


def attempts_table(attempts) -> Table:
    return Table(
        [
            Column("number", label=_("序号")),
            Column("kind", label=_("类型"), accessor=lambda a: ATTEMPT_KIND_LABELS.get(a.kind, a.kind)),
            Column("started_at", label=_("开始（北京时间）"), accessor=lambda a: beijing_time(a.started_at)),
            Column(
                "duration_ms",
                label=_("耗时（毫秒）"),
                accessor=lambda a: "" if a.duration_ms is None else a.duration_ms,
            ),
            Column(
                "outcome", label=_("结果"), accessor=lambda a: OUTCOME_LABELS.get(a.outcome, a.outcome or _("进行中"))
            ),
            Column("error_code", label=_("平台错误码")),
            Column("error_message", label=_("错误信息")),
            StepsColumn("request_summary", label=_("请求摘要"), accessor=lambda a: step_lines(a.request_summary)),
        ],
        attempts,
    )


class PublicationMixin:
    """The publication from the caller's jurisdiction (404 outside it)."""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.pub = access_object(publications_visible_to(request.user).select_related("post", "account"), kwargs["pk"])

    def get_page_subtitle(self):
        return self.pub.post.title

    def done_url(self) -> str:
        return get_valid_next_url_from_request(self.request) or reverse("publishing_admin:problems")


class PublicationDetailView(PublicationMixin, WagtailAdminTemplateMixin, TemplateView):
    """A publication and every attempt to get it onto its platform (尝试记录), for whoever sees it."""

    template_name = "publishing/admin/publication_detail.html"
    page_title = gettext_lazy("发布尝试记录")
    header_icon = "list-ul"

    def get_breadcrumbs_items(self):
        return problems_breadcrumbs({"url": "", "label": self.pub.post.title})

    def get_context_data(self, **kwargs):
        pub, user = self.pub, self.request.user
        table = attempts_table(list(pub.attempt_log.order_by("number", "started_at", "id")))
        retry_allowed = retry_offered(user, pub)
        return super().get_context_data(
            pub=pub,
            table=table,
            media=table.media,
            platform_label=PLATFORM_LABELS.get(pub.platform, pub.platform),
            published_at=beijing_time(pub.published_at),
            **action_urls(user, pub, retry_allowed=retry_allowed),
            **kwargs,
        )


def retried_message(pub: Publication) -> str:
    return _("《%(title)s》已重新排队发布到“%(account)s”。") % {"title": pub.post.title, "account": pub.account.title}


class RetryView(PublicationMixin, View):
    """POST: queue a failed publication again. An unknown one is refused by the service until a
    person confirmed it is absent (ConfirmAbsentRetryView) — shown as a message."""

    http_method_names = ["post"]

    def dispatch(self, request, *args, **kwargs):
        if not retry_offered(request.user, self.pub):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, pk):
        try:
            publication_retry(actor=request.user, pub=self.pub, confirmed_absent=False)
        except org_services.ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, retried_message(self.pub))
        return redirect(self.done_url())


class ConfirmAbsentForm(forms.Form):
    checked = forms.BooleanField(
        label=gettext_lazy("我已在平台上核对：该内容没有发布出去"),
        required=True,
        error_messages={"required": gettext_lazy("请先到平台核对，并勾选确认后再重试。")},
    )


class ConfirmAbsentRetryView(PublicationMixin, FormPageMixin, FormView):
    """An unknown outcome may have reached the platform: say what to check and where, and retry
    only after the person ticks that it is not there (a blind retry could publish it twice)."""

    form_class = ConfirmAbsentForm
    template_name = "publishing/admin/confirm_absent.html"
    page_title = gettext_lazy("确认平台上不存在后重试")
    header_icon = "warning"
    submit_button_label = gettext_lazy("确认不存在并重试")

    def dispatch(self, request, *args, **kwargs):
        if not retry_offered(request.user, self.pub):
            raise PermissionDenied
        if self.pub.status != PublicationStatus.UNKNOWN:
            messages.error(request, _("该发布的结果不是“未知”，无需核对。"))
            return redirect("publishing_admin:publication", self.pub.pk)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return problems_breadcrumbs({"url": "", "label": self.page_title})

    def get_context_data(self, **kwargs):
        pub = self.pub
        last = pub.attempt_log.order_by("-started_at", "-id").first()
        return super().get_context_data(
            pub=pub,
            platform_label=PLATFORM_LABELS.get(pub.platform, pub.platform),
            check_url=check_url(pub),
            last_attempt_at=beijing_time(last.started_at) if last else "",
            detail_url=reverse("publishing_admin:publication", args=[pub.pk]),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            publication_retry(actor=self.request.user, pub=self.pub, confirmed_absent=True)
        except org_services.ServiceError as error:
            messages.error(self.request, error.message)
        else:
            messages.success(self.request, retried_message(self.pub))
        return redirect(self.done_url())
