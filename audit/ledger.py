"""The audit ledger: an append-only, keyed hash chain of who did what, from where.

Every service records its own events with `record` inside its own transaction, so an event
exists if and only if the business write it describes was committed. Each event carries an
HMAC-SHA256 over its content and the previous event's MAC, under a key the database never holds
(`GOVCMS_LEDGER_KEYS`, see `audit.keys`): a database role can neither forge a correctly chained
event nor rehash a rewritten one. `seal` signs the chain's head at the end of every day into an
`AuditAnchor`; anchors are exported to the supervising jurisdiction, so removing the newest
events, or rewriting the chain after an anchor, is detected too. `verify` reports every break
with its kind.

This module imports nothing from the project's other apps, so any of them may call it.
"""

import functools
import hmac
import ipaddress
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from .context import current_source
from .keys import LedgerKeys, parse_ledger_keys
from .models import AuditAnchor, LedgerEvent, LedgerProblem

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64

# Events about a person rather than a page (logins, logouts, tokens) belong to every jurisdiction
# the person works in: their scope is the list of those tree paths, each preceded by this
# separator. Tree paths never contain it, so a page event's scope (one bare path) and a person's
# scope can never be mistaken for each other.
PERSON_SCOPE_SEPARATOR = "|"

# Fixed key of the PostgreSQL advisory lock serialising appends and seals ("auditled" in ASCII);
# any constant works as long as nothing else in the database uses it.
_APPEND_LOCK_KEY = 0x61756469746C6564

# The kinds of break `verify` reports, as plain strings (meanings on LedgerProblem).
BAD_MAC = LedgerProblem.BAD_MAC.value
BROKEN_LINK = LedgerProblem.BROKEN_LINK.value
GAP = LedgerProblem.GAP.value
TAIL_MISSING = LedgerProblem.TAIL_MISSING.value
ANCHOR_MISMATCH = LedgerProblem.ANCHOR_MISMATCH.value
ANCHOR_BAD_SIGNATURE = LedgerProblem.ANCHOR_BAD_SIGNATURE.value
UNKNOWN_KEY = LedgerProblem.UNKNOWN_KEY.value
# A wholesale rewrite breaks every event; the first ones say enough.
MAX_PROBLEMS = 100

_FIELD_MAX_LENGTHS = {
    name: LedgerEvent._meta.get_field(name).max_length for name in ("action", "object_type", "object_id", "scope")
}
_USER_AGENT_MAX_LENGTH = LedgerEvent._meta.get_field("user_agent").max_length

# The append's SQL, literal (the table's name is fixed by migration 0001 anyway).
_HEAD_SQL = "SELECT seq, hash FROM audit_ledgerevent ORDER BY seq DESC LIMIT 1"
# One round trip for both statements (psycopg2 sends them as one simple query). They must stay two
# statements: under READ COMMITTED each takes its own snapshot, so the SELECT sees the head
# committed by whoever held the lock before; a single statement's snapshot could predate it.
_LOCKED_HEAD_SQL = "SELECT pg_advisory_xact_lock(%s); SELECT seq, hash FROM audit_ledgerevent ORDER BY seq DESC LIMIT 1"
_INSERT_SQL = (
    "INSERT INTO audit_ledgerevent (seq, at, actor_id, actor, ip, user_agent, action, object_type, object_id,"
    " data, scope, prev_hash, hash, kid) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
# The fast path, for a writer that knows the head (its own last append, or the head it last read):
# one call that locks, inserts only if that head is still the head, and returns the head after it
# (audit migration 0005; PL/pgSQL keeps its plans, so nothing is parsed or planned per append). If
# the head moved, nothing is inserted and the real head comes back for the slow path.
_LOCKED_CONDITIONAL_INSERT_SQL = "SELECT r_seq, r_hash FROM audit_ledger_append(" + ", ".join(["%s"] * 17) + ")"  # noqa: S608
# `_event` returns values in this order, which is also the model's field order (`from_db` relies on it).
_INSERT_FIELDS = tuple(
    LedgerEvent._meta.get_field(name)
    for name in _INSERT_SQL.partition("(")[2].partition(")")[0].replace(" ", "").split(",")
)
assert [f.name for f in _INSERT_FIELDS] == [f.name for f in LedgerEvent._meta.concrete_fields]
_DATA_COLUMN = [f.name for f in _INSERT_FIELDS].index("data")
_HASH_COLUMN = [f.name for f in _INSERT_FIELDS].index("hash")

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
    "kid",
)


@dataclass(frozen=True, slots=True)
class Problem:
    """One break `verify` found: its kind (a LedgerProblem value), the event it concerns (for a
    gap or a missing tail the first missing seq) and, for anchor problems, the anchor's day."""

    kind: str
    seq: int | None = None
    day: date | None = None


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of `verify`: `first_bad_seq` is the lowest seq any problem names (None when no
    problem names an event); `ok` is True exactly when `problems` is empty."""

    ok: bool
    events_checked: int
    first_bad_seq: int | None
    problems: tuple[Problem, ...] = ()
    anchors_checked: int = 0


@dataclass(frozen=True, slots=True)
class Anchor:
    """An anchor as exported: from the database or from a supervising jurisdiction's copy."""

    day: date
    seq: int
    count: int
    head_hash: str
    signature: str

    @classmethod
    def from_dict(cls, raw: dict) -> "Anchor":
        """Parse one exported anchor; ValueError (or TypeError/KeyError) if it is malformed."""
        values = (raw["seq"], raw["count"])
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise ValueError("seq and count must be integers")
        if not isinstance(raw["head_hash"], str) or not isinstance(raw["signature"], str):
            raise ValueError("head_hash and signature must be strings")
        return cls(date.fromisoformat(raw["day"]), raw["seq"], raw["count"], raw["head_hash"], raw["signature"])

    def as_dict(self) -> dict:
        return {
            "day": self.day.isoformat(),
            "seq": self.seq,
            "count": self.count,
            "head_hash": self.head_hash,
            "signature": self.signature,
        }


def ledger_keys() -> LedgerKeys:
    """The configured keys (`GOVCMS_LEDGER_KEYS`); ImproperlyConfigured-style ValueError if unusable."""
    return _parse_keys(settings.GOVCMS_LEDGER_KEYS)


@functools.lru_cache(maxsize=8)
def _parse_keys(text: str) -> LedgerKeys:
    return parse_ledger_keys(text)


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
    kid: str,
    key: bytes | None = None,
) -> str:
    """The HMAC-SHA256 hex digest of one event's canonical serialisation under key `kid`.

    Canonical form: the fields (kid included) as one JSON object with sorted keys, no whitespace,
    non-ASCII kept as UTF-8, `at` as UTC ISO 8601 with microseconds, and `ip` as a dotted quad
    (IPv4) or eight zero-padded hex groups (IPv6). The address is re-rendered because PostgreSQL's
    inet, Django and different Python versions print some IPv6 addresses differently
    (`::ffff:c000:201` vs `::ffff:192.0.2.1`). Other inputs must be exactly what the database
    stores and returns (see `record`); anything else makes the MAC unverifiable. `key` defaults
    to the configured key `kid` names (KeyError if none does).
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
            "kid": kid,
        }
    )
    if key is None:
        key = ledger_keys().by_kid[kid]
    return hmac.digest(key, canonical.encode(), "sha256").hex()


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

    Runs inside the caller's transaction (without a savepoint: a failed append fails the whole
    transaction, so the business write cannot commit without its event). Appends are serialised:
    on PostgreSQL by a transaction-scoped advisory lock that is held until the *outermost*
    transaction ends, so call this late in long transactions; on SQLite by the IMMEDIATE
    transactions the settings configure. The event is MACed with the newest ledger key.

    - `actor`: the acting user; the named system actor (recorded as its name, e.g. "system");
      or None (or an anonymous user) when nobody acts (a failed login). Stored as a snapshot
      of id and username, so later changes to the user do not affect the event.
    - `obj`: a saved model instance; supplies `object_type` (its model name) and `object_id`
      (its pk) unless those are given.
    - `data`: normalised to JSON-native values before it is stored and MACed (values JSON
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
    elif getattr(actor, "is_system", False) is True:  # the named system actor (govcms.capabilities.SYSTEM)
        actor_id, actor_name = None, actor.get_username()
    else:
        actor_id, actor_name = None, ""
    source = current_source()
    ip = _normalise_ip(source.ip if ip is None else ip)
    user_agent = (source.user_agent if user_agent is None else user_agent) or ""
    user_agent = user_agent[:_USER_AGENT_MAX_LENGTH]
    data = _normalise_data(data)
    keys = ledger_keys()

    using = router.db_for_write(LedgerEvent)
    connection = connections[using]
    kid = keys.current
    key = keys.by_kid[kid]
    event_fields = (actor_id, actor_name, ip, user_agent, action, object_type, object_id, data, scope)
    # No savepoint: a failed append must fail the caller's whole transaction anyway.
    with transaction.atomic(using=using, savepoint=False), connection.cursor() as cursor:
        known_head = getattr(connection, _HEAD_ATTRIBUTE, None) if connection.vendor == "postgresql" else None
        if known_head is not None:
            # Optimistic: chain onto the head this connection last saw. The database decides,
            # under the lock, whether it still is the head; `at` was taken before the lock, but
            # if nobody appended since that head was seen, nothing recorded after it is older.
            values = _event(known_head, kid, key, *event_fields)
            cursor.execute(
                _LOCKED_CONDITIONAL_INSERT_SQL,
                [_APPEND_LOCK_KEY, *known_head, *_insert_params(values, connection)],
            )
            head = cursor.fetchone()
            head = None if head[0] is None else head  # (NULL, NULL): the ledger is empty
            appended = head is not None and head[0] == values[0] and head[1] == values[_HASH_COLUMN]
            # Otherwise someone else appended, or this connection's last append was rolled back:
            # the lock is held now and `head` is the real head.
        else:
            appended = False
            cursor.execute(
                _LOCKED_HEAD_SQL if connection.vendor == "postgresql" else _HEAD_SQL,
                [_APPEND_LOCK_KEY] if connection.vendor == "postgresql" else None,
            )
            head = cursor.fetchone()
        if not appended:
            # Taken under the lock, so `at` never decreases along the chain and `seal` can cut
            # the chain by time.
            values = _event(head, kid, key, *event_fields)
            cursor.execute(_INSERT_SQL, _insert_params(values, connection))
        if connection.vendor == "postgresql":
            setattr(connection, _HEAD_ATTRIBUTE, (values[0], values[_HASH_COLUMN]))
    return LedgerEvent.from_db(using, None, values)


# Where a connection remembers the head it last appended or read (a (seq, hash) tuple); only a
# hint for the fast path of `record`, which the database re-checks under the lock.
_HEAD_ATTRIBUTE = "_govcms_ledger_head"


def _event(head, kid, key, actor_id, actor_name, ip, user_agent, action, object_type, object_id, data, scope):
    """The field values, in column order, of the event chained onto `head` ((seq, hash), or None
    for an empty ledger), MACed with `key`."""
    seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
    at = timezone.now()
    mac = compute_hash(
        seq=seq,
        at=at,
        actor_id=actor_id,
        actor=actor_name,
        ip=ip,
        user_agent=user_agent,
        action=action,
        object_type=object_type,
        object_id=object_id,
        data=data,
        scope=scope,
        prev_hash=prev_hash,
        kid=kid,
        key=key,
    )
    return (
        seq,
        at,
        actor_id,
        actor_name,
        ip,
        user_agent,
        action,
        object_type,
        object_id,
        data,
        scope,
        prev_hash,
        mac,
        kid,
    )


def _insert_params(values: tuple, connection) -> list:
    """`values` as query parameters. On PostgreSQL by hand: every column but `data` is a type
    psycopg2 passes as it is (which is what Django's field preparation returns there too), and
    Django's preparation of fourteen fields was a third of an append's Python time."""
    if connection.vendor == "postgresql":
        params = list(values)
        params[_DATA_COLUMN] = json.dumps(values[_DATA_COLUMN])
        return params
    return [field.get_db_prep_save(value, connection) for field, value in zip(_INSERT_FIELDS, values, strict=True)]


def anchor_signature(*, day: date, seq: int, count: int, head_hash: str, kid: str, key: bytes | None = None) -> str:
    """`kid:hex` of the HMAC-SHA256 over an anchor's canonical JSON (day, seq, count, head_hash, kid)."""
    canonical = _CANONICAL_JSON.encode(
        {"day": day.isoformat(), "seq": seq, "count": count, "head_hash": head_hash, "kid": kid}
    )
    if key is None:
        key = ledger_keys().by_kid[kid]
    return f"{kid}:{hmac.digest(key, canonical.encode(), 'sha256').hex()}"


def seal(*, until: date | None = None) -> list[AuditAnchor]:
    """Seal every finished day up to `until` (default and latest: yesterday, Asia/Shanghai) that
    has no anchor yet, oldest first, and return the new anchors.

    Days are sealed without gaps from the day after the newest anchor (or from the first event's
    day), empty days included (count 0, the previous head), so a missing day's anchor is itself
    a break. Holds the append lock while it reads the chain, so the head it signs is exactly the
    last event recorded before midnight. Idempotent: running it again seals nothing new.
    """
    yesterday = timezone.localdate() - timedelta(days=1)
    until = yesterday if until is None else min(until, yesterday)
    keys = ledger_keys()
    using = router.db_for_write(AuditAnchor)
    connection = connections[using]
    sealed = []
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_APPEND_LOCK_KEY])
        events = LedgerEvent.objects.using(using)
        newest = AuditAnchor.objects.using(using).order_by("-day").first()
        if newest is not None:
            day, seq, head = newest.day + timedelta(days=1), newest.seq, newest.head_hash
        else:
            first_at = events.order_by("seq").values_list("at", flat=True).first()
            if first_at is None:
                return []
            day, seq, head = timezone.localdate(first_at), 0, GENESIS_HASH
        while day <= until:
            end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
            last = events.filter(seq__gt=seq, at__lt=end).order_by("-seq").values_list("seq", "hash").first()
            count = 0
            if last is not None:
                count = events.filter(seq__gt=seq, seq__lte=last[0]).count()
                seq, head = last
            signature = anchor_signature(
                day=day, seq=seq, count=count, head_hash=head, kid=keys.current, key=keys.by_kid[keys.current]
            )
            sealed.append(
                AuditAnchor.objects.using(using).create(
                    day=day, seq=seq, count=count, head_hash=head, signature=signature
                )
            )
            day += timedelta(days=1)
    if sealed:
        logger.info("Ledger sealed through %s at seq %d (%d day(s)).", sealed[-1].day, seq, len(sealed))
    return sealed


def anchors() -> list[Anchor]:
    """Every anchor in the database, oldest first, as exported (`Anchor.as_dict`)."""
    return [
        Anchor(day, seq, count, head_hash, signature)
        for day, seq, count, head_hash, signature in AuditAnchor.objects.order_by("day").values_list(
            "day", "seq", "count", "head_hash", "signature"
        )
    ]


def verify(*, batch_size: int = 5000, exported: Iterable[Anchor] = ()) -> VerifyResult:
    """Recompute the whole chain in seq order and check it against the signed anchors.

    Reports every break with its kind (the first MAX_PROBLEMS of them): an event whose MAC does
    not match its content under its key (`bad_mac`) or whose key id is not configured
    (`unknown_key`); a prev_hash that is not the previous event's MAC (`broken_link`); missing
    seqs between present events (`gap`). Anchors: a signature that does not check out
    (`anchor_bad_signature`, `unknown_key`); an anchor whose seq is beyond the last event
    (`tail_missing`); one whose head hash or count disagrees with the chain, a day missing
    between anchors, or a database anchor differing from or missing against `exported` — the copy
    the supervising jurisdiction holds (`anchor_mismatch`).

    Streams rows `batch_size` at a time as plain tuples, so memory stays flat and no model
    instances are built. Reads the anchors first and then the events in one snapshot, so appends
    and seals made meanwhile are not seen.
    """
    keys = ledger_keys().by_kid
    problems: list[Problem] = []

    def report(kind: str, seq: int | None = None, day: date | None = None) -> None:
        if len(problems) < MAX_PROBLEMS:
            problems.append(Problem(kind, seq, day))

    sealed = _trusted_anchors(anchors(), list(exported), keys, report)
    next_anchor = 0
    since_anchor = 0

    def close_anchors(up_to_seq: int, head: str | None) -> None:
        # Close every anchor sealed at a seq below `up_to_seq`, or at it with `head` its event's MAC.
        nonlocal next_anchor, since_anchor
        while next_anchor < len(sealed) and sealed[next_anchor][0].seq <= up_to_seq:
            anchor, check_count = sealed[next_anchor]
            at_head = anchor.seq == up_to_seq and head is not None
            if (at_head and anchor.head_hash != head) or (check_count and anchor.count != since_anchor):
                report(ANCHOR_MISMATCH, anchor.seq, anchor.day)
            since_anchor = 0
            next_anchor += 1

    close_anchors(0, GENESIS_HASH)
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
        kid,
    ) in rows:
        checked += 1
        if seq != expected_seq:
            report(GAP, expected_seq)
            close_anchors(seq - 1, None)
        elif prev != expected_prev:
            report(BROKEN_LINK, seq)
        key = keys.get(kid)
        if key is None:
            report(UNKNOWN_KEY, seq)
        elif stored != compute_hash(
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
            kid=kid,
            key=key,
        ):
            report(BAD_MAC, seq)
        since_anchor += 1
        close_anchors(seq, stored)
        expected_prev = stored
        expected_seq = seq + 1
    for anchor, _check_count in sealed[next_anchor:]:
        report(TAIL_MISSING, expected_seq, anchor.day)
    bad = [p.seq for p in problems if p.seq is not None]
    return VerifyResult(
        ok=not problems,
        events_checked=checked,
        first_bad_seq=min(bad) if bad else None,
        problems=tuple(problems),
        anchors_checked=len(sealed),
    )


def _trusted_anchors(
    stored: list[Anchor], exported: list[Anchor], keys: dict[str, bytes], report
) -> list[tuple[Anchor, bool]]:
    """The anchors whose signatures check out, oldest first, after reconciling the database's with
    the exported copy; reports bad signatures, disagreements and missing days. Each comes with
    whether its count can be checked: only if the anchor before it (the day before) is trusted
    too, or it is the first, so one bad anchor is reported once rather than again by the next."""
    by_day = {a.day: a for a in stored}
    for copy in exported:
        if by_day.get(copy.day) != copy:
            # Deleted from, or altered in, the database: trust the copy held outside.
            report(ANCHOR_MISMATCH, copy.seq, copy.day)
            by_day[copy.day] = copy
    trusted: list[tuple[Anchor, bool]] = []
    previous_ok = True  # the (empty) chain before the first anchor
    previous_day = None
    for anchor in sorted(by_day.values(), key=lambda a: a.day):
        consecutive = previous_day is None or anchor.day == previous_day + timedelta(days=1)
        previous_day = anchor.day
        kid = anchor.signature.partition(":")[0]
        key = keys.get(kid)
        if key is None or not hmac.compare_digest(
            anchor.signature,
            anchor_signature(
                day=anchor.day, seq=anchor.seq, count=anchor.count, head_hash=anchor.head_hash, kid=kid, key=key
            ),
        ):
            report(UNKNOWN_KEY if key is None else ANCHOR_BAD_SIGNATURE, None, anchor.day)
            previous_ok = False
            continue
        if not consecutive or (trusted and anchor.seq < trusted[-1][0].seq):
            report(ANCHOR_MISMATCH, anchor.seq, anchor.day)
        trusted.append((anchor, previous_ok and consecutive))
        previous_ok = True
    return trusted


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
