"""Make the ledger append-only at the database level on PostgreSQL.

A row-level BEFORE UPDATE OR DELETE trigger refuses both, so even code bypassing the ORM cannot
rewrite history; altering a row then requires disabling the trigger, which needs table ownership
and is itself visible. TRUNCATE is refused by migration 0004. SQLite has no comparable protection; the hash
chain still detects tampering there.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION audit_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit ledger is append-only';
END;
$$;
CREATE TRIGGER audit_ledgerevent_append_only
    BEFORE UPDATE OR DELETE ON audit_ledgerevent
    FOR EACH ROW EXECUTE FUNCTION audit_ledger_append_only();
"""

DROP = """
DROP TRIGGER audit_ledgerevent_append_only ON audit_ledgerevent;
DROP FUNCTION audit_ledger_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
