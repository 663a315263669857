"""Response schemas of the editorial and publishing endpoints, so the OpenAPI document declares
their enum fields (post `status` and `kind`, review `kind`, publication `status` and `platform`,
finding `severity`) from the model choices.

Each declares the fields a client filters or branches on and lets every other field through
unchanged (`extra="allow"`): the serialisers stay the one place a response's fields are built.
"""

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from editorial.models import PostStatus, ReviewKind, Severity
from govcms.models import Platform
from publishing.models import PublicationStatus


class Open(BaseModel):
    # A plain pydantic model: ninja's Schema reads attributes through a getter that drops the
    # fields it does not declare.
    model_config = ConfigDict(extra="allow")


class FindingOut(Open):
    rule: str
    severity: Severity


class PublicationOut(Open):
    id: int
    account_id: int
    platform: Platform
    status: PublicationStatus


class PostOut(Open):
    id: int
    account_id: int | None
    kind: Platform
    status: PostStatus
    checks: list[FindingOut] | None = None
    publications: list[PublicationOut] | None = None


class PostList(Open):
    items: list[PostOut]
    next: str | None


class ChecksOut(Open):
    checks: list[FindingOut]


class PostStatusOut(Open):
    id: int
    status: PostStatus


class ReviewOut(Open):
    task_id: int
    kind: ReviewKind
    post_id: int
    due_at: datetime | None


class ReviewList(Open):
    items: list[ReviewOut]
    next: str | None


class DecisionOut(Open):
    post_id: int
    # None for a reply review (an inbox reply or moderation request: its `reply_status` says more).
    post_status: PostStatus | None
