"""Request and response shapes of /api/v1 (conventions in docs/api.md).

Fields with a fixed set of values are typed with the models' TextChoices, so the OpenAPI document
declares each as an enum component (`Level`, `Role`, `AccountStatus` ...) that cannot drift from
the model; a field that takes only some of them is a Literal of those members.
"""

from datetime import date, datetime

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field, field_validator

from audit.models import LedgerProblem
from govcms.models import AccountStatus, Category, Level, Platform, Role


def aware(value: datetime | None) -> datetime | None:
    """Pydantic validator: a datetime the API accepts must say which offset it is in."""
    if value is not None and value.tzinfo is None:
        raise ValueError(_("时间必须带 UTC 偏移，例如 2026-12-01T09:00:00+08:00"))
    return value


class TokenIn(Schema):
    username: str = Field(max_length=150)
    password: str = Field(max_length=1024)


class TokenOut(Schema):
    token: str
    expires_at: datetime


class PasswordChangeIn(Schema):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(min_length=8, max_length=128)


class RoleOut(Schema):
    id: int
    role: Role
    agency_id: int | None
    account_id: int | None
    valid_from: datetime
    valid_to: datetime | None


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    is_system_admin: bool
    roles: list[RoleOut]


class UserIn(Schema):
    username: str = Field(min_length=1, max_length=150, pattern=r"^[\w.@+-]+$")
    password: str = Field(min_length=8, max_length=128)
    display_name: str = Field(default="", max_length=150)


class UserOut(Schema):
    id: int
    username: str
    display_name: str = ""


class AgencyIn(Schema):
    name: str = Field(min_length=1, max_length=255)
    parent_id: int | None = None
    region_code: str = Field(max_length=32)
    level: Level
    category: Category = Category.GOVERNMENT_OFFICE


class AgencyOut(Schema):
    id: int
    name: str
    parent_id: int | None
    region_code: str
    level: Level
    category: Category
    depth: int


class WechatCredentialsIn(Schema):
    appid: str = Field(min_length=1, max_length=64)
    secret: str = Field(min_length=1, max_length=256)
    callback_token: str | None = Field(default=None, min_length=3, max_length=64)


class WeiboCredentialsIn(Schema):
    access_token: str = Field(min_length=1, max_length=512)
    uid: str = Field(min_length=1, max_length=32)
    expires_at: datetime | None = None


class AccountIn(Schema):
    agency_id: int
    platform: Platform
    name: str = Field(min_length=1, max_length=255)
    platform_account_id: str = Field(default="", max_length=64)
    operating_unit: str = Field(default="", max_length=128)
    outsourced: bool = False
    responsible_person: str = Field(default="", max_length=64)
    verified: bool = False
    exemption_reason: str = Field(default="", max_length=2000)
    credentials: WechatCredentialsIn | WeiboCredentialsIn | None = None


class CredentialProblem(Schema):
    code: str
    at: datetime | None


class CredentialsOut(Schema):
    configured: bool
    version: int
    uid: str
    token_expires_at: datetime | None
    updated_at: datetime | None
    problem: CredentialProblem | None = None


class AccountOut(Schema):
    id: int
    agency_id: int
    platform: Platform
    name: str
    platform_account_id: str
    operating_unit: str
    outsourced: bool
    responsible_person: str
    verified: bool
    status: AccountStatus
    credentials: CredentialsOut | None = None


class TransitionIn(Schema):
    to: AccountStatus
    reason: str = Field(min_length=1, max_length=2000)
    filing_number: str = Field(default="", max_length=64)


class TransitionOut(Schema):
    id: int
    status: AccountStatus
    from_status: AccountStatus
    filing_number: str
    approver: str
    at: datetime


class MembershipIn(Schema):
    username: str = Field(max_length=150)
    role: Role
    agency_id: int | None = None
    account_id: int | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None

    _aware = field_validator("valid_from", "valid_to")(aware)


class MembershipPatch(Schema):
    valid_from: datetime | None = None
    valid_to: datetime | None = None

    _aware = field_validator("valid_from", "valid_to")(aware)


class MembershipOut(Schema):
    id: int
    username: str
    role: Role
    agency_id: int | None
    account_id: int | None
    valid_from: datetime
    valid_to: datetime | None
    revoked_at: datetime | None
    active: bool


class HistoryEntry(Schema):
    at: datetime
    actor: str | None
    action: str
    summary: str
    changes: dict
    revision_id: int | None = None
    source: str


class LedgerEventOut(Schema):
    seq: int
    at: datetime
    actor: str | None
    ip: str | None
    action: str
    object_type: str
    object_id: str
    data: dict
    hash: str
    prev_hash: str


class VerifyProblemOut(Schema):
    """One break: `seq` the event it concerns (or the first missing one), `day` an anchor's day."""

    kind: LedgerProblem
    seq: int | None
    day: date | None


class VerifyOut(Schema):
    ok: bool
    events_checked: int
    first_bad_seq: int | None
    anchors_checked: int
    problems: list[VerifyProblemOut]


class AnchorOut(Schema):
    day: date
    seq: int
    count: int
    head_hash: str
    signature: str
