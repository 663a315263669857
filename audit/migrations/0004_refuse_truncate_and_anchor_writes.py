"""Refuse TRUNCATE on the ledger and its anchors, and UPDATE/DELETE on the anchors (PostgreSQL).

A statement-level BEFORE TRUNCATE trigger refuses emptying either table, for the owner too; the
app role should not hold the TRUNCATE privilege at all (`manage.py secure_ledger`). Only a
superuser that sets `govcms.ledger_truncate = allow` for its session passes: the test runner,
which empties every table between transactional tests. That grants nothing new: a superuser can
switch every trigger off anyway (session_replication_role). A table emptied behind the trigger's
back is still detected by the exported anchors.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION audit_ledger_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('govcms.ledger_truncate', true) = 'allow'
       AND (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit ledger is append-only: TRUNCATE refused';
END;
$$;
CREATE TRIGGER audit_ledgerevent_no_truncate
    BEFORE TRUNCATE ON audit_ledgerevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_ledger_no_truncate();
CREATE TRIGGER audit_auditanchor_no_truncate
    BEFORE TRUNCATE ON audit_auditanchor
    FOR EACH STATEMENT EXECUTE FUNCTION audit_ledger_no_truncate();
CREATE TRIGGER audit_auditanchor_append_only
    BEFORE UPDATE OR DELETE ON audit_auditanchor
    FOR EACH ROW EXECUTE FUNCTION audit_ledger_append_only();
"""

DROP = """
DROP TRIGGER audit_auditanchor_append_only ON audit_auditanchor;
DROP TRIGGER audit_auditanchor_no_truncate ON audit_auditanchor;
DROP TRIGGER audit_ledgerevent_no_truncate ON audit_ledgerevent;
DROP FUNCTION audit_ledger_no_truncate();
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_keyed_chain_and_anchors")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
