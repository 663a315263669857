"""Request and response shapes of /api/v1 (conventions in docs/api.md).

Fields with a fixed set of values are typed with the models' TextChoices, so the OpenAPI document
declares each as an enum component (`Level`, `Role`, `AccountStatus` ...) that cannot drift from
the model; a field that takes only some of them is a Literal of those members.

Every input (bodies, query filters, path parameters) is typed with the constrained types below,
so what the database or a spreadsheet export cannot hold is refused here with 422, never a 500
later: `Text` / `MultilineText` for strings, `Id` for ids, `Moment` for times.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError, core_schema

from audit.models import LedgerProblem
from govcms.models import AccountStatus, Category, Level, Platform, Role
from govcms.text import CONTROL_RANGES, MULTILINE_CONTROL_RANGES

# Ids are bigint primary keys: anything above is no object and would overflow the database's
# integer parameters (SQLite raises OverflowError, PostgreSQL "out of range").
MAX_ID = 2**63 - 1
# Times outside these years are no plausible government schedule, and near year 9999 converting
# to Asia/Shanghai overflows Python's datetime.
MIN_YEAR, MAX_YEAR = 1970, 2100


@dataclass(frozen=True)
class _Refusing:
    """String metadata refusing the character ranges `controls` (see govcms.text); the OpenAPI
    document states it as a pattern, so clients and fuzzers know it too (a field's own, stricter
    pattern stays)."""

    controls: str

    def __get_pydantic_core_schema__(self, source, handler) -> core_schema.CoreSchema:
        found = re.compile(f"[{self.controls}]").search

        def check(value: str) -> str:
            if found(value):
                raise PydanticCustomError("control_character", _("不得包含控制字符（如 NUL）"))
            return value

        return core_schema.no_info_after_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(self, core_schema, handler) -> dict:
        schema = handler(core_schema)
        schema.setdefault("pattern", f"^[^{self.controls}]*$")
        return schema


# A single-line string: no control characters at all (nor a lone surrogate).
Text = Annotated[str, _Refusing(CONTROL_RANGES)]
# Multi-line text (bodies, reasons, comments): tab, LF and CR allowed, other controls refused.
MultilineText = Annotated[str, _Refusing(MULTILINE_CONTROL_RANGES)]
# A database id, in a path, a query filter or a body.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _moment(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise PydanticCustomError("naive_datetime", _("时间必须带 UTC 偏移，例如 2026-12-01T09:00:00+08:00"))
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        message = _("时间须在 %(min)d 至 %(max)d 年之间") % {"min": MIN_YEAR, "max": MAX_YEAR}
        raise PydanticCustomError("datetime_out_of_range", message)
    return value


# A point in time: with its UTC offset (never guessed), within MIN_YEAR..MAX_YEAR.
Moment = Annotated[datetime, AfterValidator(_moment)]


class TokenIn(Schema):
    username: Text = Field(max_length=150)
    password: Text = Field(max_length=1024)


class TokenOut(Schema):
    token: str
    expires_at: datetime


class PasswordChangeIn(Schema):
    current_password: Text = Field(max_length=1024)
    new_password: Text = Field(min_length=8, max_length=128)


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
    username: Text = Field(min_length=1, max_length=150, pattern=r"^[\w.@+-]+$")
    password: Text = Field(min_length=8, max_length=128)
    display_name: Text = Field(default="", max_length=150)


class UserOut(Schema):
    id: int
    username: str
    display_name: str = ""


class AgencyIn(Schema):
    name: Text = Field(min_length=1, max_length=255)
    parent_id: Id | None = None
    region_code: Text = Field(max_length=32)
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
    appid: Text = Field(min_length=1, max_length=64)
    secret: Text = Field(min_length=1, max_length=256)
    callback_token: Text | None = Field(default=None, min_length=3, max_length=64)


class WeiboCredentialsIn(Schema):
    access_token: Text = Field(min_length=1, max_length=512)
    uid: Text = Field(min_length=1, max_length=32)
    expires_at: Moment | None = None


class AccountIn(Schema):
    agency_id: Id
    platform: Platform
    name: Text = Field(min_length=1, max_length=255)
    platform_account_id: Text = Field(default="", max_length=64)
    operating_unit: Text = Field(default="", max_length=128)
    outsourced: bool = False
    responsible_person: Text = Field(default="", max_length=64)
    verified: bool = False
    exemption_reason: MultilineText = Field(default="", max_length=2000)
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
    reason: MultilineText = Field(min_length=1, max_length=2000)
    filing_number: Text = Field(default="", max_length=64)


class TransitionOut(Schema):
    id: int
    status: AccountStatus
    from_status: AccountStatus
    filing_number: str
    approver: str
    at: datetime


class MembershipIn(Schema):
    username: Text = Field(max_length=150)
    role: Role
    agency_id: Id | None = None
    account_id: Id | None = None
    valid_from: Moment | None = None
    valid_to: Moment | None = None


class MembershipPatch(Schema):
    valid_from: Moment | None = None
    valid_to: Moment | None = None


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
    label: str  # the action in words, in the request's language (govcms.history_labels)
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
