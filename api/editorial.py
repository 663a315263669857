"""Editorial endpoints: posts, checks, submission, the review queue, campaigns, review chains."""

import re
from typing import Literal

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field
from wagtail.models import Page

from editorial import chains
from editorial import selectors as ed_selectors
from editorial import services as ed_services
from editorial.models import Campaign, CheckRun, PostStatus, ReviewKind, ReviewRecord, ReviewStep
from govcms import selectors
from govcms.capabilities import STEP_ROLES
from govcms.models import AccountPage, AgencyPage, Platform
from inbox.reviewing import reply_review_fields

from .errors import ApiError
from .pagination import page
from .publishing import publications_by_post, publications_of
from .responses import ChecksOut, DecisionOut, PostList, PostOut, PostStatusOut, ReviewList
from .schemas import MAX_ID, Id, Moment, MultilineText, Text

router = Router(tags=["editorial"])


class PostPatch(Schema):
    """Editable fields of a post (title/digest/author/cover for WeChat; `body` is plain text for
    Weibo, HTML for WeChat)."""

    title: Text | None = Field(default=None, max_length=255)
    body: MultilineText | None = Field(default=None, max_length=6_000_000)
    digest: MultilineText | None = Field(default=None, max_length=512)
    author: Text | None = Field(default=None, max_length=64)
    cover_image: Id | None = None
    image: Id | None = None
    source_url: Text | None = Field(default=None, max_length=1000)
    is_repost: bool | None = None
    repost_source: Text | None = Field(default=None, max_length=255)
    comments_enabled: bool | None = None
    campaign_id: Id | None = None
    scheduled_at: Moment | None = None


class PostIn(PostPatch):
    account_id: Id
    kind: Platform
    title: Text = Field(default="", max_length=255)
    body: MultilineText = Field(default="", max_length=6_000_000)


class SubmitIn(Schema):
    override_reason: MultilineText = Field(default="", max_length=2000)


class DecisionIn(Schema):
    comment: MultilineText = Field(default="", max_length=4000)


class CampaignIn(Schema):
    name: Text = Field(min_length=1, max_length=128)
    agency_id: Id
    crisis: bool = False
    description: MultilineText = Field(default="", max_length=4000)


class ChainStep(Schema):
    name: Text = Field(min_length=1, max_length=255)
    role: Literal[STEP_ROLES]


class ChainIn(Schema):
    name: Text = Field(default="", max_length=255)
    steps: list[ChainStep] = Field(min_length=1, max_length=6)


# --- helpers ----------------------------------------------------------------------------------


def _visible_post(request, post_id: int):
    return selectors.access_object(ed_selectors.posts_visible_to(request.auth), post_id)


def _fields(request, payload: Schema, account: AccountPage) -> dict:
    """Map API fields onto model fields, resolving ids inside the caller's jurisdiction."""
    data = payload.dict(exclude_unset=True)
    for handled_by_caller in ("account_id", "kind", "title") if isinstance(payload, PostIn) else ():
        data.pop(handled_by_caller, None)
    if "source_url" in data:
        data["content_source_url"] = data.pop("source_url")
    if "campaign_id" in data:
        campaign_id = data.pop("campaign_id")
        data["campaign"] = (
            selectors.access_object(ed_selectors.campaigns_visible_to(request.auth), campaign_id)
            if campaign_id
            else None
        )
    for field in ("cover_image", "image"):
        if field in data:
            image_id = data.pop(field)
            # Another jurisdiction's image answers exactly as a missing one (404).
            images = selectors.images_visible_to(request.auth)
            data[field] = selectors.access_object(images, image_id) if image_id else None
    return {k: v for k, v in data.items() if v is not None or k in ("campaign", "cover_image", "image", "scheduled_at")}


def _checks_of(post) -> list[dict]:
    run = CheckRun.objects.filter(post=post).first()
    return run.findings if run else []


def attach_account_ids(posts) -> None:
    """Set `account_id` on each post from its parent's path, in one query for the whole page."""
    paths = {p.path[: -p.steplen] for p in posts}
    ids = dict(Page.objects.filter(path__in=paths).values_list("path", "pk"))
    for p in posts:
        p.account_id = ids.get(p.path[: -p.steplen])


def post_out(post, *, detail: bool = False) -> dict:
    if not hasattr(post, "account_id"):
        attach_account_ids([post])
    data = {
        "id": post.pk,
        "account_id": post.account_id,
        "kind": post.platform,
        "status": post.status,
        "revision_id": post.latest_revision_id,
        "title": post.title,
        "campaign_id": post.campaign_id,
        "scheduled_at": post.scheduled_at,
        "url": ed_services.post_public_link(post),
    }
    if detail:
        post = post.get_latest_revision_as_object()  # the current draft, not only what is live
        data["title"] = post.title
        data["body"] = post.body
        if post.platform == "wechat":
            data.update(
                digest=post.effective_digest(),
                author=post.author,
                cover_image=post.cover_image_id,
                source_url=post.content_source_url,
                is_repost=post.is_repost,
                repost_source=post.repost_source,
                comments_enabled=post.comments_enabled,
            )
        data["checks"] = _checks_of(post)
        data["reviewers"] = [
            {
                "step": r.step_name,
                "username": r.user.username,
                "action": r.action,
                "at": r.at,
                "comment": r.comment,
            }
            for r in ReviewRecord.objects.filter(post=post).select_related("user")
        ]
        data["publications"] = publications_of(post)
    return data


# --- posts ------------------------------------------------------------------------------------


@router.post("/posts", response={201: PostOut}, summary="Draft a post (Weibo text or WeChat HTML)")
def post_create(request, payload: PostIn):
    account = selectors.access_object(selectors.accounts_visible_to(request.auth), payload.account_id)
    post = ed_services.post_create(
        actor=request.auth,
        account=account,
        kind=payload.kind,
        title=payload.title,
        **_fields(request, payload, account),
    )
    return Status(201, {**post_out(post), "checks": _checks_of(post)})


class PostFilter(Schema):
    account_id: Id | None = None
    status: PostStatus | None = None
    campaign_id: Id | None = None


@router.get("/posts", response=PostList, summary="Posts visible to the caller")
def post_list(request, filters: Query[PostFilter]):
    qs = ed_selectors.posts_visible_to(request.auth, status=filters.status, campaign_id=filters.campaign_id)
    if filters.account_id is not None:
        account = selectors.access_object(selectors.accounts_visible_to(request.auth), filters.account_id)
        qs = qs.child_of(account)
    return page(request, qs, post_out, prepare=attach_account_ids)


@router.get("/posts/{post_id}", response=PostOut, summary="One post with its checks, reviewers and publications")
def post_detail(request, post_id: Id):
    return post_out(_visible_post(request, post_id), detail=True)


@router.patch("/posts/{post_id}", response=PostOut, summary="Edit (new revision); 409 unless draft or sent back")
def post_update(request, post_id: Id, payload: PostPatch):
    post = _visible_post(request, post_id)
    account = post.get_parent().specific
    post = ed_services.post_update(actor=request.auth, post=post, **_fields(request, payload, account))
    return post_out(post, detail=True)


class DraftCheckIn(Schema):
    """A draft to check without saving it (the editor's checks while typing); every field optional."""

    title: Text | None = Field(default=None, max_length=255)
    body: MultilineText | None = Field(default=None, max_length=6_000_000)
    digest: MultilineText | None = Field(default=None, max_length=512)
    author: Text | None = Field(default=None, max_length=64)
    is_repost: bool | None = None
    repost_source: Text | None = Field(default=None, max_length=255)


@router.post("/posts/{post_id}/check", response=ChecksOut, summary="Run the five-gate checks now")
def post_check(request, post_id: Id, payload: DraftCheckIn | None = None):
    """Without a body: check the latest revision and keep the run. With draft fields: check the
    draft as it would be saved, keep nothing, and answer the checked plain text as `text` (the
    findings' offsets refer to it)."""
    post = _visible_post(request, post_id)
    fields = payload.dict(exclude_unset=True) if payload is not None else {}
    if fields:
        findings, text = ed_services.post_check_draft(actor=request.auth, post=post, fields=fields)
        return {"checks": findings, "blocking": any(f["severity"] == "block" for f in findings), "text": text}
    run = ed_services.post_check(actor=request.auth, post=post, trigger="api")
    return {"checks": run.findings, "blocking": run.blocking}


@router.post("/posts/{post_id}/submit", response=PostStatusOut, summary="Submit into the review chain")
def post_submit(request, post_id: Id, payload: SubmitIn):
    post = _visible_post(request, post_id)
    post = ed_services.post_submit(actor=request.auth, post=post, override_reason=payload.override_reason)
    return {"id": post.pk, "status": post.status}


# --- review queue -----------------------------------------------------------------------------


def review_out(step: ReviewStep) -> dict:
    if step.kind == ReviewKind.REPLY:
        return {**_review_fields(step), **reply_review_fields(step)}
    return _review_fields(step)


def _review_fields(step: ReviewStep) -> dict:
    return {
        "task_id": step.pk,
        "kind": step.kind,
        "post_id": step.post_id,
        "step_name": step.step_name,
        "step_index": step.step_index,
        "steps_total": step.steps_total,
        "roles": step.roles,
        "submitted_by": step.requested_by.username if step.requested_by else None,
        "submitted_at": step.submitted_at,
        "due_at": step.due_at,
        "overdue": bool(step.due_at and step.due_at <= timezone.now()),
    }


@router.get("/reviews", response=ReviewList, summary="Items awaiting the caller's decision")
def review_list(request):
    return page(request, ed_selectors.review_steps_awaiting(request.auth), review_out)


def _decide(request, task_id: int, action: str, comment: str) -> dict:
    # Any open step inside the caller's jurisdiction is addressable; whether they may decide it is
    # answered by the rules (403 with the reason), not hidden as a 404.
    visible = ReviewStep.objects.filter(selectors.path_q(selectors.scope_paths(request.auth), "post_path"))
    step = selectors.access_object(visible, task_id)
    post = ed_services.review_act(step=step, user=request.auth, action=action, comment=comment)
    if step.kind == ReviewKind.REPLY:
        # A reply review decides an inbox reply or moderation request, not the post (the account).
        return {"post_id": post.pk, "post_status": None, **reply_review_fields(step)}
    return {"post_id": post.pk, "post_status": post.status}


@router.post("/reviews/{task_id}/approve", response=DecisionOut, summary="Approve a review item")
def review_approve(request, task_id: Id, payload: DecisionIn):
    return _decide(request, task_id, "approve", payload.comment)


@router.post("/reviews/{task_id}/reject", response=DecisionOut, summary="Reject with a required comment")
def review_reject(request, task_id: Id, payload: DecisionIn):
    return _decide(request, task_id, "reject", payload.comment)


# --- campaigns --------------------------------------------------------------------------------


def campaign_out(c: Campaign) -> dict:
    return {"id": c.pk, "name": c.name, "agency_id": c.agency_id, "crisis": c.crisis, "created_at": c.created_at}


@router.get("/campaigns", summary="Campaigns in the caller's jurisdiction")
def campaign_list(request):
    return page(request, ed_selectors.campaigns_visible_to(request.auth), campaign_out)


@router.post("/campaigns", response={201: dict}, summary="Create a linkage campaign")
def campaign_create(request, payload: CampaignIn):
    agency = selectors.access_object(selectors.agencies_visible_to(request.auth), payload.agency_id)
    campaign = ed_services.campaign_create(
        actor=request.auth, agency=agency, name=payload.name, crisis=payload.crisis, description=payload.description
    )
    return Status(201, campaign_out(campaign))


@router.get("/campaigns/{campaign_id}/timeline", summary="Every post of the campaign in time order")
def campaign_timeline(request, campaign_id: Id):
    campaign = selectors.access_object(ed_selectors.campaigns_visible_to(request.auth), campaign_id)
    items = ed_selectors.campaign_timeline(campaign)
    links = publications_by_post([item["post_id"] for item in items])
    for item in items:
        item["publications"] = links.get(item["post_id"], [])
    return {"campaign": campaign_out(campaign), "items": items}


# --- review chains ----------------------------------------------------------------------------


SCOPE = re.compile(r"(agency|account)-([0-9]{1,19})")


def _scope_page(request, scope: str):
    # ASCII digits only ("²" passes str.isdigit() but not int()), and an id a bigint can hold.
    match = SCOPE.fullmatch(scope)
    if match is None or int(match[2]) > MAX_ID:
        raise ApiError(404, "not_found", _("范围格式应为 agency-<id> 或 account-<id>"))
    visible = selectors.agencies_visible_to if match[1] == "agency" else selectors.accounts_visible_to
    return selectors.access_object(visible(request.auth), int(match[2]))


def chain_out(page_obj, workflow, configured_on) -> dict:
    return {
        "scope": f"{'agency' if isinstance(page_obj, AgencyPage) else 'account'}-{page_obj.pk}",
        "name": workflow.name if workflow else None,
        "configured_on": configured_on.pk if configured_on and configured_on.depth > 1 else None,
        "inherited": bool(configured_on and configured_on.pk != page_obj.pk),
        "steps": chains.chain_steps(workflow) if workflow else [],
    }


@router.get("/review-chains/{scope}", summary="The chain that applies at an agency or account")
def chain_get(request, scope: Text):
    scope_page = _scope_page(request, scope)
    workflow, configured_on = chains.chain_for(scope_page)
    return chain_out(scope_page, workflow, configured_on)


@router.put("/review-chains/{scope}", summary="Configure the chain of an agency or account")
def chain_put(request, scope: Text, payload: ChainIn):
    scope_page = _scope_page(request, scope)
    steps = [(s.name, s.role) for s in payload.steps]
    name = payload.name or f"{scope_page.title}：" + "→".join(step_name for step_name, _role in steps)
    workflow = chains.chain_set(actor=request.auth, page=scope_page, steps=steps, name=name[:255])
    return chain_out(scope_page, workflow, scope_page)
