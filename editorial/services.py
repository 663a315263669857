"""Writes of the editorial area: drafting, checks, submission, review actions, release.

Every service validates, writes, and records its audit event in one transaction. Callers (API,
admin hooks, the Wagtail task type, periodic tasks) decide who may call them; rules that belong
to the regulations themselves (no self-approval, comments on rejection, blocking findings) are
enforced here so no entry point can skip them.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from wagtail.models import Page, TaskState, WorkflowState

from audit import ledger
from govcms import capabilities as caps
from govcms.capabilities import SYSTEM, person, require
from govcms.models import AccountPage, AgencyPage, RoleAssignment
from govcms.services import ServiceError, notify, unique_slug
from govcms.workdays import WorkCalendar, add_working_hours

from . import chains, guards, policy
from .checks import engine
from .content import PLACEHOLDER_POST_ID, post_public_link, validate_wechat, validate_weibo
from .images import agency_of, body_image_sources, foreign_body_images, image_findings, settle_body_images
from .models import (
    EDITABLE_STATUSES,
    Campaign,
    CheckRun,
    LeaderTitle,
    LexiconEntry,
    PostPage,
    PostStatus,
    ReviewKind,
    ReviewRecord,
    ReviewStep,
    ReviewTask,
    WechatArticlePage,
    WeiboPostPage,
)
from .sanitize import ContentError, sanitize_wechat_html
from .selectors import approved_revision
from .signals import post_released, post_withdrawn, review_decided, vocabulary_changed

logger = logging.getLogger(__name__)
User = get_user_model()
POST_FIELDS = {
    "weibo": {"title", "body", "campaign", "scheduled_at", "image"},
    "wechat": {
        "title",
        "body",
        "digest",
        "author",
        "cover_image",
        "content_source_url",
        "is_repost",
        "repost_source",
        "comments_enabled",
        "campaign",
        "scheduled_at",
    },
}


def _record(action: str, *, actor, post: Page, data: dict | None = None) -> None:
    ledger.record(action=action, actor=actor, obj=post, object_type="post", data=data or {}, scope=post.path)


def users_with_role_at(*, roles: set[str], path: str):
    """Users holding one of `roles` now on the node at `path` or an ancestor of it."""
    ancestors = [path[:i] for i in range(Page.steplen, len(path) + 1, Page.steplen)]
    holders = (
        RoleAssignment.objects.active()
        .filter(role__in=roles)
        .filter(Q(agency__path__in=ancestors) | Q(account__path__in=ancestors))
        .values("user")
    )
    return User.objects.filter(pk__in=holders)


# --- drafting ---------------------------------------------------------------------------------


def refuse_off_air(account: AccountPage) -> None:
    """409 when the account is off the air (停更 or 注销): it takes no new post and no submission."""
    refusal = account.posting_refusal()
    if refusal is not None:
        raise ServiceError(refusal[0], refusal[1], status=409, details={"account_status": account.status})


def _clean_fields(post: PostPage, fields: dict, *, path: str) -> dict:
    """Validate field names for the post's kind and sanitise a WeChat body (hostile HTML, size)."""
    unknown = set(fields) - POST_FIELDS[post.platform]
    if unknown:
        raise ServiceError(
            "invalid_fields",
            _("该类型内容不支持字段：%(fields)s") % {"fields": ", ".join(sorted(unknown))},
            status=422,
        )
    if isinstance(post, WechatArticlePage) and fields.get("body") is not None:
        try:
            # Stored safe but with its links intact; footnotes are made at check/preview/publish.
            fields["body"] = sanitize_wechat_html(fields["body"], keep_links=True).html
        except ContentError as error:
            raise ServiceError(error.code, error.message, status=422, details=error.details) from error
    campaign = fields.get("campaign")
    if campaign is not None and not path.startswith(campaign.agency.path):  # its agency or above
        raise ServiceError("campaign_out_of_scope", _("联动专题不属于该账号所在机构"), status=422)
    return fields


def _settle_images(*, actor, account_path: str, fields: dict, known: str = "") -> dict:
    """Settle the external images of a WeChat body being saved (see `editorial.images`): the
    body points at stored copies and `image_problems` lists what could not be fetched. Runs
    outside the saving transaction (remote servers may be slow)."""
    if fields.get("body") is None:
        return fields
    foreign = foreign_body_images(body=fields["body"], actor=actor, known=known)
    if foreign:
        raise ServiceError(
            "image_out_of_scope",
            _("正文引用了本辖区以外或不存在的图片，请从本单位图片库重新插入"),
            status=422,
            details={"images": [src[:200] for src in foreign[:10]]},
        )
    body, problems = settle_body_images(body=fields["body"], agency=agency_of(account_path), actor=actor)
    return {**fields, "body": body, "image_problems": problems}


SLUG_WORDS_MAX = 60  # characters of a pinyin slug, before the uniqueness suffix


def pinyin_slug(text: str) -> str:
    """`text` as an ASCII slug: Chinese characters as toneless pinyin syllables, other letters
    and digits kept ("县公安局 2026 通告" → "xian-gong-an-ju-2026-tong-gao"); "" when nothing is left.
    Without the `pypinyin` package the Chinese characters are simply dropped."""
    try:
        from pypinyin import lazy_pinyin
    except ImportError:  # an optional nicety: the caller falls back to a short id
        logger.info("pypinyin is not installed: slugs of Chinese titles fall back to a short id")
        words = [text]
    else:
        words = lazy_pinyin(text, errors=lambda chunk: [chunk])
    return slugify(" ".join(words))[:SLUG_WORDS_MAX].strip("-")


def post_default_slug(*, account, kind: str, title: str = "") -> str:
    """A slug for a new post of `kind` under `account`, unique among the account's posts: the
    title in pinyin (a Chinese slug would be percent-encoded in every link), else when it was
    drafted."""
    base = pinyin_slug(title) or f"{kind}-{timezone.localtime():%Y%m%d%H%M%S}"
    return unique_slug(account, base)


def post_create(*, actor, account: AccountPage, kind: str, title: str, **fields) -> PostPage:
    """Create a draft post under `account` (not live), run the checks, return it.

    A WeChat body's external images are settled first (`_settle_images`)."""
    require(policy.may_draft(actor, account))
    if kind == "wechat" and account.platform == kind and account.status != "closed":
        fields = _settle_images(actor=actor, account_path=account.path, fields=fields)
    return _post_create(actor=actor, account=account, kind=kind, title=title, **fields)


@transaction.atomic
def _post_create(*, actor, account: AccountPage, kind: str, title: str, image_problems=None, **fields) -> PostPage:
    model = {"weibo": WeiboPostPage, "wechat": WechatArticlePage}.get(kind)
    if model is None or account.platform != kind:
        raise ServiceError(
            "kind_mismatch", _("账号平台为 %(p)s，不能创建 %(k)s 内容") % {"p": account.platform, "k": kind}, status=422
        )
    refuse_off_air(account)
    post = model(title=title or _("无标题"), live=False, owner=person(actor))
    fields = _clean_fields(post, {k: v for k, v in fields.items() if v is not None}, path=account.path)
    if image_problems is not None:
        fields["image_problems"] = image_problems
    for name, value in fields.items():
        setattr(post, name, value)
    post.slug = post_default_slug(account=account, kind=kind)
    account.add_child(instance=post)
    post.save_revision(user=person(actor), log_action=True)
    _record("post.created", actor=actor, post=post, data={"kind": kind, "account_id": account.pk, "title": post.title})
    post_check(actor=actor, post=post, trigger="save")
    return post


def post_update(*, actor, post: PostPage, **fields) -> PostPage:
    """Apply edits as a new revision; 409 unless the post is a draft or was sent back.

    A new WeChat body's external images are settled first (`_settle_images`), unless the post
    is visibly not editable (the locked re-check below decides)."""
    require(policy.may_edit(actor, post))
    if isinstance(post, WechatArticlePage) and post.status in EDITABLE_STATUSES:
        known = post.get_latest_revision_as_object().body if post.latest_revision_id else post.body
        fields = _settle_images(actor=actor, account_path=post.path[: -post.steplen], fields=fields, known=known)
    return _post_update(actor=actor, post=post, **fields)


@transaction.atomic
def _post_update(*, actor, post: PostPage, image_problems=None, **fields) -> PostPage:
    post = type(post).objects.select_for_update().get(pk=post.pk)
    if post.status not in EDITABLE_STATUSES:
        raise ServiceError(
            "not_editable",
            _("“%(status)s”状态的内容不能修改") % {"status": post.get_status_display()},
            status=409,
            details={"status": post.status},
        )
    draft = post.get_latest_revision_as_object()
    fields = _clean_fields(draft, fields, path=post.path)
    if image_problems is not None:
        fields["image_problems"] = image_problems
    for name, value in fields.items():
        setattr(draft, name, value)
    revision = draft.save_revision(user=person(actor), log_action=True)
    _record("post.updated", actor=actor, post=post, data={"fields": sorted(fields), "revision_id": revision.pk})
    post_check(actor=actor, post=post, trigger="save")
    return type(post).objects.get(pk=post.pk)


# --- content checks ---------------------------------------------------------------------------


def _lexicon() -> engine.Lexicon:
    rows = LexiconEntry.objects.filter(active=True)
    stats = rows.aggregate(n=Max("id"), at=Max("updated_at"))
    version = f"{rows.count()}:{stats['n']}:{stats['at']}"
    return engine.get_lexicon(
        version=version,
        load=lambda: [
            engine.LexiconEntry(term=e.term, category=e.category, severity=e.severity, suggestion=e.suggestion)
            for e in rows
        ],
    )


def _leaders() -> engine.LeaderRegistry:
    rows = LeaderTitle.objects.filter(active=True).order_by("name", "id")
    stats = rows.aggregate(n=Max("id"), at=Max("updated_at"))
    version = f"{rows.count()}:{stats['n']}:{stats['at']}"

    def load():
        grouped: dict[str, list[LeaderTitle]] = {}
        for row in rows:
            grouped.setdefault(row.name, []).append(row)
        return [
            engine.Leader(name=name, titles=tuple(r.title for r in group), order=group[0].order or None)
            for name, group in grouped.items()
        ]

    return engine.get_leader_registry(version=version, load=load)


def _limit_findings(post: PostPage) -> list[dict]:
    """Platform limits (length, size, cover, repost source) as blocking findings with the excess."""
    if isinstance(post, WeiboPostPage):
        errors = validate_weibo(body=post.body, link=post_public_link(post), image_count=1 if post.image_id else 0)
    else:
        errors = validate_wechat(
            title=post.title,
            author=post.author,
            digest=post.digest,
            body_html=post.expanded_body(),
            cover_present=bool(post.cover_image_id),
            is_repost=post.is_repost,
            repost_source=post.repost_source,
        )
    return [
        {
            "rule": f"limit_{e.code}",
            "gate": "wording",
            "gate_label": _(engine.GATE_LABELS["wording"]),
            "severity": "block",
            "message": e.message,
            "start": 0,
            "end": 0,
            "matched": "",
            "suggestion": "",
            "field": e.field,
            "limit": e.limit,
            "actual": e.actual,
        }
        for e in errors
    ]


def post_findings(post: PostPage) -> list[dict]:
    """All findings for the content of `post` as given (pass the latest revision's object for the
    current draft): the five gates plus platform limits."""
    is_wechat = isinstance(post, WechatArticlePage)
    findings = engine.run_checks(
        text=post.plain_text(),
        html=post.expanded_body() if is_wechat else None,
        platform=post.platform,
        lexicon=_lexicon(),
        leaders=_leaders(),
        is_repost=post.is_repost if is_wechat else False,
        repost_source=post.repost_source if is_wechat else "",
    )
    images = (
        image_findings(problems=post.image_problems, body_images=body_image_sources(post.expanded_body()))
        if is_wechat
        else []
    )
    return [f.as_dict() for f in findings] + _limit_findings(post) + images


def text_findings(*, text: str, platform: str) -> list[dict]:
    """The five-gate findings for a short plain text on `platform` (an inbox reply, a public
    answer), with the lexicon and leader register posts are checked with."""
    findings = engine.run_checks(text=text, platform=platform, lexicon=_lexicon(), leaders=_leaders())
    return [f.as_dict() for f in findings]


@transaction.atomic
def post_check(*, actor, post: PostPage, trigger: str) -> CheckRun:
    """Run every check on the post's latest revision and keep the result with that revision.

    An actor who may only read the post (an auditor) causes no write: the run comes back
    unsaved and nothing is recorded. An actor outside the post's jurisdiction is refused."""
    refused = policy.may_check(actor, post)
    if refused is not None and (refused.outside or actor is None):
        require(refused)
    post = type(post).objects.get(pk=post.pk)  # the caller's copy may predate its newest revision
    findings = post_findings(post.get_latest_revision_as_object())
    run = CheckRun(
        post=post,
        revision=post.get_latest_revision(),
        trigger=trigger,
        findings=findings,
        blocking=any(f["severity"] == "block" for f in findings),
        actor=person(actor),
    )
    if refused is not None:
        return run
    run.save()
    _record(
        "post.checked",
        actor=actor,
        post=post,
        data={
            "trigger": trigger,
            "blocking": run.blocking,
            "rules": sorted({f["rule"] for f in findings}),
            "revision_id": run.revision_id,
        },
    )
    return run


DRAFT_CHECK_FIELDS = {"title", "body", "digest", "author", "is_repost", "repost_source"}


def post_check_draft(*, actor, post: PostPage, fields: dict) -> tuple[list[dict], str]:
    """The findings for the post's current draft with `fields` applied, and the plain text their
    offsets refer to: the editor's checks while typing. Nothing is kept or recorded (the draft is
    not saved; the run on save is the one on record), so whoever may read the post may ask.

    `fields` are the text fields of `DRAFT_CHECK_FIELDS` valid for the post's platform (others are
    refused as by `post_update`); a WeChat body is sanitised as a save would sanitise it."""
    refused = policy.may_check(actor, post)
    if refused is not None and (refused.outside or actor is None):
        require(refused)
    candidate = type(post).objects.get(pk=post.pk).get_latest_revision_as_object()
    return _draft_findings(candidate, fields, path=post.path)


def account_check_draft(*, actor, account: AccountPage, fields: dict) -> tuple[list[dict], str]:
    """`post_check_draft` for a post not saved yet: the findings for a new post on `account` made
    of `fields` (the editor's checks while typing, before the first save). Nothing is created,
    kept or recorded. Whoever may draft on the account may ask (outside the jurisdiction: 404).

    `fields` as for `post_check_draft`, and `cover_image` (an image the caller has already fetched
    within the actor's jurisdiction) for a WeChat article. The link a Weibo status carries is
    measured with a placeholder id as long as a real one (`PLACEHOLDER_POST_ID`)."""
    require(policy.may_draft(actor, account))
    model = {"weibo": WeiboPostPage, "wechat": WechatArticlePage}.get(account.platform)
    if model is None:
        raise ServiceError("kind_mismatch", _("该账号平台不支持撰写内容"), status=422)
    candidate = model(title="", live=False, owner=person(actor))
    candidate.pk = PLACEHOLDER_POST_ID  # never saved: only measured (the post's public link)
    return _draft_findings(candidate, fields, path=account.path)


def _draft_findings(candidate: PostPage, fields: dict, *, path: str) -> tuple[list[dict], str]:
    """The findings for `candidate` (an unsaved copy) with the draft `fields` applied as a save
    would clean them, and the plain text their offsets refer to."""
    fields = _clean_fields(candidate, {k: v for k, v in fields.items() if v is not None}, path=path)
    for name, value in fields.items():
        setattr(candidate, name, value)
    return post_findings(candidate), candidate.plain_text()


# --- submission and review --------------------------------------------------------------------


def _blocking_rules(run: CheckRun) -> set[str]:
    return {f["rule"] for f in run.findings if f["severity"] == "block"}


def _override_covering(run: CheckRun) -> CheckRun | None:
    """The override decision that lets `run`'s revision through: one recorded on the same revision
    whose overridden findings include every blocking rule found now (None if there is none)."""
    blocking = _blocking_rules(run)
    decisions = CheckRun.objects.filter(
        post_id=run.post_id, revision_id=run.revision_id, overridden_by__isnull=False
    ).select_related("overridden_by")
    return next((d for d in decisions if blocking <= _blocking_rules(d)), None)


@transaction.atomic
def post_override(*, actor, post: PostPage, reason: str, run: CheckRun | None = None) -> CheckRun:
    """A signer's decision that the blocking findings of the post's latest revision may go to review
    (强制提交): who, when, why and which findings, kept on the check run and in the ledger.

    It authorises submitting that revision (by anyone who may submit); it is not a submission, so
    the signer does not become the submitter. `run` is the check run just made on the latest
    revision (a new one is made otherwise). 422 without a reason, 403 unless `actor` is a signer
    on the post's account, 409 when nothing blocks.
    """
    require(policy.may_override(actor, post))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("reason_required", _("强制提交须填写理由"), status=422)
    run = run or post_check(actor=actor, post=post, trigger="override")
    if not run.blocking:
        raise ServiceError("nothing_to_override", _("内容检查没有阻断性问题，无需强制提交"), status=409)
    run.override_reason = reason
    run.overridden_by = person(actor)
    run.overridden_at = timezone.now()
    run.save(update_fields=["override_reason", "overridden_by", "overridden_at"])
    blocking = [f for f in run.findings if f["severity"] == "block"]
    _record(
        "post.check_overridden",
        actor=actor,
        post=post,
        data={
            "reason": reason,
            "rules": sorted(_blocking_rules(run)),
            "findings": [{"rule": f["rule"], "matched": f.get("matched", "")} for f in blocking],
            "revision_id": run.revision_id,
            "check_run_id": run.pk,
        },
    )
    return run


def run_submitter(*, post: PostPage, requested_by, revision_id: int | None):
    """Who submitted a review run of `revision_id`: whoever asked for it — except a signer who
    overrode that revision's checks and sent it on, who only decided on the findings: then the
    post's editor (its owner) remains the submitter, so the signer may still approve a step."""
    if requested_by is None or not post.owner_id or post.owner_id == requested_by.pk:
        return requested_by
    overrode = CheckRun.objects.filter(post_id=post.pk, revision_id=revision_id, overridden_by=requested_by).exists()
    return post.owner if overrode else requested_by


@transaction.atomic
def post_submit(*, actor, post: PostPage, override_reason: str = "") -> PostPage:
    """Send the post into its review chain (from step one, also after a rejection).

    A blocking finding stops submission (422 content_blocked, with the findings) unless a signer
    has overridden it on this revision, or `actor` is a signer giving `override_reason` now (see
    `post_override`). An overriding signer does not become the submitter (`run_submitter`).
    """
    require(policy.may_submit(actor, post))
    post = type(post).objects.select_for_update().get(pk=post.pk)
    if post.status not in EDITABLE_STATUSES:
        raise ServiceError("not_submittable", _("当前状态不能提交审核"), status=409, details={"status": post.status})
    refuse_off_air(post.account)
    run = post_check(actor=actor, post=post, trigger="submit")
    override = None
    if run.blocking:
        if (override_reason or "").strip():
            override = post_override(actor=actor, post=post, reason=override_reason, run=run)
        else:
            override = _override_covering(run)
        if override is None:
            raise ServiceError(
                "content_blocked",
                _("内容检查发现阻断性问题，修改后再提交，或由签发人填写理由后强制提交"),
                status=422,
                details={"checks": run.findings},
            )
    active_runs = WorkflowState.objects.active().filter(
        base_content_type=post.get_base_content_type(), object_id=str(post.pk)
    )
    for stale in active_runs:
        stale.cancel(user=person(actor))
    workflow = post.get_workflow()
    if workflow is None:
        workflow = chains.ensure_default_chain()
    submitter = run_submitter(post=post, requested_by=actor, revision_id=run.revision_id)
    post.status = PostStatus.IN_REVIEW
    post.save(update_fields=["status"])
    workflow.start(post, submitter)
    _record(
        "post.submitted",
        actor=actor,
        post=post,
        data={
            "workflow": workflow.name,
            "submitter": submitter.username,
            "revision_id": run.revision_id,
            "overridden": override is not None,
            "overridden_by": override.overridden_by.username if override else None,
        },
    )
    return post


def step_opened(*, task_state: TaskState, user=None) -> ReviewStep | None:
    """Record an opened ReviewTask step (its due time, who may act) and tell the approvers."""
    task = task_state.task.specific
    if not isinstance(task, ReviewTask):
        return None
    workflow_state = task_state.workflow_state
    post = workflow_state.content_object.specific
    submitter = run_submitter(post=post, requested_by=workflow_state.requested_by, revision_id=task_state.revision_id)
    if submitter != workflow_state.requested_by:
        # Started from the admin by a signer who overrode the checks: the editor stays the submitter.
        workflow_state.requested_by = submitter
        workflow_state.save(update_fields=["requested_by"])
    workflow_tasks = list(
        workflow_state.workflow.workflow_tasks.order_by("sort_order").values_list("task_id", flat=True)
    )
    now = timezone.now()
    step = ReviewStep.objects.create(
        task_state=task_state,
        workflow_state=workflow_state,
        post=post,
        post_path=post.path,
        step_name=task.name,
        step_index=workflow_tasks.index(task.pk) + 1,
        steps_total=len(workflow_tasks),
        roles_text=f",{task.role},",
        requested_by=workflow_state.requested_by,
        submitted_at=workflow_state.created_at,
        due_at=add_working_hours(now, settings.GOVCMS_REVIEW_STEP_DUE_HOURS),
    )
    approvers = users_with_role_at(roles={task.role}, path=post.path).exclude(pk=workflow_state.requested_by_id)
    notify(
        users=list(approvers),
        kind="review_requested",
        message=_("《%(title)s》等待您审核（%(step)s），截止 %(due)s")
        % {"title": post.title, "step": task.name, "due": timezone.localtime(step.due_at).strftime("%Y-%m-%d %H:%M")},
        obj=post,
    )
    return step


@transaction.atomic
def review_act(*, step: ReviewStep, user, action: str, comment: str = "") -> PostPage:
    """Approve or reject one review item as `user`.

    Refusals raise ServiceError(403) with the contract's codes (self_approval,
    already_approved_step, not_reviewer; 409 step_closed); a rejection without a comment is 422.
    For a publish step the decision moves the Wagtail workflow; a rejection ends the run, so
    resubmission starts the chain from step one. An after-the-fact review is closed either way,
    a rejection telling the submitter and the signers.
    """
    step = ReviewStep.objects.select_for_update(of=("self",)).select_related("task_state", "post").get(pk=step.pk)
    refused = policy.may_decide(user, step)
    if refused is not None and refused.code == "step_closed":
        raise ServiceError(refused.code, refused.message, status=409)
    require(refused)
    if action not in ("approve", "reject"):
        raise ServiceError("invalid_action", _("未知审核动作"), status=422)
    comment = (comment or "").strip()
    if action == "reject" and not comment:
        raise ServiceError("comment_required", _("退回必须填写意见"), status=422)
    post = step.post.specific
    submitted = step.task_state.revision_id if step.task_state else None
    if step.kind == ReviewKind.PUBLISH and action == "approve" and submitted != post.latest_revision_id:
        # What the approver reads (the editor, the API's detail) is the latest revision; an
        # approval holds only for the revision the run was opened on, and content is frozen once
        # submitted (editorial.guards), so a difference means the content changed behind the chain.
        raise ServiceError(
            "revision_changed",
            _("内容在送审后被改动，不能通过；请退回后重新送审"),
            status=409,
            details={"submitted_revision_id": submitted, "latest_revision_id": post.latest_revision_id},
        )
    record = ReviewRecord.objects.create(
        post=post,
        workflow_state=step.workflow_state,
        revision=step.task_state.revision if step.task_state else step.revision,
        step_name=step.step_name,
        step_index=step.step_index,
        role=policy.acting_role(user, step) or step.roles[0],
        user=user,
        action=action,
        comment=comment,
    )
    step.open = False
    step.save(update_fields=["open"])
    # A decision in the post's review chain is the post's approval or rejection; the other kinds
    # decide a request about the post (after-the-fact review, withdrawal).
    verb = "approved" if action == "approve" else "rejected"
    _record(
        f"post.{verb}" if step.kind == ReviewKind.PUBLISH else f"review.{verb}",
        actor=user,
        post=post,
        data={
            "kind": step.kind,
            "step": step.step_name,
            "step_index": step.step_index,
            "steps_total": step.steps_total,
            "role": record.role,
            "comment": comment,
            "revision_id": record.revision_id,
        },
    )
    if step.kind == ReviewKind.PUBLISH:
        _decide_workflow_step(step=step, post=post, user=user, action=action, comment=comment)
    elif step.kind == ReviewKind.WITHDRAWAL:
        _decide_withdrawal(step=step, post=post, user=user, action=action, comment=comment)
    elif step.kind == ReviewKind.REPLY:
        # An inbox reply or moderation request (its `post` is the account): the inbox acts on it.
        review_decided.send(sender=ReviewStep, step=step, user=user, action=action, comment=comment)
    elif action == "reject":
        concerned = [step.requested_by] if step.requested_by else []
        concerned += list(users_with_role_at(roles=policy.override_notified_roles(), path=post.path))
        notify(
            users=concerned,
            kind="post_review_failed",
            message=_("《%(title)s》事后审核未通过：%(comment)s") % {"title": post.title, "comment": comment},
            obj=post,
        )
    return type(post).objects.get(pk=post.pk)


def _decide_workflow_step(*, step: ReviewStep, post: PostPage, user, action: str, comment: str) -> None:
    task_state = step.task_state
    if action == "approve":
        task_state.approve(user=user, comment=comment)
        return
    task_state.reject(user=user, comment=comment)
    workflow_state = WorkflowState.objects.get(pk=task_state.workflow_state_id)
    if workflow_state.status == WorkflowState.STATUS_NEEDS_CHANGES:
        # Wagtail would resume at the rejecting step; the regulations want the whole chain again.
        workflow_state.cancel(user=user)
    type(post).objects.filter(pk=post.pk).update(status=PostStatus.REJECTED)
    if step.requested_by:
        notify(
            users=[step.requested_by],
            kind="review_rejected",
            message=_("《%(title)s》在“%(step)s”被退回：%(comment)s")
            % {"title": post.title, "step": step.step_name, "comment": comment},
            url=reverse("wagtailadmin_pages:edit", args=[post.pk]),
            obj=post,
        )


WITHDRAWABLE_STATUSES = {
    PostStatus.APPROVED,
    PostStatus.SCHEDULED,
    PostStatus.PUBLISHING,
    PostStatus.PUBLISHED,
    PostStatus.PARTIALLY_PUBLISHED,
    PostStatus.FAILED,
}


@transaction.atomic
def post_withdraw_request(*, actor, post: PostPage, reason: str) -> ReviewStep:
    """Ask for a released post to be withdrawn (撤回); a signer of the account decides."""
    require(policy.may_request_withdrawal(actor, post))
    post = type(post).objects.select_for_update().get(pk=post.pk)
    if post.status not in WITHDRAWABLE_STATUSES:
        raise ServiceError(
            "not_withdrawable", _("只有已签发或已发布的内容可以撤回"), status=409, details={"status": post.status}
        )
    if not (reason or "").strip():
        raise ServiceError("reason_required", _("撤回须说明理由"), status=422)
    if ReviewStep.objects.filter(post=post, kind=ReviewKind.WITHDRAWAL, open=True).exists():
        raise ServiceError("withdrawal_pending", _("已有待审批的撤回申请"), status=409)
    now = timezone.now()
    step = ReviewStep.objects.create(
        kind=ReviewKind.WITHDRAWAL,
        post=post,
        post_path=post.path,
        revision=post.live_revision,
        step_name=_("撤回审批"),
        step_index=1,
        steps_total=1,
        roles_text="," + ",".join(caps.WITHDRAWAL_STEP_ROLES) + ",",
        requested_by=person(actor),
        submitted_at=now,
        due_at=add_working_hours(now, settings.GOVCMS_REVIEW_STEP_DUE_HOURS),
        note=reason.strip(),
    )
    _record("post.withdrawal_requested", actor=actor, post=post, data={"reason": step.note, "task_id": step.pk})
    notify(
        users=list(users_with_role_at(roles=set(caps.WITHDRAWAL_STEP_ROLES), path=post.path).exclude(pk=actor.pk)),
        kind="withdrawal_requested",
        message=_("《%(title)s》申请撤回：%(reason)s") % {"title": post.title, "reason": step.note},
        obj=post,
    )
    return step


def _decide_withdrawal(*, step: ReviewStep, post: PostPage, user, action: str, comment: str) -> None:
    if action == "reject":
        if step.requested_by:
            notify(
                users=[step.requested_by],
                kind="withdrawal_rejected",
                message=_("《%(title)s》的撤回申请未获批准：%(comment)s") % {"title": post.title, "comment": comment},
                obj=post,
            )
        return
    if post.live:
        from wagtail.actions.unpublish_page import UnpublishPageAction

        # The signer's approval is the authority here, not Wagtail's publish permission.
        UnpublishPageAction(post, user=user, log_action=True).execute(skip_permission_checks=True)
    type(post).objects.filter(pk=post.pk).update(status=PostStatus.WITHDRAWN)
    _record("post.withdrawn", actor=user, post=post, data={"reason": step.note, "approved_by": user.username})
    post_withdrawn.send(sender=type(post), post=post, reason=step.note, actor=user)


@transaction.atomic
def post_release(*, post: PostPage, user, workflow_state: WorkflowState) -> PostPage:
    """The chain's final approval releases the post: the revision the run approved goes live on
    the agency site — now, or at `scheduled_at` when that lies ahead (`post_release_due`) —
    without the approver needing publish rights, and is announced to publishing.

    The released revision is the one every approval of the run was given on; the final review
    record is marked `final` and pins it. Never "the latest": 409 approved_revision_unclear when
    the approvals disagree or none was recorded (the run's approvals roll back with it)."""
    post = type(post).objects.select_for_update().get(pk=post.pk)
    approvals = list(
        ReviewRecord.objects.filter(workflow_state=workflow_state, action="approve")
        .select_related("revision", "user")
        .order_by("id")
    )
    final = approvals[-1] if approvals else None
    if final is None or final.revision_id is None or any(a.revision_id != final.revision_id for a in approvals):
        raise ServiceError(
            "approved_revision_unclear", _("审核各步骤通过的不是同一版本，不能签发；请退回后重新送审"), status=409
        )
    final.final = True
    final.save(update_fields=["final"])
    revision = final.revision
    scheduled = post.scheduled_at and post.scheduled_at > timezone.now()
    if not scheduled:
        with guards.releasing(revision):
            revision.publish(user=user, skip_permission_checks=True)
    reviewers = [approval.user.username for approval in approvals]
    type(post).objects.filter(pk=post.pk).update(
        status=PostStatus.SCHEDULED if scheduled else PostStatus.APPROVED, released_by=reviewers
    )
    _record(
        "post.released",
        actor=user,
        post=post,
        data={
            "revision_id": revision.pk,
            "review_record_id": final.pk,
            "reviewers": reviewers,
            "releaser": user.username if user else None,
            "scheduled_at": str(post.scheduled_at or ""),
        },
    )
    if workflow_state.workflow.name == chains.CRISIS_CHAIN_NAME:
        # Every fast-tracked post owes a review after the fact, tracked in the queue until done.
        ReviewStep.objects.create(
            kind=ReviewKind.POST_REVIEW,
            workflow_state=workflow_state,
            revision=revision,
            post=post,
            post_path=post.path,
            step_name=_("事后审核"),
            step_index=1,
            steps_total=1,
            roles_text="," + ",".join(caps.AFTER_REVIEW_ROLES) + ",",
            requested_by=workflow_state.requested_by,
            submitted_at=timezone.now(),
            due_at=add_working_hours(timezone.now(), settings.GOVCMS_POST_HOC_REVIEW_HOURS),
        )
        _record("post.fast_tracked", actor=user, post=post, data={"revision_id": revision.pk})
    if not scheduled:
        post_released.send(sender=type(post), post=post, revision=revision, reviewers=reviewers)
    return type(post).objects.get(pk=post.pk)


def post_release_due(*, actor=SYSTEM, now: datetime | None = None) -> int:
    """Release scheduled posts whose time has come (also those missed while workers were down):
    the approved revision (`selectors.approved_revision`) goes live on the agency site and
    `post_released` is sent with it, once per post. The system's work (`actor`, the SYSTEM actor)."""
    require(policy.may_run_upkeep(actor))
    now = now or timezone.now()
    released = 0
    for model in (WeiboPostPage, WechatArticlePage):
        for pk in model.objects.filter(status=PostStatus.SCHEDULED, scheduled_at__lte=now).values_list("pk", flat=True):
            with transaction.atomic():
                post = (
                    model.objects.select_for_update(skip_locked=True).filter(pk=pk, status=PostStatus.SCHEDULED).first()
                )
                if post is None:
                    continue
                revision = approved_revision(post)
                if revision is None:  # released without a pinned approval: nothing may go out
                    logger.error("scheduled post %s has no approved revision; not released", pk)
                    continue
                if post.live_revision_id != revision.pk:
                    with guards.releasing(revision):
                        revision.publish(user=None, skip_permission_checks=True)
                model.objects.filter(pk=pk).update(status=PostStatus.APPROVED)
                _record("post.released_on_schedule", actor=actor, post=post, data={"revision_id": revision.pk})
                post_released.send(sender=model, post=post, revision=revision, reviewers=post.released_by)
                released += 1
    return released


# --- deadlines --------------------------------------------------------------------------------


def review_deadlines(*, actor=SYSTEM, now: datetime | None = None) -> dict:
    """Remind approvers of steps that reached their due time, and escalate steps overdue by
    GOVCMS_REVIEW_ESCALATE_AFTER_HOURS working hours to the next role up. Idempotent. The
    system's work (`actor`, the SYSTEM actor)."""
    require(policy.may_run_upkeep(actor))
    now = now or timezone.now()
    reminded = escalated = 0
    for step in ReviewStep.objects.filter(open=True, due_at__lte=now, reminded_at__isnull=True).select_related("post"):
        with transaction.atomic():
            approvers = users_with_role_at(roles=set(step.roles), path=step.post_path).exclude(pk=step.requested_by_id)
            notify(
                users=list(approvers),
                kind="review_due",
                message=_("《%(title)s》的“%(step)s”已到审核时限") % {"title": step.post.title, "step": step.step_name},
                obj=step.post,
            )
            ReviewStep.objects.filter(pk=step.pk).update(reminded_at=now)
            ledger.record(
                action="review.reminded",
                actor=actor,
                object_type="post",
                object_id=step.post_id,
                data={"step": step.step_name, "due_at": step.due_at.isoformat()},
                scope=step.post_path,
            )
            reminded += 1
    calendar = WorkCalendar()  # one load of the holiday rows for the whole sweep
    for step in ReviewStep.objects.filter(open=True, escalated_at__isnull=True).select_related("post"):
        if add_working_hours(step.due_at, settings.GOVCMS_REVIEW_ESCALATE_AFTER_HOURS, calendar=calendar) > now:
            continue
        with transaction.atomic():
            up = chains.ESCALATION[step.roles[0]]
            step.roles = [*step.roles, up]
            step.escalated_at = now
            step.save(update_fields=["roles_text", "escalated_at"])
            notify(
                users=list(users_with_role_at(roles={up}, path=step.post_path).exclude(pk=step.requested_by_id)),
                kind="review_escalated",
                message=_("《%(title)s》的“%(step)s”超时未审，已升级由您审核")
                % {"title": step.post.title, "step": step.step_name},
                obj=step.post,
            )
            ledger.record(
                action="review.escalated",
                actor=actor,
                object_type="post",
                object_id=step.post_id,
                data={"step": step.step_name, "to_role": up},
                scope=step.post_path,
            )
            escalated += 1
    return {"reminded": reminded, "escalated": escalated}


# --- campaigns --------------------------------------------------------------------------------


@transaction.atomic
def campaign_create(*, actor, agency: AgencyPage, name: str, crisis: bool = False, description: str = "") -> Campaign:
    """A linkage campaign (联动专题) of `agency`; `crisis` ones use the one-step fast track."""
    require(policy.may_create_campaign(actor, agency))
    campaign = Campaign.objects.create(
        agency=agency, name=name, crisis=crisis, description=description, created_by=person(actor)
    )
    ledger.record(
        action="campaign.created",
        actor=actor,
        obj=campaign,
        data={"name": name, "crisis": crisis, "agency_id": agency.pk},
        scope=agency.path,
    )
    return campaign


# --- lexicon ---------------------------------------------------------------------------------


def lexicon_changes(entries: list[engine.LexiconEntry], *, for_update: bool = False):
    """Split parsed entries against the stored lexicon: (new rows, changed rows, unchanged count).

    An entry matches a stored row of the same term and category; only its severity and
    suggestion are taken from the file (whether the row is active stays an admin's decision).
    """
    stored = LexiconEntry.objects.filter(term__in={e.term for e in entries})
    if for_update:
        stored = stored.select_for_update()
    existing = {(row.term, row.category): row for row in stored}
    now = timezone.now()
    new, changed, unchanged = [], [], 0
    for entry in entries:
        row = existing.get((entry.term, entry.category))
        if row is None:
            new.append(
                LexiconEntry(
                    term=entry.term,
                    category=entry.category,
                    severity=entry.severity,
                    suggestion=entry.suggestion,
                    active=True,
                )
            )
        elif (row.severity, row.suggestion) != (entry.severity, entry.suggestion):
            row.severity, row.suggestion = entry.severity, entry.suggestion
            # bulk_update skips auto_now; the content checks' lexicon cache is keyed on updated_at.
            row.updated_at = now
            changed.append(row)
        else:
            unchanged += 1
    return new, changed, unchanged


@transaction.atomic
def lexicon_import(*, actor, entries: list[engine.LexiconEntry], filename: str = "", skipped: int = 0) -> dict:
    """Create the new entries and update the changed ones in one transaction, with one ledger event.

    Raises ServiceError(409, lexicon_conflict) when a term was added concurrently since the preview.
    """
    require(policy.may_import_lexicon(actor))
    new, changed, unchanged = lexicon_changes(entries, for_update=True)
    try:
        with transaction.atomic():
            LexiconEntry.objects.bulk_create(new)
    except IntegrityError as error:
        # Another import or an editor added one of these terms since the preview.
        raise ServiceError("lexicon_conflict", _("词库刚被他人修改，请重新上传后再导入"), status=409) from error
    LexiconEntry.objects.bulk_update(changed, ["severity", "suggestion", "updated_at"])
    counts = {"created": len(new), "updated": len(changed), "unchanged": unchanged, "skipped": skipped}
    ledger.record(
        action="lexicon.imported", actor=actor, object_type="lexiconentry", data={**counts, "filename": filename}
    )
    if new or changed:
        vocabulary_changed.send(sender=LexiconEntry)
    return counts


# --- leader register ----------------------------------------------------------------------------


@transaction.atomic
def leaders_add(*, actor, leaders: list[tuple[str, str, str]]) -> int:
    """Register the (name, title, order) pairs not registered yet, with one ledger event; returns how
    many were added. Pairs already present (active or not) are left as an admin set them."""
    require(policy.may_import_lexicon(actor))
    existing = set(LeaderTitle.objects.values_list("name", "title"))
    new = [
        LeaderTitle(name=name, title=title, order=order)
        for name, title, order in leaders
        if (name, title) not in existing
    ]
    if new:
        LeaderTitle.objects.bulk_create(new)
        ledger.record(
            action="leaders.added",
            actor=actor,
            object_type="leadertitle",
            data={"pairs": [f"{leader.name}:{leader.title}" for leader in new]},
        )
        vocabulary_changed.send(sender=LeaderTitle)
    return len(new)
