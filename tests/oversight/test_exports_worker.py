"""An export through a real Celery worker: the job's progress, committed by the worker as it
writes, is seen by another connection while the job runs, and the job completes with its file.

To catch the job mid-way without a sleep or a timing guess, the test holds the ledger's append
lock (a PostgreSQL advisory lock) from its own connection: the worker writes every row (progress
committed per chunk), then waits on that lock to record `report.exported`; the test reads the
progress, releases the lock, and the job finishes."""

import psycopg2
import pytest
from django.db import connection

from audit.ledger import _APPEND_LOCK_KEY
from oversight.models import Export
from tests.factories import account
from tests.publishing.conftest import sandbox, sandbox_server  # noqa: F401  (fixtures of worker_env)
from tests.publishing.test_worker import BROKER, start_worker, stop, wait_for, worker_env  # noqa: F401

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.real_clock,
    pytest.mark.slow,
    pytest.mark.skipif(not BROKER, reason="needs a broker: CELERY_BROKER_URL (set by .ci/run)"),
]


def test_a_long_export_shows_progress_and_completes(org, make_user, api, worker_env, settings, tmp_path):  # noqa: F811
    settings.GOVCMS_EXPORT_ROOT = tmp_path
    for n in range(12):
        account(org.county_a1, name=f"台账{n}", exemption_reason="测试")
    make_user("ov_exporter", "auditor", org.city_a)
    client = api("ov_exporter")
    db = connection.settings_dict
    holder = psycopg2.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432
    )
    holder.autocommit = True
    # Queued (and its own ledger event written) before the lock is taken and the worker starts.
    created = client.post(
        "/api/v1/exports", {"report": "register", "format": "pdf", "params": {"agency_id": org.city_a.pk}}
    )
    assert created.status_code == 202 and created.json()["status"] == "queued"
    url = f"/api/v1/exports/{created.json()['id']}"
    process = None
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [_APPEND_LOCK_KEY])
            env = {**worker_env, "GOVCMS_EXPORT_ROOT": str(tmp_path), "GOVCMS_EXPORT_CHUNK_ROWS": "2"}
            process = start_worker(env)
            assert wait_for(lambda: client.get(url).json()["progress"] >= 90, timeout=60)
            mid = client.get(url).json()
            assert (mid["status"], mid["download_url"]) == ("running", None) and 0 < mid["progress"] < 100
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_APPEND_LOCK_KEY])
        assert wait_for(lambda: client.get(url).json()["status"] == "done", timeout=60)
        done = client.get(url).json()
        assert done["progress"] == 100 and done["rows"] == Export.objects.get().rows
        download = client.get(done["download_url"])
        assert download["Content-Type"] == "application/pdf"
        assert b"".join(download.streaming_content).startswith(b"%PDF")
    finally:
        holder.close()  # releases the lock if an assertion failed while it was held
        if process is not None:
            stop(process)
