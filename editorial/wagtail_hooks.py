"""Admin integration of the editorial area: lexicon and leader snippets, campaigns, the
"awaiting my review" dashboard panel, audit/check upkeep for edits made in the editor, and the
refusals that keep submitted posts as approved and publishing to the review chain."""

from django.contrib import messages as django_messages
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.action_menu import WorkflowMenuItem
from wagtail.admin.rich_text.editors.draftail import features as draftail_features
from wagtail.admin.ui.components import Component
from wagtail.models import WorkflowState
from wagtail.signals import workflow_submitted
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from audit import ledger
from audit.models import LedgerEvent
from govcms.models import AccountPage
from govcms.selectors import scope_paths

from .guards import frozen_message, is_frozen
from .models import POST_MODELS, LeaderTitle, LexiconEntry, PostStatus, ReviewKind, ReviewRecord, ReviewStep
from .selectors import REVIEW_ROLES, review_steps_awaiting
from .services import post_check


class LexiconViewSet(SnippetViewSet):
    model = LexiconEntry
    icon = "warning"
    menu_label = _("内容检查词库")
    menu_name = "lexicon"
    add_to_admin_menu = True
    menu_order = 300
    list_display = ["term", "category", "severity", "suggestion", "active"]
    list_filter = ["category", "severity", "active"]
    search_fields = ["term"]


class LeaderViewSet(SnippetViewSet):
    model = LeaderTitle
    icon = "user"
    menu_label = _("领导姓名职务")
    menu_name = "leaders"
    add_to_admin_menu = True
    menu_order = 310
    list_display = ["name", "title", "order", "active"]
    search_fields = ["name", "title"]


register_snippet(LexiconViewSet)
register_snippet(LeaderViewSet)


def _record_editor_change(request, page, action: str) -> None:
    page = page.specific
    if not isinstance(page, POST_MODELS):
        return
    if action == "post.updated" and _revision_recorded(page):
        # No new revision in this request (e.g. a reviewer approving in the editor without
        # corrections): nothing was edited, and the approval has its own event.
        return
    ledger.record(
        action=action,
        actor=request.user,
        object_type="post",
        object_id=page.pk,
        data={"title": page.title, "via": "admin", "revision_id": page.latest_revision_id},
        scope=page.path,
    )
    # A signer's override given with "submit" is recorded by PostPage.save_revision.
    post_check(actor=request.user, post=page, trigger="save")


def _revision_recorded(page) -> bool:
    return LedgerEvent.objects.filter(
        object_type="post",
        object_id=str(page.pk),
        action__in=("post.created", "post.updated"),
        data__revision_id=page.latest_revision_id,
    ).exists()


@hooks.register("after_create_page")
def record_post_created(request, page):
    _record_editor_change(request, page, "post.created")


@hooks.register("after_edit_page")
def record_post_edited(request, page):
    _record_editor_change(request, page, "post.updated")


# --- Submitted content stays as approved (see editorial.guards) ---------------------------------


def _refused(request, message: str, url: str):
    """The refusal as the caller expects it: JSON for the editor's autosave, else a message."""
    if not request.accepts("text/html"):
        return JsonResponse({"success": False, "error_code": "not_editable", "error_message": message}, status=400)
    messages.error(request, message)
    return redirect(url)


@hooks.register("before_edit_page")
def refuse_editing_submitted_posts(request, page):
    """A submitted post takes no save, publish, submit, revert, autosave or workflow restart or
    cancellation from the editor. Only deciding the open step is posted here (by its approvers,
    whom the step's lock lets in; the form refuses any change to the content with it)."""
    if request.method != "POST" or not isinstance(page, POST_MODELS) or not is_frozen(page):
        return None
    if request.POST.get("action-workflow-action"):
        return None
    return _refused(request, frozen_message(page.status), request.path)


@hooks.register("before_edit_page")
def read_the_review_state_once(request, page):
    """GET of a post's editor: the active workflow state read once, as Wagtail's listings
    prefetch it (`_current_workflow_states`), and the review actions worked out once per user
    (`editorial.chains.task_actions`), instead of again for every panel, lock check and menu
    that asks (some sixty queries). Not on POST: a decision changes the state mid-request."""
    if request.method != "GET" or not isinstance(page, POST_MODELS):
        return None
    states = WorkflowState.objects.for_instance(page).active().select_related("current_task_state__task")
    page._current_workflow_states = list(states)
    page._govcms_task_actions = {}
    return None


@hooks.register("before_create_page")
def refuse_publishing_new_posts(request, parent_page, page_class):
    """A new post is a draft: only its review chain publishes it."""
    if request.method == "POST" and issubclass(page_class, POST_MODELS) and request.POST.get("action-publish"):
        return _refused(request, gettext("内容只能经审核流程签发后发布，请保存草稿或提交审核"), request.path)
    return None


@hooks.register("before_copy_page")
def refuse_live_copies_of_posts(request, page):
    """A copy of a post is a new draft (its status is not copied); it is never kept live and
    never an alias mirroring the original (neither went through a chain as itself)."""
    if request.method != "POST" or not issubclass(page.specific_class or type(page), POST_MODELS):
        return None
    if request.POST.get("publish_copies") or request.POST.get("alias"):
        return _refused(request, gettext("内容的副本须作为草稿重新审核，不能直接发布或设为别名"), request.path)
    return None


@hooks.register("construct_page_action_menu")
def hide_publish_for_posts(menu_items, request, context):
    """The create view offers "publish" by the account's rights; a post is published by its chain.
    (The edit view offers none: the post's permission tester refuses publishing.)"""
    parent = context.get("parent_page")
    if context.get("view") == "create" and parent is not None and issubclass(parent.specific_class, AccountPage):
        menu_items[:] = [item for item in menu_items if item.name != "action-publish"]


@hooks.register("construct_page_action_menu")
def name_the_final_approval(menu_items, request, context):
    """On a chain's last step Wagtail appends "and Publish" to every approve label (通过并发布);
    the approval with a comment then reads 通过并发布（附意见）, not 通过并附意见并发布. Before
    the last step the labels are ours unchanged, so no query is needed to tell the steps apart."""
    with_comment = gettext("通过并附意见")
    for item in menu_items:
        if (
            isinstance(item, WorkflowMenuItem)
            and item.name == "approve"
            and item.launch_modal
            and str(item.label) != with_comment
        ):
            item.label = gettext("通过并发布（附意见）")


# Last (order): the redirect it answers ends the hook run, so every other hook must have run.
@hooks.register("after_edit_page", order=100)
def say_what_the_decision_did(request, page):
    """After a review decision in the editor Wagtail says only "页面已更新"; say what happened
    instead (which step was passed and where the post went, or that it was sent back) and go
    back to 待我审核, where the next item waits, most urgent first."""
    if request.method != "POST" or not request.POST.get("action-workflow-action") or not isinstance(page, POST_MODELS):
        return None
    record = ReviewRecord.objects.filter(post=page, user=request.user).order_by("-pk").first()
    if record is None:
        return None
    values = {"title": page.title, "index": record.step_index, "step": record.step_name}
    if record.action == "reject":
        message = gettext("《%(title)s》已在第 %(index)s 步“%(step)s”退回修改，已通知作者") % values
    else:
        following = ReviewStep.objects.filter(post=page, open=True, kind=ReviewKind.PUBLISH).first()
        if following is not None:
            values["next"] = following.step_name
            message = gettext("《%(title)s》已通过第 %(index)s 步“%(step)s”，已转“%(next)s”") % values
        else:
            message = gettext("《%(title)s》已通过最后一步“%(step)s”，审核完成，内容已签发") % values
    # Iterating the request's messages consumes them; all but Wagtail's generic success go back.
    kept = [m for m in django_messages.get_messages(request) if m.level != django_messages.SUCCESS]
    for m in kept:
        django_messages.add_message(request, m.level, m.message, extra_tags=m.extra_tags)
    messages.success(request, message)
    # Back to the queue, the most urgent item first: the next decision is one click away.
    return redirect("editorial_reviews:index")


def next_item_url(step) -> str:
    """Where an item of the queue is decided: the post editor, or the queue for the kinds decided there."""
    from .admin.reviews import DECIDED_IN_LISTING

    if step.kind in DECIDED_IN_LISTING:
        return reverse("editorial_reviews:index")
    return reverse("wagtailadmin_pages:edit", args=[step.post_id])


def mark_in_review(sender, instance, user=None, **kwargs):
    """A chain started from the editor's "submit" button puts the post in review, as the API does."""
    post = instance.content_object.specific
    if isinstance(post, POST_MODELS) and post.status != PostStatus.IN_REVIEW:
        type(post).objects.filter(pk=post.pk).update(status=PostStatus.IN_REVIEW)
        # The opened step may have named another submitter (a signer's override is no submission).
        submitter = type(instance).objects.select_related("requested_by").get(pk=instance.pk).requested_by
        ledger.record(
            action="post.submitted", actor=user, object_type="post", object_id=post.pk,
            data={"workflow": instance.workflow.name, "via": "admin",
                  "submitter": submitter.username if submitter else None},
            scope=post.path,
        )  # fmt: skip


workflow_submitted.connect(mark_in_review, dispatch_uid="editorial.mark_in_review")


class AwaitingReviewPanel(Component):
    """Dashboard: every item awaiting the user's decision, most urgent first, with due times."""

    name = "govcms_awaiting_review"
    template_name = "editorial/admin/awaiting_review_panel.html"
    order = 90

    def __init__(self, user):
        self.user = user

    def get_context_data(self, parent_context=None):
        queue = review_steps_awaiting(self.user)
        steps = list(queue.select_related("post", "requested_by")[:20])
        now = timezone.now()
        for step in steps:
            step.overdue = bool(step.due_at and step.due_at <= now)
            step.url = next_item_url(step)
        return {"steps": steps, "total": queue.count() if len(steps) == 20 else len(steps)}


# Wagtail's own "awaiting your review" panel lists the same items as ours (one panel, not two).
WAGTAIL_DUPLICATE_PANELS = {"workflow_objects_to_moderate"}


@hooks.register("construct_homepage_panels")
def add_awaiting_review_panel(request, panels):
    from .admin.compose import ComposePanel

    panels[:] = [panel for panel in panels if getattr(panel, "name", "") not in WAGTAIL_DUPLICATE_PANELS]
    if scope_paths(request.user, REVIEW_ROLES):  # whoever reviews, as the 待我审核 menu item
        panels.insert(0, AwaitingReviewPanel(request.user))
    panels.insert(0, ComposePanel(request))


@hooks.register("register_admin_menu_item")
def register_compose_menu():
    """写作: 写微博 / 写微信文章 for each account the user may write for."""
    from .admin.compose import compose_menu_item

    return compose_menu_item()


@hooks.register("register_icons")
def register_platform_icons(icons):
    return [*icons, "editorial/icons/weibo.svg", "editorial/icons/wechat.svg"]


# --- Editorial admin screens: 待我审核, 词库导入, 联动专题, 履历 (views in editorial.admin) ---


@hooks.register("register_admin_viewset")
def register_editorial_admin_viewsets():
    from .admin.campaigns import CampaignViewSet
    from .admin.drafting import ComposeHelpersViewSet
    from .admin.lexicon import LexiconImportViewSet
    from .admin.posts import PostAdminViewSet
    from .admin.readonly import PostReadViewSet
    from .admin.reviews import ReviewViewSet

    return [
        ReviewViewSet(),
        LexiconImportViewSet(),
        CampaignViewSet(),
        PostAdminViewSet(),
        PostReadViewSet(),
        ComposeHelpersViewSet(),
    ]


@hooks.register("register_page_header_buttons")
def editorial_post_header_buttons(page, user, view_name, next_url=None):
    from .admin.posts import post_header_buttons

    return post_header_buttons(page=page, user=user)


@hooks.register("register_page_listing_buttons")
def editorial_post_listing_buttons(page, user, next_url=None):
    """A read-only view of each post in the explorer, for whoever can see it (auditors included)."""
    from .admin.posts import is_visible_post, read_only_button

    return [read_only_button(page, listing=True)] if is_visible_post(page, user) else []


@hooks.register("construct_main_menu")
def lexicon_import_menu(request, menu_items):
    """Importers find 词库导入 under the lexicon's own menu item."""
    from .admin.lexicon import lexicon_submenu
    from .policy import may_import_lexicon

    if may_import_lexicon(request.user) is None:
        menu_items[:] = [lexicon_submenu(item) if item.name == "lexicon" else item for item in menu_items]


# --- Images dropped or pasted into a rich-text body (editorial/static/editorial/image_drop.js) ---


@hooks.register("register_rich_text_features")
def register_image_drop_feature(features):
    """A Draftail plugin (Wagtail's `PluginFeature`, `draftail.registerPlugin(..., "plugins")`):
    an image file dropped or pasted into the body is uploaded to the account's agency
    (`editorial.admin.drafting.upload_image`) and inserted as an image block where it was dropped.
    On by default: it acts only in a post's editor, whose composer config names the upload URL."""
    features.register_editor_plugin(
        "draftail",
        "govcms-image-drop",
        draftail_features.PluginFeature({"type": "GOVCMS_IMAGE_DROP"}, js=["editorial/image_drop.js"]),
    )
    features.default_features.append("govcms-image-drop")
