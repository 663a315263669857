import threading

import pytest
from django.db import connection, transaction

from audit import ledger
from audit.models import LedgerEvent

THREADS = 8
EVENTS_PER_THREAD = 500


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_unbroken_chain():
    # Known only once the test database is set up, hence not a skipif mark.
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "shared-cache in-memory SQLite fails concurrent writers with 'table is locked' instead of "
            "waiting; give the SQLite test database a file NAME to run this"
        )
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        # Each thread gets its own database connection from Django; close it so the test
        # database can be dropped afterwards.
        try:
            start.wait()
            for i in range(EVENTS_PER_THREAD):
                ledger.record(action="test.concurrent", object_type="worker", object_id=worker, data={"i": i})
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    total = THREADS * EVENTS_PER_THREAD
    assert list(LedgerEvent.objects.values_list("seq", flat=True)) == list(range(1, total + 1))
    for worker in range(THREADS):
        assert ledger.events_for(object_type="worker", object_id=worker).count() == EVENTS_PER_THREAD
    assert ledger.verify() == ledger.VerifyResult(ok=True, events_checked=total, first_bad_seq=None)
    # `seal` cuts the chain by time: `at` must never decrease along it, even though a writer's
    # fast path takes its time before the lock.
    moments = list(LedgerEvent.objects.order_by("seq").values_list("at", flat=True))
    assert moments == sorted(moments)


@pytest.mark.django_db(transaction=True)
def test_appends_chain_correctly_after_a_rollback_and_between_other_connections_appends():
    """A connection's remembered head is only a hint: after its own append is rolled back, and
    after another connection appended, the next append still chains onto the real head."""
    ledger.record(action="test.first")
    with pytest.raises(RuntimeError), transaction.atomic():
        ledger.record(action="test.rolled_back")
        raise RuntimeError("roll back")
    ledger.record(action="test.after_rollback")

    def other_connection_appends() -> None:
        try:
            ledger.record(action="test.other_connection")
        finally:
            connection.close()

    thread = threading.Thread(target=other_connection_appends)
    thread.start()
    thread.join()
    with transaction.atomic():
        ledger.record(action="test.after_other")
        ledger.record(action="test.same_transaction")

    actions = list(LedgerEvent.objects.order_by("seq").values_list("seq", "action"))
    assert actions == [
        (1, "test.first"),
        (2, "test.after_rollback"),
        (3, "test.other_connection"),
        (4, "test.after_other"),
        (5, "test.same_transaction"),
    ]
    assert ledger.verify() == ledger.VerifyResult(ok=True, events_checked=5, first_bad_seq=None)
