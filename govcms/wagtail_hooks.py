"""Admin integration of the organisation tree: audit events and permission upkeep for edits
made in the Wagtail editor (the API goes through the same services)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.ui.components import Component
from wagtail.models import Page
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from audit import ledger

from . import admin_scope, history
from .admin.accounts import AccountAdminViewSet, account_header_buttons
from .admin.agencies import AgencyAdminViewSet, agency_header_buttons
from .admin.assignments import RoleAssignmentViewSet
from .admin.logins import LoginsViewSet
from .models import AccountPage, AccountTransition, AgencyPage, CalendarDay, RoleAssignment
from .selectors import is_system_admin
from .services import permissions_sync_scope
from .workdays import CALENDAR_LIST_URL, next_year_missing

TREE_TYPES = (AgencyPage, AccountPage)


def _record(action: str, request, page, changes: dict | None = None) -> None:
    ledger.record(
        action=action,
        actor=request.user,
        object_type=page._meta.model_name,
        object_id=page.pk,
        data={"title": page.title, "via": "admin", **(changes or {})},
        scope=page.path,
    )


@hooks.register("after_create_page")
def record_tree_create(request, page):
    page = page.specific
    if isinstance(page, TREE_TYPES):
        _record(f"{page._meta.model_name.removesuffix('page')}.created", request, page)
        permissions_sync_scope(page=page)


@hooks.register("after_edit_page")
def record_tree_edit(request, page):
    page = page.specific
    if isinstance(page, TREE_TYPES):
        # With the diff of the page's own fields (`{field: {old, new}}`, e.g. an account's
        # outsourcing flag, contract and agreement dates), so the history shows what changed.
        changes = history.revision_changes(page)
        _record(f"{page._meta.model_name.removesuffix('page')}.changed", request, page, changes)


@hooks.register("before_delete_page")
def refuse_delete_with_records(request, page):
    """Agencies and accounts with staff or filings are closed (注销), never deleted: the records
    that reference them must stay. Tell the user instead of failing on the protected rows."""
    subtree = page.get_descendants(inclusive=True)
    if (
        RoleAssignment.objects.filter(agency__in=subtree).exists()
        or RoleAssignment.objects.filter(account__in=subtree).exists()
        or AccountTransition.objects.filter(account__in=subtree).exists()
    ):
        messages.error(request, _("该节点下仍有岗位分配或备案记录，不能删除；请改为注销账号或撤销岗位。"))
        return redirect("wagtailadmin_explore", page.get_parent().pk)
    return None


@hooks.register("after_delete_page")
def record_tree_delete(request, page):
    page = page.specific
    if isinstance(page, TREE_TYPES):
        _record(f"{page._meta.model_name.removesuffix('page')}.deleted", request, page)


# --- Organisation admin screens: 岗位分配, 账号状态变更, 凭据, 履历 (views in govcms.admin) ---


@hooks.register("register_admin_viewset")
def register_org_admin_viewsets():
    return [RoleAssignmentViewSet(), AccountAdminViewSet(), LoginsViewSet(), AgencyAdminViewSet()]


@hooks.register("register_page_header_buttons")
def org_account_header_buttons(page, user, view_name, next_url=None):
    return account_header_buttons(page=page, user=user, next_url=next_url)


@hooks.register("register_page_header_buttons")
def org_agency_header_buttons(page, user, view_name, next_url=None):
    return agency_header_buttons(page=page, user=user)


# --- The admin narrowed to the user's jurisdiction (classes in govcms.admin_scope) ---
# Registered late (order) so that they replace Wagtail's defaults registered for the same names.


@hooks.register("construct_page_chooser_queryset")
def scope_page_chooser(pages, request):
    return admin_scope.scope_queryset(pages, request.user)


@hooks.register("construct_explorer_page_queryset")
def scope_explorer(parent_page, pages, request):
    return admin_scope.scope_queryset(pages, request.user)


for _action in admin_scope.SCOPED_BULK_ACTIONS:
    hooks.register("register_bulk_action", _action, order=100)


@hooks.register("register_admin_viewset", order=100)
def register_scoped_page_viewset():
    return admin_scope.ScopedPageViewSet(model=Page)


@hooks.register("construct_admin_api", order=100)
def scope_admin_api(router):
    router.register_endpoint("images", admin_scope.ScopedImagesAdminAPIViewSet)
    router.register_endpoint("documents", admin_scope.ScopedDocumentsAdminAPIViewSet)


# --- The working-day calendar (节假日与调休): system admins keep it (model permissions) ---------


class CalendarDayViewSet(SnippetViewSet):
    model = CalendarDay
    icon = "date"
    menu_label = gettext_lazy("节假日与调休")
    menu_name = "calendar"
    add_to_settings_menu = True
    list_display = ["date", "kind", "name", "source", "jurisdiction"]
    list_filter = ["kind", "source"]
    search_fields = ["name"]
    ordering = ["-date"]


register_snippet(CalendarDayViewSet)


class CalendarMissingPanel(Component):
    """Dashboard, system admins only, from October: next year's holidays are not entered yet."""

    name = "govcms_calendar_missing"
    template_name = "govcms/admin/calendar_missing_panel.html"
    order = 50

    def __init__(self, year: int):
        self.year = year

    def get_context_data(self, parent_context=None):
        return {"year": self.year, "url": reverse(CALENDAR_LIST_URL)}


@hooks.register("construct_homepage_panels")
def add_calendar_missing_panel(request, panels):
    if is_system_admin(request.user):
        year = next_year_missing(timezone.localdate())
        if year is not None:
            panels.insert(0, CalendarMissingPanel(year))
