"""The ledger's database roles (PostgreSQL): what the app role and the owner can and cannot do.

Connecting as another role needs a password or trust rule this machine may not have; `SET LOCAL
ROLE` gives the same privilege checks (they apply to the current role) and is undone with the
test's transaction, as are the roles themselves.
"""

import uuid
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from audit import ledger
from audit.models import LedgerEvent

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="database roles exist on PostgreSQL only"),
]

REFUSED_TO_THE_APP_ROLE = [
    "TRUNCATE audit_ledgerevent",
    "TRUNCATE audit_auditanchor",
    "ALTER TABLE audit_ledgerevent DISABLE TRIGGER audit_ledgerevent_append_only",
    "ALTER TABLE audit_ledgerevent DISABLE TRIGGER ALL",
    "CREATE OR REPLACE FUNCTION audit_ledger_append_only() RETURNS trigger LANGUAGE plpgsql"
    " AS $$ BEGIN RETURN NEW; END; $$",
    "DROP TRIGGER audit_ledgerevent_append_only ON audit_ledgerevent",
    "UPDATE audit_ledgerevent SET action = 'rewritten' WHERE seq = 1",
    "DELETE FROM audit_ledgerevent WHERE seq = 1",
    "UPDATE audit_auditanchor SET count = 0",
    "DELETE FROM audit_auditanchor",
    "DROP TABLE audit_ledgerevent",
]


@pytest.fixture
def roles():
    suffix = uuid.uuid4().hex[:10]
    app, owner = f"govcms_test_app_{suffix}", f"govcms_test_owner_{suffix}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {app} NOLOGIN")
        cursor.execute(f"CREATE ROLE {owner} NOLOGIN")
    call_command("secure_ledger", app_role=app, owner_role=owner)
    return app, owner


def _as_role(role: str):
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {role}")


def _reset_role():
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")


def test_app_role_may_append_and_read_and_nothing_else(roles, clock):
    app, owner = roles
    ledger.record(action="test.before")
    _as_role(app)
    try:
        event = ledger.record(action="test.as_app_role", data={"n": 1})
        assert LedgerEvent.objects.get(seq=event.seq).action == "test.as_app_role"
        assert ledger.verify().ok
        with connection.cursor() as cursor:
            for sql in REFUSED_TO_THE_APP_ROLE:
                with pytest.raises(DatabaseError, match="permission denied|must be owner"), transaction.atomic():
                    cursor.execute(sql)
        # Sealing inserts an anchor: allowed too, so the beat task may run as the app role.
        clock.move_to(event.at + timedelta(days=1))
        assert [(anchor.seq, anchor.count) for anchor in ledger.seal()] == [(2, 2)]
    finally:
        _reset_role()
    assert LedgerEvent.objects.count() == 2


def test_owner_is_refused_truncate_by_the_trigger(roles):
    _, owner = roles
    ledger.record(action="test.owned")
    _as_role(owner)
    try:
        with connection.cursor() as cursor:
            for table in ("audit_ledgerevent", "audit_auditanchor"):
                with pytest.raises(DatabaseError, match="TRUNCATE refused"), transaction.atomic():
                    cursor.execute(f"TRUNCATE {table}")
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                cursor.execute("DELETE FROM audit_ledgerevent")
    finally:
        _reset_role()
    assert LedgerEvent.objects.count() == 1


def test_secure_ledger_refuses_an_app_role_that_could_act_as_owner(roles):
    app, owner = roles
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT {owner} TO {app}")
    with pytest.raises(CommandError, match="can act as the owner"):
        call_command("secure_ledger", app_role=app, owner_role=owner)
    with pytest.raises(CommandError, match="is the owner"):
        call_command("secure_ledger", app_role=owner, owner_role=owner)
    with pytest.raises(CommandError, match="no such role"):
        call_command("secure_ledger", app_role="govcms_no_such_role", owner_role=owner)


def test_grant_app_gives_the_app_role_every_other_table_but_the_ledger_stays_narrow(roles):
    app, owner = roles
    call_command("secure_ledger", app_role=app, owner_role=owner, grant_app=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT has_table_privilege(%s, 'auth_user', 'SELECT, INSERT'),"
            " has_table_privilege(%s, 'auth_user', 'UPDATE'), has_table_privilege(%s, 'auth_user', 'DELETE'),"
            " has_table_privilege(%s, 'auth_user', 'TRUNCATE'),"
            " has_sequence_privilege(%s, pg_get_serial_sequence('auth_user', 'id'), 'USAGE')",
            [app] * 5,
        )
        assert cursor.fetchone() == (True, True, True, False, True)
        for table in ("audit_ledgerevent", "audit_auditanchor"):
            privileges = {}
            for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"):
                cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [app, table, privilege])
                privileges[privilege] = cursor.fetchone()[0]
            assert privileges == {"SELECT": True, "INSERT": True, "UPDATE": False, "DELETE": False, "TRUNCATE": False}
