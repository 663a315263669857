"""Lock order between the publishing pipeline and the ledger (PostgreSQL).

CI once deadlocked here: a worker finishing a publication held the publication row *and*, through
`select_for_update().select_related("account")`, the account's page rows FOR UPDATE, then waited
for the ledger's append lock; the scheduled release, holding the append lock, created the next
publication on the same account, whose foreign-key check (FOR KEY SHARE on the account) waited for
the worker. A publication's lock must cover the publication alone.
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from audit.ledger import _APPEND_LOCK_KEY
from publishing.models import Publication, PublicationStatus
from publishing.services import publication_retry

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row and advisory locks are PostgreSQL's"),
]


def _waiting_for_ledger_lock() -> bool:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        return cursor.fetchone()[0] > 0


def test_a_locked_publication_leaves_its_account_free_while_waiting_for_the_ledger(release, accounts, staff):
    post = release(accounts["weibo"], body="【通知】明日停水。")
    pub = Publication.objects.get(post=post)
    Publication.objects.filter(pk=pub.pk).update(status=PublicationStatus.FAILED)  # as a refused share leaves it
    account_id = accounts["weibo"].pk
    connection.close()  # the threads below open their own connections; nothing is shared

    ledger_held, recorder_done = threading.Event(), threading.Event()
    outcome = {}

    def recorder():
        """Another transaction that has appended to the ledger and now references the account,
        as the scheduled release does when it creates the account's next publication."""
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '5s'")
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_APPEND_LOCK_KEY])
                ledger_held.set()
                deadline = time.monotonic() + 10
                while not _waiting_for_ledger_lock() and time.monotonic() < deadline:
                    time.sleep(0.02)
                outcome["retry_was_waiting"] = _waiting_for_ledger_lock()
                # What PostgreSQL's foreign-key check on the new publication does.
                cursor.execute("SELECT 1 FROM wagtailcore_page WHERE id = %s FOR KEY SHARE", [account_id])
                cursor.execute(
                    f"SELECT 1 FROM {accounts['weibo']._meta.db_table} WHERE page_ptr_id = %s FOR KEY SHARE",
                    [account_id],
                )
                outcome["recorder"] = "referenced the account"
        except Exception as error:  # noqa: BLE001 — the assertion below reports it
            outcome["recorder"] = repr(error)
        finally:
            connection.close()
            recorder_done.set()

    def retry():
        try:
            ledger_held.wait(10)
            publication_retry(actor=staff["signer"], pub=pub)
            outcome["retry"] = "queued"
        except Exception as error:  # noqa: BLE001
            outcome["retry"] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=recorder), threading.Thread(target=retry)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert recorder_done.is_set()
    assert outcome.get("retry_was_waiting") is True, "the retry should have been waiting for the ledger lock"
    assert outcome["recorder"] == "referenced the account"
    assert outcome["retry"] == "queued"
    assert Publication.objects.get(pk=pub.pk).status == PublicationStatus.QUEUED
