import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from audit import ledger
from audit.models import LedgerEvent

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the append-only trigger exists only on PostgreSQL; on SQLite the hash chain alone detects tampering",
)


@pytest.fixture
def five_events():
    return [ledger.record(action="test.tamper", object_id=i, data={"i": i}) for i in range(1, 6)]


def _tamper(sql: str, params=()) -> None:
    """Run `sql` as an attacker with table-owner rights would: with the trigger switched off."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_ledgerevent DISABLE TRIGGER audit_ledgerevent_append_only")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_ledgerevent ENABLE TRIGGER audit_ledgerevent_append_only")


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


def test_altered_row_is_named(five_events, capsys):
    call_command("verify_ledger")
    assert capsys.readouterr().out.strip() == "ok: 5 events checked"

    _tamper("UPDATE audit_ledgerevent SET data = %s WHERE seq = 3", ['{"i": 99}'])

    assert ledger.verify() == ledger.VerifyResult(ok=False, events_checked=3, first_bad_seq=3)
    with pytest.raises(CommandError, match=r"^BROKEN at seq 3 \(3 events checked\)$"):
        call_command("verify_ledger")


def test_rehashed_row_breaks_the_next_link(five_events):
    # Rewriting a row together with its own hash still leaves the next event pointing at the old hash.
    original = five_events[2]
    forged = {
        "seq": original.seq,
        "at": original.at,
        "actor_id": original.actor_id,
        "actor": original.actor,
        "ip": original.ip,
        "user_agent": original.user_agent,
        "action": original.action,
        "object_type": original.object_type,
        "object_id": original.object_id,
        "data": {"i": 99},
        "scope": original.scope,
        "prev_hash": original.prev_hash,
    }
    _tamper(
        "UPDATE audit_ledgerevent SET data = %s, hash = %s WHERE seq = 3",
        ['{"i": 99}', ledger.compute_hash(**forged)],
    )

    assert ledger.verify().first_bad_seq == 4


def test_deleted_row_is_named(five_events):
    _tamper("DELETE FROM audit_ledgerevent WHERE seq = 2")

    assert ledger.verify() == ledger.VerifyResult(ok=False, events_checked=2, first_bad_seq=2)
