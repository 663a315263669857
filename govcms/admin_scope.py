"""The Wagtail admin, narrowed to the user's jurisdiction: every queryset it offers (choosers,
search, page listings, bulk actions, reports and their filters, the admin API) and every object it
names by id.

Wagtail scopes what a user may *change* by permissions, but lists, filters and confirmations show
whatever exists: other agencies' titles, the names of their staff, counts of their pages, and
"permission denied" where a missing object would be "not found". Here each of those is cut down to
`govcms.selectors`' jurisdiction querysets, so an object outside is exactly like a missing one.
The hooks that install these classes are in `govcms.wagtail_hooks`; the report views are mounted
ahead of Wagtail's own in `govcms.urls` (Wagtail offers no hook to replace them).
"""

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Cast
from django.http import Http404
from django.urls import path
from django.utils.functional import cached_property
from wagtail.admin.auth import require_admin_access
from wagtail.admin.ui.side_panels import ChecksSidePanel
from wagtail.admin.views.pages.bulk_actions.delete import DeleteBulkAction as PageDeleteBulkAction
from wagtail.admin.views.pages.bulk_actions.move import MoveBulkAction as PageMoveBulkAction
from wagtail.admin.views.pages.bulk_actions.publish import PublishBulkAction as PagePublishBulkAction
from wagtail.admin.views.pages.bulk_actions.unpublish import UnpublishBulkAction as PageUnpublishBulkAction
from wagtail.admin.views.pages.create import CreateView
from wagtail.admin.views.pages.edit import EditView
from wagtail.admin.views.pages.history import PageHistoryView
from wagtail.admin.views.pages.listing import ExplorableIndexView, IndexView
from wagtail.admin.views.pages.search import SearchView
from wagtail.admin.views.pages.usage import ContentTypeUseView
from wagtail.admin.views.reports.aging_pages import AgingPagesView
from wagtail.admin.views.reports.audit_logging import LogEntriesView
from wagtail.admin.views.reports.locked_pages import LockedPagesView
from wagtail.admin.views.reports.page_types_usage import PageTypesUsageReportView
from wagtail.admin.views.reports.workflows import WorkflowTasksView, WorkflowView
from wagtail.admin.viewsets.pages import PageViewSet
from wagtail.documents import get_document_model
from wagtail.documents.api.admin.views import DocumentsAdminAPIViewSet
from wagtail.documents.views.bulk_actions import (
    AddTagsBulkAction as DocumentAddTagsBulkAction,
)
from wagtail.documents.views.bulk_actions import (
    AddToCollectionBulkAction as DocumentAddToCollectionBulkAction,
)
from wagtail.documents.views.bulk_actions import (
    DeleteBulkAction as DocumentDeleteBulkAction,
)
from wagtail.images import get_image_model
from wagtail.images.api.admin.views import ImagesAdminAPIViewSet
from wagtail.images.views.bulk_actions import AddTagsBulkAction as ImageAddTagsBulkAction
from wagtail.images.views.bulk_actions import AddToCollectionBulkAction as ImageAddToCollectionBulkAction
from wagtail.images.views.bulk_actions import DeleteBulkAction as ImageDeleteBulkAction
from wagtail.models import Collection, Page, PageLogEntry
from wagtail.users.views.bulk_actions import AssignRoleBulkAction, SetActiveStateBulkAction
from wagtail.users.views.bulk_actions import DeleteBulkAction as UserDeleteBulkAction

from .selectors import (
    collections_visible_to,
    documents_visible_to,
    groups_visible_to,
    images_visible_to,
    is_system_admin,
    pages_visible_to,
    path_q,
    scope_paths,
    users_visible_to,
)
from .spreadsheets import with_safe_cells

logger = logging.getLogger(__name__)


def visible_queryset(user, model) -> QuerySet | None:
    """The objects of `model` that `user` may know about, or None when `model` is not
    jurisdictional (lexicon, sites, workflows and their steps are shared by the whole province)."""
    if issubclass(model, Page):
        return model.objects.filter(pk__in=pages_visible_to(user).values("pk"))
    if issubclass(model, get_image_model()):
        return images_visible_to(user)
    if issubclass(model, get_document_model()):
        return documents_visible_to(user)
    if issubclass(model, get_user_model()):
        return users_visible_to(user)
    if issubclass(model, Group):
        return groups_visible_to(user)
    if issubclass(model, Collection):
        return collections_visible_to(user)
    return None


def scope_queryset(queryset: QuerySet, user) -> QuerySet:
    """`queryset` without the objects outside `user`'s jurisdiction (unchanged for shared models)."""
    if is_system_admin(user):
        return queryset
    visible = visible_queryset(user, queryset.model)
    return queryset if visible is None else queryset.filter(pk__in=visible.values("pk"))


def scope_log_entries(queryset: QuerySet, user) -> QuerySet:
    """Wagtail log entries (page or model log) about objects inside `user`'s jurisdiction; those
    about shared models (lexicon, leaders, workflows) stay."""
    if is_system_admin(user):
        return queryset
    if issubclass(queryset.model, PageLogEntry):
        return queryset.filter(page_id__in=pages_visible_to(user).values("pk"))
    inside, scoped_types = Q(), []
    for model in (get_image_model(), get_document_model(), get_user_model(), Group, Collection):
        content_type = ContentType.objects.get_for_model(model)
        ids = visible_queryset(user, model).values_list(Cast("pk", output_field=CharField()), flat=True)
        inside |= Q(content_type=content_type, object_id__in=ids)
        scoped_types.append(content_type.pk)
    return queryset.filter(inside | ~Q(content_type_id__in=scoped_types))


def scope_filter_choices(filterset, user) -> None:
    """Narrow every model choice of `filterset`'s form (users, pages, collections) to `user`'s
    jurisdiction: a foreign choice is then invalid exactly like a missing one."""
    if filterset is None or is_system_admin(user):
        return
    for field in filterset.form.fields.values():
        queryset = getattr(field, "queryset", None)
        if isinstance(queryset, QuerySet):
            field.queryset = scope_queryset(queryset, user)


class ScopedFiltersMixin:
    """For Wagtail listing views: the filter form offers only choices inside the jurisdiction."""

    @cached_property
    def filters(self):
        filters = super().filters
        scope_filter_choices(filters, self.request.user)
        return filters


# --- page listings (explorer, search, per-type listing, page history): filters ------------------
# Their rows are already narrowed by `construct_explorer_page_queryset` and Wagtail's explorable
# pages; their owner / "edited by" filters list every user who ever owned or edited a page.


class ScopedIndexView(ScopedFiltersMixin, IndexView):
    pass


class ScopedExplorableIndexView(ScopedFiltersMixin, ExplorableIndexView):
    pass


class ScopedSearchView(ScopedFiltersMixin, SearchView):
    # Narrowed before the search runs: its results are no longer a queryset to filter.
    def annotate_queryset(self, pages):
        return scope_queryset(super().annotate_queryset(pages), self.request.user)


class ScopedContentTypeUseView(ScopedFiltersMixin, ContentTypeUseView):
    def get_base_queryset(self):
        return scope_queryset(super().get_base_queryset(), self.request.user)


class ScopedPageHistoryView(ScopedFiltersMixin, PageHistoryView):
    pass


def without_wagtail_checks(side_panels):
    """The editor's side panels less Wagtail's "Checks" (accessibility/readability, in English):
    our content checks (五关) are the one truth about a text, shown in the form itself."""
    return type(side_panels)([panel for panel in side_panels if not isinstance(panel, ChecksSidePanel)])


class OneTruthEditView(EditView):
    def get_side_panels(self):
        return without_wagtail_checks(super().get_side_panels())


class OneTruthCreateView(CreateView):
    def get_side_panels(self):
        return without_wagtail_checks(super().get_side_panels())


class ScopedPageViewSet(PageViewSet):
    """Wagtail's default page viewset with the scoped listings (registered for `Page`, so every
    page type uses it), and editors without Wagtail's own checks panel."""

    edit_view_class = OneTruthEditView
    add_view_class = OneTruthCreateView
    index_view_class = ScopedExplorableIndexView
    search_view_class = ScopedSearchView
    content_type_use_view_class = ScopedContentTypeUseView
    history_view_class = ScopedPageHistoryView


# --- bulk actions ------------------------------------------------------------------------------


class ScopedBulkActionMixin:
    """Bulk actions act on, and list, only objects inside the jurisdiction; ids outside it are
    dropped like missing ids (Wagtail answers 404 when none is left)."""

    def get_queryset(self, model, object_ids):
        objects = scope_queryset(model.objects.filter(pk__in=_int_ids(object_ids)), self.request.user)
        found = list(objects)
        if not found:
            raise Http404
        return found

    def get_all_objects_in_listing_query(self, parent_id):
        if (
            parent_id is not None
            and not scope_queryset(Page.objects.filter(pk=_int_or_none(parent_id)), self.request.user).exists()
        ):
            raise Http404
        return super().get_all_objects_in_listing_query(parent_id)


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _int_ids(values) -> list[int]:
    return [i for i in (_int_or_none(v) for v in values) if i is not None]


BULK_ACTIONS = (
    PageDeleteBulkAction,
    PageMoveBulkAction,
    PagePublishBulkAction,
    PageUnpublishBulkAction,
    ImageAddTagsBulkAction,
    ImageAddToCollectionBulkAction,
    ImageDeleteBulkAction,
    DocumentAddTagsBulkAction,
    DocumentAddToCollectionBulkAction,
    DocumentDeleteBulkAction,
    AssignRoleBulkAction,
    SetActiveStateBulkAction,
    UserDeleteBulkAction,
)

# One scoped subclass per Wagtail bulk action, registered after Wagtail's (same action type and
# models), so the registry keeps ours.
SCOPED_BULK_ACTIONS = [
    type(f"Scoped{action.__name__}", (ScopedBulkActionMixin, action), {"__module__": __name__})
    for action in BULK_ACTIONS
]


# --- admin API (the explorer menu, choosers' JSON) ---------------------------------------------


class ScopedImagesAdminAPIViewSet(ImagesAdminAPIViewSet):
    def get_queryset(self):
        return scope_queryset(super().get_queryset(), self.request.user)


class ScopedDocumentsAdminAPIViewSet(DocumentsAdminAPIViewSet):
    def get_queryset(self):
        return scope_queryset(super().get_queryset(), self.request.user)


# --- reports -----------------------------------------------------------------------------------


class ScopedLockedPagesView(ScopedFiltersMixin, LockedPagesView):
    def get_queryset(self):
        return scope_queryset(super().get_queryset(), self.request.user)


class ScopedAgingPagesView(ScopedFiltersMixin, AgingPagesView):
    def get_queryset(self):
        return scope_queryset(super().get_queryset(), self.request.user)


class ScopedWorkflowView(ScopedFiltersMixin, WorkflowView):
    def get_queryset(self):
        return super().get_queryset().filter(object_id__in=_visible_page_ids(self.request.user))


class ScopedWorkflowTasksView(ScopedFiltersMixin, WorkflowTasksView):
    def get_queryset(self):
        return super().get_queryset().filter(workflow_state__object_id__in=_visible_page_ids(self.request.user))


class ScopedLogEntriesView(ScopedFiltersMixin, LogEntriesView):
    # Wagtail shows a page's log to whoever may explore it (ancestors of one's pages included)
    # and a model's log to whoever holds any permission on the model (every county's images).
    def filter_queryset(self, queryset):
        return scope_log_entries(super().filter_queryset(queryset), self.request.user)


class ScopedPageTypesUsageReportView(ScopedFiltersMixin, PageTypesUsageReportView):
    """Counts and "last edited" of the pages inside the jurisdiction only."""

    def get_queryset(self):
        queryset = super().get_queryset()
        if is_system_admin(self.request.user):
            return queryset
        inside = path_q(scope_paths(self.request.user))
        pages_inside = path_q(scope_paths(self.request.user), "pages__path")
        latest = (
            Page.objects.filter(inside, content_type=OuterRef("pk"))
            .order_by(F("latest_revision_created_at").desc(nulls_last=True), "title", "-pk")
            .values("pk")[:1]
        )
        return queryset.annotate(
            count=Count("pages", filter=pages_inside), last_edited_page_id=Subquery(latest)
        ).order_by("-count", "app_label", "model")


def _visible_page_ids(user):
    # Workflow states name their object by a text id.
    return pages_visible_to(user).values_list(Cast("pk", output_field=CharField()), flat=True)


def _admin_view(view_class, **initkwargs):
    """`view_class` as an admin view (login and admin access required, as the admin's own URL
    include would apply), keeping `view_class` visible to introspection like `as_view()` does."""
    view = view_class.as_view(**initkwargs)
    decorated = require_admin_access(view)
    decorated.view_class, decorated.view_initkwargs = view.view_class, view.view_initkwargs
    return decorated


def _report(view, name: str, route: str) -> list:
    view = with_safe_cells(view)
    return [
        path(route, _admin_view(view), name=name),
        path(f"{route}results/", _admin_view(view, results_only=True), name=f"{name}_results"),
    ]


# Same paths as Wagtail's reports (whose URL names keep resolving to these paths), mounted first.
report_urlpatterns = [
    *_report(ScopedLockedPagesView, "locked_pages", "locked/"),
    *_report(ScopedWorkflowView, "workflow", "workflow/"),
    *_report(ScopedWorkflowTasksView, "workflow_tasks", "workflow_tasks/"),
    *_report(ScopedLogEntriesView, "site_history", "site-history/"),
    *_report(ScopedAgingPagesView, "aging_pages", "aging-pages/"),
    *_report(ScopedPageTypesUsageReportView, "page_types_usage", "page-types-usage/"),
]
