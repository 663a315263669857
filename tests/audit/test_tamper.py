"""Tampering with the ledger, as the database's owner or a superuser could, and what `verify`
reports. The app role itself can do none of the rewrites (tests/audit/test_roles.py)."""

import hashlib
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from audit import ledger
from audit.models import AuditAnchor, LedgerEvent

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the append-only triggers exist only on PostgreSQL; on SQLite the keyed chain alone detects tampering",
)

# A key the attacker may guess or bring; never the configured one.
ATTACKER_KEY = b"attacker-key-attacker-key-attack"


@pytest.fixture
def five_events():
    return [ledger.record(action="test.tamper", object_id=i, data={"i": i}) for i in range(1, 6)]


@pytest.fixture
def sealed_five(five_events, clock):
    """Five events recorded today, sealed after midnight into today's anchor."""
    clock.move_to(five_events[-1].at + timedelta(days=1))
    (anchor,) = ledger.seal()
    assert (anchor.seq, anchor.count, anchor.head_hash) == (5, 5, five_events[-1].hash)
    return five_events


def _tamper(sql: str, params=()) -> None:
    """Run `sql` as an attacker with table-owner rights would: with the row triggers switched off."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_ledgerevent DISABLE TRIGGER audit_ledgerevent_append_only")
            cursor.execute("ALTER TABLE audit_auditanchor DISABLE TRIGGER audit_auditanchor_append_only")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_ledgerevent ENABLE TRIGGER audit_ledgerevent_append_only")
            cursor.execute("ALTER TABLE audit_auditanchor ENABLE TRIGGER audit_auditanchor_append_only")


def _fields(event: LedgerEvent, **changes) -> dict:
    fields = {
        name: getattr(event, name)
        for name in (
            "seq", "at", "actor_id", "actor", "ip", "user_agent", "action", "object_type", "object_id", "data",
            "scope", "prev_hash", "kid",
        )
    }  # fmt: skip
    return {**fields, **changes}


def _insert(fields: dict, mac: str) -> None:
    """Insert one event directly, as any role with INSERT (the app role included) could."""
    LedgerEvent.objects.bulk_create([LedgerEvent(**fields, hash=mac)])


def _plain_sha(fields: dict) -> str:
    """The unkeyed hash the ledger used before: all an attacker without the key can compute."""
    canonical = dict(fields, at=fields["at"].isoformat(timespec="microseconds"))
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _kinds(result: ledger.VerifyResult) -> list[tuple[str, int | None]]:
    return [(problem.kind, problem.seq) for problem in result.problems]


@on_postgresql
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_ledgerevent SET data = '{\"i\": 99}' WHERE seq = 3",
        "DELETE FROM audit_ledgerevent WHERE seq = 3",
    ],
)
def test_database_refuses_update_and_delete(five_events, sql):
    with (
        pytest.raises(DatabaseError, match="audit ledger is append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)

    assert LedgerEvent.objects.get(seq=3).data == {"i": 3}


@on_postgresql
def test_orm_writes_are_refused_too(five_events):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerEvent.objects.filter(seq=2).update(action="test.rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        five_events[0].delete()


# The eight cases that went undetected or need the key to go undetected.


def test_forged_correctly_chained_event_without_the_key_is_bad_mac(five_events):
    head = five_events[-1]
    forged = _fields(head, seq=6, prev_hash=head.hash, action="post.approved", data={"forged": True})
    _insert(forged, _plain_sha(forged))
    guessed = _fields(head, seq=7, prev_hash=_plain_sha(forged), action="post.approved")
    _insert(guessed, ledger.compute_hash(**guessed, key=ATTACKER_KEY))

    assert _kinds(ledger.verify()) == [(ledger.BAD_MAC, 6), (ledger.BAD_MAC, 7)]


def test_owner_disabling_the_trigger_and_rehashing_with_sha_is_bad_mac(five_events):
    prev = five_events[1].hash
    for event in five_events[2:]:
        rewritten = _fields(event, prev_hash=prev, data={"i": 99} if event.seq == 3 else event.data)
        prev = _plain_sha(rewritten)
        _tamper(
            "UPDATE audit_ledgerevent SET data = %s, prev_hash = %s, hash = %s WHERE seq = %s",
            [json.dumps(rewritten["data"]), rewritten["prev_hash"], prev, event.seq],
        )

    result = ledger.verify()
    assert _kinds(result) == [(ledger.BAD_MAC, 3), (ledger.BAD_MAC, 4), (ledger.BAD_MAC, 5)]
    assert result.first_bad_seq == 3


def test_deleting_the_newest_events_is_tail_missing(sealed_five):
    _tamper("DELETE FROM audit_ledgerevent WHERE seq >= 4")

    result = ledger.verify()
    assert [(p.kind, p.seq, p.day) for p in result.problems] == [
        (ledger.TAIL_MISSING, 4, AuditAnchor.objects.get().day)
    ]
    assert (result.ok, result.events_checked, result.first_bad_seq) == (False, 3, 4)


@on_postgresql
def test_truncate_is_refused_and_a_forced_one_is_detected_by_the_anchors(sealed_five, tmp_path):
    with connection.cursor() as cursor:
        # The test runner's superuser session may truncate (see govcms/settings/test.py); nobody else.
        cursor.execute("SET LOCAL govcms.ledger_truncate = 'deny'")
        for table in ("audit_ledgerevent", "audit_auditanchor"):
            with pytest.raises(DatabaseError, match="TRUNCATE refused"), transaction.atomic():
                cursor.execute(f"TRUNCATE {table}")
    assert LedgerEvent.objects.count() == 5

    exported = tmp_path / "anchors.json"
    call_command("export_anchors", output=str(exported))
    with connection.cursor() as cursor:
        # The owner drops the trigger, empties the ledger and puts the trigger back.
        cursor.execute("DROP TRIGGER audit_ledgerevent_no_truncate ON audit_ledgerevent")
        cursor.execute("TRUNCATE audit_ledgerevent")
        cursor.execute(
            "CREATE TRIGGER audit_ledgerevent_no_truncate BEFORE TRUNCATE ON audit_ledgerevent"
            " FOR EACH STATEMENT EXECUTE FUNCTION audit_ledger_no_truncate()"
        )
    assert _kinds(ledger.verify()) == [(ledger.TAIL_MISSING, 1)]

    # Emptying the anchors as well leaves nothing in the database to compare with; the copy the
    # supervising jurisdiction holds still tells.
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditanchor DISABLE TRIGGER audit_auditanchor_no_truncate")
        cursor.execute("TRUNCATE audit_auditanchor")
        cursor.execute("ALTER TABLE audit_auditanchor ENABLE TRIGGER audit_auditanchor_no_truncate")
    assert ledger.verify().ok
    with pytest.raises(CommandError, match="BROKEN"):
        call_command("verify_ledger", anchors=str(exported))
    copy = [ledger.Anchor.from_dict(raw) for raw in json.loads(exported.read_text())]
    assert _kinds(ledger.verify(exported=copy)) == [(ledger.ANCHOR_MISMATCH, 5), (ledger.TAIL_MISSING, 1)]


def test_truncating_and_writing_a_new_chain_is_bad_mac_and_anchor_mismatch(sealed_five):
    events = list(LedgerEvent.objects.order_by("seq"))
    _tamper("DELETE FROM audit_ledgerevent")
    prev = ledger.GENESIS_HASH
    for event in events:
        fields = _fields(event, prev_hash=prev, data={"rewritten": True})
        prev = ledger.compute_hash(**fields, key=ATTACKER_KEY)
        _insert(fields, prev)

    kinds = _kinds(ledger.verify())
    assert kinds == [(ledger.BAD_MAC, seq) for seq in range(1, 6)] + [(ledger.ANCHOR_MISMATCH, 5)]


@on_postgresql
def test_replacing_the_trigger_function_then_updating_a_row_is_bad_mac(five_events):
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE OR REPLACE FUNCTION audit_ledger_append_only() RETURNS trigger LANGUAGE plpgsql"
            " AS $$ BEGIN RETURN NEW; END; $$"
        )
        cursor.execute("UPDATE audit_ledgerevent SET actor = 'someone.else' WHERE seq = 2")

    assert _kinds(ledger.verify()) == [(ledger.BAD_MAC, 2)]


def test_deleting_a_middle_row_is_a_gap(five_events):
    _tamper("DELETE FROM audit_ledgerevent WHERE seq = 2")

    result = ledger.verify()
    assert _kinds(result) == [(ledger.GAP, 2)]
    assert (result.events_checked, result.first_bad_seq) == (4, 2)


def test_altered_row_is_named(five_events, capsys):
    call_command("verify_ledger")
    assert capsys.readouterr().out.strip().splitlines()[-1] == "ok: 5 events checked, 0 anchors checked"

    _tamper("UPDATE audit_ledgerevent SET data = %s WHERE seq = 3", ['{"i": 99}'])

    assert ledger.verify() == ledger.VerifyResult(
        ok=False, events_checked=5, first_bad_seq=3, problems=(ledger.Problem(ledger.BAD_MAC, 3),)
    )
    with pytest.raises(CommandError, match=r"^BROKEN at seq 3 \(5 events checked, 1 problem\)$"):
        call_command("verify_ledger")
    assert "bad_mac at seq 3" in capsys.readouterr().out


# With the key (an insider holding it), and tampering with the anchors themselves.


def test_rehashed_row_with_the_key_breaks_the_next_link(five_events):
    # Rewriting a row together with its own MAC still leaves the next event pointing at the old one.
    forged = _fields(five_events[2], data={"i": 99})
    _tamper(
        "UPDATE audit_ledgerevent SET data = %s, hash = %s WHERE seq = 3",
        ['{"i": 99}', ledger.compute_hash(**forged)],
    )

    assert _kinds(ledger.verify()) == [(ledger.BROKEN_LINK, 4)]


def test_altered_forged_or_missing_anchors_are_reported(sealed_five, clock):
    ledger.record(action="test.next_day")
    day = AuditAnchor.objects.get().day
    clock.move_to(ledger.LedgerEvent.objects.get(seq=6).at + timedelta(days=2))
    first, second = ledger.seal()
    assert (first.day, first.seq, first.count, second.seq, second.count) == (
        day + timedelta(days=1), 6, 1, 6, 0,
    )  # fmt: skip
    assert ledger.verify().ok and ledger.verify().anchors_checked == 3

    _tamper("UPDATE audit_auditanchor SET count = 6 WHERE day = %s", [day])
    assert [(p.kind, p.day) for p in ledger.verify().problems] == [(ledger.ANCHOR_BAD_SIGNATURE, day)]

    _tamper("UPDATE audit_auditanchor SET signature = %s WHERE day = %s", ["nokey:" + "0" * 64, day])
    assert [(p.kind, p.day) for p in ledger.verify().problems] == [(ledger.UNKNOWN_KEY, day)]

    _tamper("DELETE FROM audit_auditanchor WHERE day = %s", [first.day])
    assert _kinds(ledger.verify()) == [(ledger.UNKNOWN_KEY, None), (ledger.ANCHOR_MISMATCH, 6)]


def test_unknown_key_id_on_an_event(five_events):
    _tamper("UPDATE audit_ledgerevent SET kid = 'nokey' WHERE seq = 4")

    assert _kinds(ledger.verify()) == [(ledger.UNKNOWN_KEY, 4)]
