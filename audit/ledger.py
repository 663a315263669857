"""The audit ledger: an append-only, hash-chained log of who did what, from where.

Every service records its own events with `record` inside its own transaction, so an event
exists if and only if the business write it describes was committed. Each event's hash covers
its content and the previous event's hash; `verify` recomputes the whole chain, so altering,
deleting or inserting any row in the middle is detected and located.

This module imports nothing from the project's other apps, so any of them may call it.
"""

import functools
import hashlib
import ipaddress
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from .context import current_source
from .models import LedgerEvent

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64

# Events about a person rather than a page (logins, logouts, tokens) belong to every jurisdiction
# the person works in: their scope is the list of those tree paths, each preceded by this
# separator. Tree paths never contain it, so a page event's scope (one bare path) and a person's
# scope can never be mistaken for each other.
PERSON_SCOPE_SEPARATOR = "|"

# Fixed key of the PostgreSQL advisory lock serialising appends ("auditled" in ASCII); any
# constant works as long as nothing else in the database uses it.
_APPEND_LOCK_KEY = 0x61756469746C6564

_FIELD_MAX_LENGTHS = {
    name: LedgerEvent._meta.get_field(name).max_length for name in ("action", "object_type", "object_id", "scope")
}
_USER_AGENT_MAX_LENGTH = LedgerEvent._meta.get_field("user_agent").max_length

# json.dumps builds a new encoder per call when given options; one shared encoder saves that.
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))

# Columns `verify` streams, in the order its loop unpacks them. `data` is read as text and parsed
# here: with no field converters left, Django hands psycopg2's tuples through untouched, which is
# most of verify's speed on PostgreSQL.
_VERIFY_COLUMNS = (
    "seq",
    "at",
    "actor_id",
    "actor",
    "ip",
    "user_agent",
    "action",
    "object_type",
    "object_id",
    "data_text",
    "scope",
    "prev_hash",
    "hash",
)


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of `verify`: `first_bad_seq` is None exactly when `ok` is True."""

    ok: bool
    events_checked: int
    first_bad_seq: int | None


def compute_hash(
    *,
    seq: int,
    at: datetime,
    actor_id: int | None,
    actor: str,
    ip: str | None,
    user_agent: str,
    action: str,
    object_type: str,
    object_id: str,
    data: Any,
    scope: str,
    prev_hash: str,
) -> str:
    """The SHA-256 hex digest of one event's canonical serialisation.

    Canonical form: the fields as one JSON object with sorted keys, no whitespace, non-ASCII
    kept as UTF-8, `at` as UTC ISO 8601 with microseconds, and `ip` as a dotted quad (IPv4) or
    eight zero-padded hex groups (IPv6). The address is re-rendered because PostgreSQL's inet,
    Django and different Python versions print some IPv6 addresses differently (`::ffff:c000:201`
    vs `::ffff:192.0.2.1`). Other inputs must be exactly what the database stores and returns
    (see `record`); anything else makes the hash unverifiable.
    """
    canonical = _CANONICAL_JSON.encode(
        {
            "seq": seq,
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor_id": actor_id,
            "actor": actor,
            "ip": _hashed_ip(ip),
            "user_agent": user_agent,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "data": data,
            "scope": scope,
            "prev_hash": prev_hash,
        }
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def record(
    *,
    action: str,
    actor=None,
    obj=None,
    object_type: str = "",
    object_id: str | int = "",
    data: dict | None = None,
    scope: str = "",
    ip: str | None = None,
    user_agent: str | None = None,
) -> LedgerEvent:
    """Append one event to the ledger and return it.

    Runs inside the caller's transaction (as a savepoint), so the event commits or rolls back
    with the business write. Appends are serialised: on PostgreSQL by a transaction-scoped
    advisory lock that is held until the *outermost* transaction ends, so call this late in
    long transactions; on SQLite by the IMMEDIATE transactions the settings configure.

    - `actor`: the acting user, or None (or an anonymous user) for the system. Stored as a
      snapshot of id and username, so later changes to the user do not affect the event.
    - `obj`: a saved model instance; supplies `object_type` (its model name) and `object_id`
      (its pk) unless those are given.
    - `data`: normalised to JSON-native values before it is stored and hashed (values JSON
      cannot hold become strings, keys become strings, integral floats become ints, as
      PostgreSQL's jsonb would return them), so the stored event re-hashes to the same value.
      NaN and infinities are refused with ValueError.
    - `scope`: by convention the Wagtail tree path of the page the event belongs to, or for an
      event about a person the `person_scope` of their jurisdictions; `scope_q` filters both.
    - `ip` / `user_agent`: default to the current request's (`audit.context`); an IP that is
      not a valid address is stored as None, the User-Agent is truncated to 512 characters.

    Raises ValueError for an empty `action`, an unsaved `obj` or a field longer than its column.
    """
    if obj is not None:
        if obj.pk is None:
            raise ValueError("record() needs a saved obj: it has no primary key yet.")
        object_type = object_type or obj._meta.model_name
        object_id = obj.pk if object_id == "" else object_id
    object_id = str(object_id)
    if not action:
        raise ValueError("record() needs an action.")
    bounded = {"action": action, "object_type": object_type, "object_id": object_id, "scope": scope}
    for name, value in bounded.items():
        # SQLite would store an over-long value silently and PostgreSQL would fail the whole
        # transaction; refusing it here behaves the same on both.
        if len(value) > _FIELD_MAX_LENGTHS[name]:
            raise ValueError(f"record(): {name} is longer than {_FIELD_MAX_LENGTHS[name]} characters.")

    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_id, actor_name = actor.pk, actor.get_username()
    else:
        actor_id, actor_name = None, ""
    source = current_source()
    ip = _normalise_ip(source.ip if ip is None else ip)
    user_agent = (source.user_agent if user_agent is None else user_agent) or ""
    user_agent = user_agent[:_USER_AGENT_MAX_LENGTH]
    data = _normalise_data(data)

    using = router.db_for_write(LedgerEvent)
    connection = connections[using]
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_APPEND_LOCK_KEY])
        last = LedgerEvent.objects.using(using).order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        fields = {
            "seq": seq,
            "at": timezone.now(),
            "actor_id": actor_id,
            "actor": actor_name,
            "ip": ip,
            "user_agent": user_agent,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "data": data,
            "scope": scope,
            "prev_hash": prev_hash,
        }
        return LedgerEvent.objects.using(using).create(**fields, hash=compute_hash(**fields))


def verify(*, batch_size: int = 5000) -> VerifyResult:
    """Recompute the whole chain in seq order and report the first event that does not check out.

    An event is bad if its seq is not the next integer (a missing row is reported at the seq
    that is missing), its prev_hash is not the previous event's hash, or its hash does not match
    its content. Streams rows `batch_size` at a time as plain tuples, so memory stays flat and no
    model instances are built. Reads one consistent snapshot, so appends made meanwhile are not
    seen. Removing the newest events cannot be detected from the chain alone; that needs the
    head hash anchored somewhere outside the database.
    """
    rows = (
        LedgerEvent.objects.order_by("seq")
        .annotate(data_text=Cast("data", TextField()))
        .values_list(*_VERIFY_COLUMNS)
        .iterator(chunk_size=batch_size)
    )
    expected_seq = 1
    expected_prev = GENESIS_HASH
    checked = 0
    for (
        seq,
        at,
        actor_id,
        actor,
        ip,
        user_agent,
        action,
        object_type,
        object_id,
        data_text,
        scope,
        prev,
        stored,
    ) in rows:
        checked += 1
        if seq != expected_seq:
            return VerifyResult(ok=False, events_checked=checked, first_bad_seq=min(seq, expected_seq))
        recomputed = compute_hash(
            seq=seq,
            at=at,
            actor_id=actor_id,
            actor=actor,
            ip=ip,
            user_agent=user_agent,
            action=action,
            object_type=object_type,
            object_id=object_id,
            data=json.loads(data_text),
            scope=scope,
            prev_hash=prev,
        )
        if prev != expected_prev or recomputed != stored:
            return VerifyResult(ok=False, events_checked=checked, first_bad_seq=seq)
        expected_prev = stored
        expected_seq += 1
    return VerifyResult(ok=True, events_checked=checked, first_bad_seq=None)


def person_scope(paths: list[str]) -> str:
    """The `scope` of an event about a person working in the subtrees at `paths`.

    `scope_q` matches it for an auditor of any of those subtrees or of a node above one. Empty
    paths (global roles) are left out: such events are for system admins only, like any event
    without a scope. Should the list not fit the column, the highest nodes are kept (they cover
    the most auditors) and the loss is logged; callers keep the full list in the event's data.
    """
    scope = ""
    for path in sorted({p for p in paths if p}, key=lambda p: (len(p), p)):
        entry = f"{PERSON_SCOPE_SEPARATOR}{path}"
        if len(scope) + len(entry) > _FIELD_MAX_LENGTHS["scope"]:
            logger.warning("Person scope truncated: %d jurisdictions do not fit the column.", len(paths))
            break
        scope += entry
    return scope


def scope_q(paths: list[str], field: str = "scope") -> Q:
    """Events in the subtrees at `paths`: page events under one of them, and events about people
    working under one of them (`person_scope`). `[""]` matches everything, `[]` nothing."""
    if "" in paths:
        return Q()
    query = Q(pk__in=[])
    for path in paths:
        query |= Q(**{f"{field}__startswith": path})
        query |= Q(**{f"{field}__contains": f"{PERSON_SCOPE_SEPARATOR}{path}"})
    return query


def events_for(*, object_type: str, object_id: str | int) -> QuerySet[LedgerEvent]:
    """All events about one object, oldest first."""
    return LedgerEvent.objects.filter(object_type=object_type, object_id=str(object_id)).order_by("seq")


@functools.lru_cache(maxsize=4096)
def _hashed_ip(ip: str | None) -> str | None:
    # Cached: verify sees the same few client addresses over and over.
    if ip is None:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        # Only a row altered behind the ledger's back on SQLite (PostgreSQL's inet refuses
        # garbage) holds an invalid address; hashing it verbatim reports that row.
        return ip
    if address.version == 4:
        return str(address)
    packed = address.packed
    return ":".join(packed[i : i + 2].hex() for i in range(0, 16, 2))


def _normalise_ip(value: str | None) -> str | None:
    """`value` as Django stores it, or None if it is not an address.

    Dropping garbage (a forged X-Forwarded-For) rather than raising keeps it from failing the
    business write the event belongs to.
    """
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if address.version == 4:
        return str(address)
    # inet cannot hold an IPv6 zone ("fe80::1%eth0").
    if address.scope_id:
        return None
    return clean_ipv6_address(str(address))


def _json_float(text: str) -> int | float:
    # jsonb stores numbers as numeric and prints 1e16 as 10000000000000000, which reads back as an
    # int; storing integral floats as ints up front makes both databases return what was hashed.
    value = float(text)
    return int(value) if value.is_integer() else value


def _normalise_data(data: dict | None) -> Any:
    if data is None:
        return {}
    text = json.dumps(data, default=str, ensure_ascii=False, allow_nan=False)
    return json.loads(text, parse_float=_json_float)
