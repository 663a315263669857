"""Request and response shapes of /api/v1 (the contract in docs/api.md)."""

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field, field_validator

RoleName = Literal["editor", "reviewer", "signer", "agency_admin", "auditor", "system_admin"]


class TokenIn(Schema):
    username: str = Field(max_length=150)
    password: str = Field(max_length=1024)


class TokenOut(Schema):
    token: str
    expires_at: datetime


class RoleOut(Schema):
    id: int
    role: str
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
    level: Literal["province", "city", "county", "township", "department"]
    category: str = Field(default="government_office", max_length=32)


class AgencyOut(Schema):
    id: int
    name: str
    parent_id: int | None
    region_code: str
    level: str
    category: str
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
    platform: Literal["weibo", "wechat"]
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
    platform: str
    name: str
    platform_account_id: str
    operating_unit: str
    outsourced: bool
    responsible_person: str
    verified: bool
    status: str
    credentials: CredentialsOut | None = None


class TransitionIn(Schema):
    to: Literal["applied", "operating", "changed", "suspended", "closed"]
    reason: str = Field(min_length=1, max_length=2000)
    filing_number: str = Field(default="", max_length=64)


class TransitionOut(Schema):
    id: int
    status: str
    from_status: str
    filing_number: str
    approver: str
    at: datetime


class MembershipIn(Schema):
    username: str = Field(max_length=150)
    role: RoleName
    agency_id: int | None = None
    account_id: int | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None

    @field_validator("valid_from", "valid_to")
    @classmethod
    def aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("datetime must carry a UTC offset, e.g. 2026-12-01T09:00:00+08:00")
        return value


class MembershipPatch(Schema):
    valid_from: datetime | None = None
    valid_to: datetime | None = None

    _aware = field_validator("valid_from", "valid_to")(MembershipIn.aware.__func__)


class MembershipOut(Schema):
    id: int
    username: str
    role: str
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


class VerifyOut(Schema):
    ok: bool
    events_checked: int
    first_bad_seq: int | None
