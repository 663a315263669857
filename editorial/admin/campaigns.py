"""联动专题: campaigns across accounts and platforms: list, create, each one's timeline and its
history (履历)."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column, StatusTagColumn, Table, TitleColumn
from wagtail.admin.views.generic import BaseListingView, WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.widgets.button import HeaderButton

from govcms import capabilities, history
from govcms.admin.base import FormPageMixin, beijing_time, display_name
from govcms.admin.history import HistoryView
from govcms.models import AgencyPage
from govcms.selectors import access_object, path_q, scope_paths
from govcms.services import ServiceError

from .. import selectors, services
from ..models import Campaign, PostStatus


class AgencyChoiceField(forms.ModelChoiceField):
    """Agencies indented by their depth below the shallowest one offered."""

    def __init__(self, queryset, **kwargs):
        super().__init__(queryset, **kwargs)
        self.top = None

    def label_from_instance(self, obj):
        if self.top is None:
            self.top = min((a.depth for a in self.queryset), default=obj.depth)
        return f"{'　' * (obj.depth - self.top)}{obj.title}"


class CampaignCreateForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("名称"), max_length=128)
    agency = AgencyChoiceField(
        queryset=None, label=gettext_lazy("机构"), help_text=gettext_lazy("专题所属机构；其下各账号的内容可加入专题")
    )
    crisis = forms.BooleanField(
        label=gettext_lazy("突发舆情（快速通道）"),
        required=False,
        help_text=gettext_lazy("专题内容经签发人一步签发即发布，事后再补审核"),
    )
    description = forms.CharField(label=gettext_lazy("说明"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies


PLATFORM_LABELS = {"weibo": gettext_lazy("微博"), "wechat": gettext_lazy("微信")}


def campaign_agencies(user):
    """Agencies the caller may open a campaign for (`campaign.create`, as the service decides)."""
    return AgencyPage.objects.filter(path_q(capabilities.scope_paths(user, "campaign.create"))).order_by("path")


def campaigns_breadcrumbs(*items) -> list[dict]:
    return [
        *WagtailAdminTemplateMixin.breadcrumbs_items,
        {"url": reverse("editorial_campaigns:index"), "label": _("联动专题")},
        *items,
    ]


class CampaignIndexView(BaseListingView):
    page_title = gettext_lazy("联动专题")
    header_icon = "link"
    paginate_by = 50
    index_url_name = "editorial_campaigns:index"
    index_results_url_name = "editorial_campaigns:index_results"
    is_searchable = True
    search_fields = ["name", "agency__title"]
    default_ordering = ("-created_at", "-id")
    verbose_name_plural = gettext_lazy("联动专题")

    def get_base_queryset(self):
        return selectors.campaigns_visible_to(self.request.user).select_related("created_by")

    @cached_property
    def header_buttons(self):
        if not campaign_agencies(self.request.user).exists():
            return []
        return [HeaderButton(_("新建专题"), url=reverse("editorial_campaigns:add"), icon_name="plus")]

    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "name",
                label=_("名称"),
                get_url=lambda c: reverse("editorial_campaigns:detail", args=[c.pk]),
                sort_key="name",
            ),
            Column("agency", label=_("机构"), accessor="agency.title"),
            StatusTagColumn(
                "crisis",
                label=_("类型"),
                accessor=lambda c: _("突发舆情") if c.crisis else _("常规"),
                primary=lambda c: c.crisis,
            ),
            Column("created_by", label=_("创建人"), accessor=lambda c: display_name(c.created_by)),
            Column(
                "created_at",
                label=_("创建时间（北京时间）"),
                accessor=lambda c: beijing_time(c.created_at),
                sort_key="created_at",
            ),
        ]


class CampaignCreateView(FormPageMixin, FormView):
    form_class = CampaignCreateForm
    page_title = gettext_lazy("新建联动专题")
    header_icon = "link"
    submit_button_label = gettext_lazy("创建")

    def dispatch(self, request, *args, **kwargs):
        if not campaign_agencies(request.user).exists():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return campaigns_breadcrumbs({"url": "", "label": self.page_title})

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "agencies": campaign_agencies(self.request.user)}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            campaign = services.campaign_create(
                actor=self.request.user,
                agency=data["agency"],
                name=data["name"],
                crisis=data["crisis"],
                description=data["description"],
            )
        except ServiceError as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        messages.success(self.request, _("已创建联动专题“%(name)s”") % {"name": campaign.name})
        return redirect("editorial_campaigns:detail", campaign.pk)


class LinkColumn(Column):
    """The post's public page, for released posts (a draft's URL would only answer 404)."""

    cell_template_name = "editorial/admin/link_cell.html"

    def get_value(self, instance):
        released = instance["status"] not in (PostStatus.DRAFT, PostStatus.IN_REVIEW, PostStatus.REJECTED)
        return instance["url"] if released else ""


def timeline_table(rows: list[dict]) -> Table:
    return Table(
        [
            Column("kind", label=_("平台"), accessor=lambda r: PLATFORM_LABELS.get(r["kind"], r["kind"])),
            Column("account", label=_("账号"), accessor=lambda r: r["account_name"] or ""),
            TitleColumn(
                "title",
                label=_("标题"),
                accessor=lambda r: r["title"],
                get_url=lambda r: reverse("wagtailadmin_pages:edit", args=[r["post_id"]]),
            ),
            Column("status", label=_("状态"), accessor=lambda r: PostStatus(r["status"]).label),
            Column("at", label=_("时间（北京时间）"), accessor=lambda r: beijing_time(r["at"])),
            LinkColumn("url", label=_("链接")),
        ],
        rows,
    )


class CampaignDetailView(WagtailAdminTemplateMixin, TemplateView):
    """A campaign and its timeline across platforms and accounts."""

    template_name = "editorial/admin/campaign_detail.html"
    header_icon = "link"
    page_title = gettext_lazy("联动专题")

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.campaign = access_object(
            selectors.campaigns_visible_to(request.user).select_related("created_by"), kwargs["pk"]
        )

    def get_page_subtitle(self):
        return self.campaign.name

    def get_breadcrumbs_items(self):
        return campaigns_breadcrumbs({"url": "", "label": self.campaign.name})

    @cached_property
    def header_buttons(self):
        return [
            HeaderButton(
                _("履历"), url=reverse("editorial_campaigns:history", args=[self.campaign.pk]), icon_name="history"
            )
        ]

    def get_context_data(self, **kwargs):
        table = timeline_table(selectors.campaign_timeline(self.campaign))
        return super().get_context_data(
            campaign=self.campaign,
            created_at=beijing_time(self.campaign.created_at),
            table=table,
            media=table.media,
            **kwargs,
        )


class CampaignHistoryView(HistoryView):
    """The campaign's saved states (field-level diffs) and ledger, for whoever sees the campaign
    (404 outside, as `GET /api/v1/history/campaign/{id}`)."""

    model = Campaign

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.campaign = access_object(selectors.campaigns_visible_to(request.user), kwargs["pk"])

    def get_page_subtitle(self):
        return self.campaign.name

    def get_breadcrumbs_items(self):
        return campaigns_breadcrumbs(
            {"url": reverse("editorial_campaigns:detail", args=[self.campaign.pk]), "label": self.campaign.name},
            {"url": "", "label": self.page_title},
        )

    def get_entries(self):
        return history.model_history(self.campaign)


class CampaignsMenuItem(MenuItem):
    def is_shown(self, request):
        return bool(scope_paths(request.user))


class CampaignViewSet(ViewSet):
    name = "editorial_campaigns"
    url_prefix = "editorial/campaigns"
    icon = "link"
    menu_label = gettext_lazy("联动专题")
    menu_name = "editorial_campaigns"
    menu_order = 95
    add_to_admin_menu = True
    menu_item_class = CampaignsMenuItem

    def get_urlpatterns(self):
        return [
            path("", CampaignIndexView.as_view(), name="index"),
            path("results/", CampaignIndexView.as_view(results_only=True), name="index_results"),
            path("add/", CampaignCreateView.as_view(), name="add"),
            path("<int:pk>/", CampaignDetailView.as_view(), name="detail"),
            path("<int:pk>/history/", CampaignHistoryView.as_view(), name="history"),
        ]
