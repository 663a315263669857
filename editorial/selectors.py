"""Reads of the editorial area, scoped to the caller's jurisdiction; constant query counts."""

from functools import reduce
from operator import or_

from django.db.models import Exists, OuterRef, Q, QuerySet
from wagtail.models import Page, Revision

from govcms.capabilities import STEP_ROLES
from govcms.selectors import is_system_admin, path_q, scope_paths, user_scopes

from .models import POST_MODELS, Campaign, ReviewRecord, ReviewStep

REVIEW_ROLES = set(STEP_ROLES)


def posts_visible_to(user, *, status: str | None = None, campaign_id: int | None = None) -> QuerySet[Page]:
    """Posts (both kinds, as specific pages) inside the caller's jurisdiction, newest first,
    optionally filtered on the fields both post types share. A constant number of queries."""
    qs = Page.objects.type(*POST_MODELS).filter(path_q(scope_paths(user)))
    if status is not None or campaign_id is not None:
        shared = {k: v for k, v in (("status", status), ("campaign_id", campaign_id)) if v is not None}
        # No ORDER BY inside the UNION's parts: SQLite refuses it in compound statements.
        matching = POST_MODELS[0].objects.filter(**shared).order_by().values("pk")
        for model in POST_MODELS[1:]:
            matching = matching.union(model.objects.filter(**shared).order_by().values("pk"))
        qs = qs.filter(pk__in=matching)
    return qs.specific().order_by("-latest_revision_created_at", "-id")


def campaign_timeline(campaign: Campaign) -> list[dict]:
    """Every post of the campaign on every platform, in time order (release time, else creation)."""
    rows = []
    for model in POST_MODELS:
        for post in model.objects.filter(campaign=campaign).select_related("campaign"):
            rows.append(
                {
                    "post_id": post.pk,
                    "kind": post.platform,
                    "title": post.title,
                    "status": post.status,
                    "account_path": post.path[: -post.steplen],
                    "at": post.first_published_at or post.latest_revision_created_at,
                    "url": post.full_url,
                    "publications": [],
                }
            )
    accounts = {
        path: (pk, title)
        for path, pk, title in Page.objects.filter(path__in={r["account_path"] for r in rows}).values_list(
            "path", "pk", "title"
        )
    }
    for row in rows:
        row["account_id"], row["account_name"] = accounts.get(row.pop("account_path"), (None, None))
    return sorted(rows, key=lambda r: (r["at"] is None, r["at"]))


def campaigns_visible_to(user) -> QuerySet[Campaign]:
    return Campaign.objects.filter(path_q(scope_paths(user), "agency__path")).select_related("agency")


def _role_scope_q(user) -> Q:
    """Steps under a path where the user holds one of the roles that may act on them."""
    if is_system_admin(user):
        return Q()
    clauses = [
        Q(post_path__startswith=scope.path, roles_text__contains=f",{scope.role},")
        for scope in user_scopes(user)
        if scope.path and scope.role in REVIEW_ROLES
    ]
    return reduce(or_, clauses) if clauses else Q(pk__in=[])


def review_steps_awaiting(user) -> QuerySet[ReviewStep]:
    """Open items `user` may decide now, of every kind: right role at the post's account or
    above, not their own submission, and nothing else of the same run approved by them. One query."""
    approved_by_user = ReviewRecord.objects.filter(
        workflow_state=OuterRef("workflow_state"), user=user, action="approve"
    )
    return (
        ReviewStep.objects.filter(open=True)
        .filter(_role_scope_q(user))
        .exclude(requested_by=user)
        .exclude(Exists(approved_by_user))
        .select_related("requested_by")
        .order_by("due_at", "id")
    )


def approved_revision(post) -> Revision | None:
    """The revision the review chain approved and released (pinned in the final review record),
    the only one that may be on the site or sent to a platform; None if never released."""
    record = ReviewRecord.objects.filter(post_id=post.pk, final=True).select_related("revision").order_by("-id").first()
    return record.revision if record else None
