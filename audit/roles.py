"""Database roles for the ledger on PostgreSQL: an owner, and an app role that may only append and read.

The MAC keys make a rewrite detectable; these privileges make most rewrites impossible for the
role the application runs as. The app role must not own the ledger's tables or trigger functions
(an owner can disable a trigger, replace its function or drop the table), must not be able to
become their owner (membership, CREATEROLE, superuser) and must not own their schema (a schema
owner can drop any table in it).
"""

import logging
import re

from django.db import connections, transaction

logger = logging.getLogger(__name__)

LEDGER_TABLES = ("audit_ledgerevent", "audit_auditanchor")
TRIGGER_FUNCTIONS = ("audit_ledger_append_only()", "audit_ledger_no_truncate()")
# The append function (audit migration 0005) runs with its caller's rights; the app may call it,
# only the owner may replace it.
# (Its argument types, as migration 0005 declares them; ALTER FUNCTION fails if they disagree.)
APPEND_FUNCTION = (
    "audit_ledger_append(bigint, bigint, varchar, bigint, timestamptz, bigint, varchar, inet, varchar, varchar,"
    " varchar, varchar, jsonb, varchar, varchar, varchar, varchar)"
)
# Role names are interpolated into DDL (which takes no parameters): plain identifiers only.
_ROLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def secure_ledger(
    *, app_role: str, owner_role: str | None = None, grant_app: bool = False, using: str = "default"
) -> str:
    """Give the ledger's tables and trigger functions to `owner_role` (default: the connected
    role) and leave `app_role` only SELECT and INSERT on the tables; return the owner's name.

    With `grant_app`, first give `app_role` what the application needs on every table and
    sequence of the ledger's schema (SELECT, INSERT, UPDATE, DELETE; USAGE, SELECT), in the same
    transaction, so the ledger is never left open in between. Without it, run this after any
    blanket GRANT on all tables, which would include the ledger's. Either way it is idempotent;
    re-run it after migrations that add tables. The grants only reach objects the connected role
    owns (or is a superuser for). The ledger's tables have no sequence (seq and day are their
    keys), so there is no sequence to narrow.
    Raises ValueError if the database is not PostgreSQL, a role does not exist, or `app_role`
    could act as the owner (is it, a member of it, a superuser, has CREATEROLE, owns the schema).
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        raise ValueError("secure_ledger needs PostgreSQL; SQLite has no roles.")
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = owner_role or cursor.fetchone()[0]
        for name in (app_role, owner):
            if not _ROLE_NAME.match(name):
                raise ValueError(f"{name!r} is not a plain role name.")
        cursor.execute(
            "SELECT rolname, rolsuper, rolcreaterole FROM pg_roles WHERE rolname IN (%s, %s)", [app_role, owner]
        )
        found = {name: (superuser, createrole) for name, superuser, createrole in cursor.fetchall()}
        missing = {app_role, owner} - set(found)
        if missing:
            raise ValueError(f"no such role: {', '.join(sorted(missing))}")
        if app_role == owner or any(found[app_role]):
            raise ValueError(f"{app_role} is the owner, a superuser or has CREATEROLE: it could rewrite the ledger.")
        cursor.execute(
            "SELECT pg_has_role(%s, %s, 'MEMBER'), pg_has_role(%s, n.nspowner, 'MEMBER'), quote_ident(n.nspname)"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = %s::regclass",
            [app_role, owner, app_role, LEDGER_TABLES[0]],
        )
        member_of_owner, owns_schema, schema = cursor.fetchone()
        if member_of_owner or owns_schema:
            raise ValueError(f"{app_role} can act as the owner of the ledger or of its schema.")
        if grant_app:
            # Never TRUNCATE, REFERENCES or TRIGGER: the application needs none of them anywhere.
            cursor.execute(f'GRANT USAGE ON SCHEMA {schema} TO "{app_role}"')
            cursor.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO "{app_role}"')
            cursor.execute(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO "{app_role}"')
        for table in LEDGER_TABLES:
            cursor.execute(f'ALTER TABLE {table} OWNER TO "{owner}"')
            cursor.execute(f'REVOKE ALL ON {table} FROM PUBLIC, "{app_role}"')
            cursor.execute(f'GRANT SELECT, INSERT ON {table} TO "{app_role}"')
        for function in TRIGGER_FUNCTIONS:
            cursor.execute(f'ALTER FUNCTION {function} OWNER TO "{owner}"')
            cursor.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
        cursor.execute(f'ALTER FUNCTION {APPEND_FUNCTION} OWNER TO "{owner}"')
        cursor.execute(f"REVOKE ALL ON FUNCTION {APPEND_FUNCTION} FROM PUBLIC")
        cursor.execute(f'GRANT EXECUTE ON FUNCTION {APPEND_FUNCTION} TO "{app_role}"')
    logger.info(
        "Ledger secured: owner %s, app role %s may only SELECT and INSERT (other tables granted: %s).",
        owner,
        app_role,
        grant_app,
    )
    return owner
