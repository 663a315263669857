"""Benchmark the audit ledger against a plain table in the same run.

    DJANGO_SETTINGS_MODULE=govcms.settings.test .venv/bin/python bench/ledger.py

Measures (a) appending events one transaction each through `ledger.record` (keyed: HMAC-SHA256
under the newest GOVCMS_LEDGER_KEYS key) against plain single-row INSERTs, one transaction each,
into a table of the same shape, and (b) `verify` throughput (MACs, links and anchors) over a chain
of 100,000 events.

It runs against the server DATABASE_URL names but never touches that database: the ledger table
refuses DELETE, so the benchmark creates a throwaway database (`govcms_bench` on PostgreSQL, a
temporary file on SQLite), migrates the audit app into it and drops it at the end.
"""

import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

# Runnable as a plain script from any directory.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govcms.settings.test")

import django  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

# The audit app is imported inside functions: it needs django.setup(), which must come after the
# switch to the scratch database.

APPENDS = 10_000
# Appends alternate between the two in rounds, so background load on the machine hits both alike.
ROUNDS = 10
WARMUP = 200
VERIFY_EVENTS = 100_000
BULK_BATCH = 5_000
BENCH_DATABASE = "govcms_bench"
PLAIN_TABLE = "bench_plain_events"
COLUMNS = (
    "seq",
    "at",
    "actor_id",
    "actor",
    "ip",
    "user_agent",
    "action",
    "object_type",
    "object_id",
    "data",
    "scope",
    "prev_hash",
    "hash",
    "kid",
)
SCOPE = "000100010002"
IP = "192.0.2.10"
USER_AGENT = "Mozilla/5.0 (govcms bench)"
# Stands in for a user: the ledger only reads pk, username and is_authenticated.
ACTOR = SimpleNamespace(pk=7, is_authenticated=True, get_username=lambda: "bench.editor")


def payload(i: int) -> dict:
    return {"title": "关于开展政务新媒体季度检查的通知", "platform": "wechat", "revision_id": i}


def use_scratch_database() -> Callable[[], None]:
    """Point the default database at a new, empty database; return the function that drops it."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        directory = tempfile.mkdtemp(prefix="govcms-bench-")
        db["NAME"] = str(Path(directory) / "bench.sqlite3")
        return lambda: shutil.rmtree(directory)

    import psycopg2
    from psycopg2 import sql

    def maintenance(statement: sql.Composable) -> None:
        # CREATE/DROP DATABASE cannot run inside a transaction nor from the database itself.
        conn = psycopg2.connect(
            dbname="postgres",
            user=db["USER"],
            password=db["PASSWORD"],
            host=db["HOST"],
            port=db["PORT"] or None,
        )
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                cursor.execute(statement)
        finally:
            conn.close()

    name = sql.Identifier(BENCH_DATABASE)
    # A run killed half-way leaves its database behind; it holds nothing but benchmark rows.
    maintenance(sql.SQL("DROP DATABASE IF EXISTS {}").format(name))
    maintenance(sql.SQL("CREATE DATABASE {}").format(name))
    db["NAME"] = BENCH_DATABASE
    return lambda: maintenance(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(name))


def create_plain_table() -> None:
    """A copy of the ledger table's columns, keys and indexes, without the append-only trigger."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE TABLE {PLAIN_TABLE} (LIKE audit_ledgerevent INCLUDING ALL)")
            return
        cursor.execute("SELECT sql FROM sqlite_master WHERE tbl_name = 'audit_ledgerevent' AND sql IS NOT NULL")
        for (ddl,) in cursor.fetchall():
            ddl = ddl.replace('"audit_ledgerevent"', f'"{PLAIN_TABLE}"')
            cursor.execute(ddl.replace('CREATE INDEX "audit_', 'CREATE INDEX "bench_'))


def time_ledger_appends(count: int) -> float:
    from audit import ledger

    start = time.perf_counter()
    for i in range(count):
        ledger.record(
            action="post.published",
            actor=ACTOR,
            object_type="wechatarticle",
            object_id=i,
            data=payload(i),
            scope=SCOPE,
            ip=IP,
            user_agent=USER_AGENT,
        )
    return time.perf_counter() - start


def time_plain_inserts(count: int, first_seq: int) -> float:
    insert = f"INSERT INTO {PLAIN_TABLE} ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"
    digest = hashlib.sha256(b"bench").hexdigest()
    rows = [
        (
            seq,
            timezone.now(),
            ACTOR.pk,
            ACTOR.get_username(),
            IP,
            USER_AGENT,
            "post.published",
            "wechatarticle",
            str(seq),
            json.dumps(payload(seq), ensure_ascii=False),
            SCOPE,
            digest,
            digest,
            "bench",
        )
        for seq in range(first_seq, first_seq + count)
    ]
    start = time.perf_counter()
    for row in rows:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(insert, row)
    return time.perf_counter() - start


def extend_chain_to(total: int) -> None:
    """Bulk-append valid events, hashed with the ledger's own function, until there are `total`."""
    from audit import ledger
    from audit.models import LedgerEvent

    seq, prev_hash = LedgerEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    kid = ledger.ledger_keys().current
    batch = []
    while seq < total:
        seq += 1
        fields = {
            "seq": seq,
            "at": timezone.now(),
            "actor_id": ACTOR.pk,
            "actor": ACTOR.get_username(),
            "ip": IP,
            "user_agent": USER_AGENT,
            "action": "post.published",
            "object_type": "wechatarticle",
            "object_id": str(seq),
            "data": payload(seq),
            "scope": SCOPE,
            "prev_hash": prev_hash,
            "kid": kid,
        }
        prev_hash = ledger.compute_hash(**fields)
        batch.append(LedgerEvent(**fields, hash=prev_hash))
        if len(batch) == BULK_BATCH:
            LedgerEvent.objects.bulk_create(batch)
            batch = []
    LedgerEvent.objects.bulk_create(batch)


def main() -> None:
    drop_database = use_scratch_database()
    try:
        django.setup()
        from django.core.management import call_command

        from audit import ledger

        call_command("migrate", "audit", verbosity=0)
        create_plain_table()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT version()" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
                (server,) = cursor.fetchone()
            print(f"database: {server.split(' on ')[0]}")
            print(f"machine: {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}")

            time_ledger_appends(WARMUP)
            time_plain_inserts(WARMUP, first_seq=1)
            ledger_s = plain_s = 0.0
            per_round = APPENDS // ROUNDS
            for i in range(ROUNDS):
                ledger_s += time_ledger_appends(per_round)
                plain_s += time_plain_inserts(per_round, first_seq=WARMUP + 1 + i * per_round)
            print(
                f"ledger append: {APPENDS} events {ledger_s:.2f} s vs plain insert {plain_s:.2f} s"
                f" → ratio {ledger_s / plain_s:.2f}"
                f" ({ledger_s / APPENDS * 1e6:.0f} µs vs {plain_s / APPENDS * 1e6:.0f} µs per event)"
            )

            extend_chain_to(VERIFY_EVENTS)
            start = time.perf_counter()
            result = ledger.verify()
            verify_s = time.perf_counter() - start
            if not (result.ok and result.events_checked == VERIFY_EVENTS):
                raise SystemExit(f"verify failed on the benchmark chain: {result}")
            print(
                f"verify: {result.events_checked} events in {verify_s:.2f} s"
                f" → {result.events_checked / verify_s:,.0f} events/s"
            )
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE {PLAIN_TABLE}")
            connection.close()
    finally:
        drop_database()


if __name__ == "__main__":
    main()
