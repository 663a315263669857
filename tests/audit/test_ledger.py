import hmac
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from audit import ledger
from audit.context import source
from audit.models import LedgerEvent

pytestmark = pytest.mark.django_db


def _rehash(event: LedgerEvent) -> str:
    return ledger.compute_hash(
        seq=event.seq,
        at=event.at,
        actor_id=event.actor_id,
        actor=event.actor,
        ip=event.ip,
        user_agent=event.user_agent,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        data=event.data,
        scope=event.scope,
        prev_hash=event.prev_hash,
        kid=event.kid,
    )


@pytest.fixture
def user():
    return get_user_model().objects.create_user(username="zhang.san", password="pw-unused")


def test_chain_links_from_genesis():
    first = ledger.record(action="test.first")
    second = ledger.record(action="test.second", data={"n": 2})

    assert (first.seq, first.prev_hash) == (1, ledger.GENESIS_HASH)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert len(first.hash) == 64 and first.hash != second.hash


def test_stored_event_rehashes_to_its_hash(user):
    event = ledger.record(action="test.stored", actor=user, obj=user, data={"标题": "通知"}, scope="00010002")
    stored = LedgerEvent.objects.get(seq=event.seq)

    assert _rehash(stored) == stored.hash == event.hash


def test_hash_uses_the_canonical_serialisation():
    at = datetime(2025, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    fields = {
        "seq": 7,
        "at": at,
        "actor_id": None,
        "actor": "",
        "ip": None,
        "user_agent": "",
        "action": "a",
        "object_type": "",
        "object_id": "",
        "data": {"b": 1, "a": "中"},
        "scope": "",
        "prev_hash": ledger.GENESIS_HASH,
        "kid": "k1",
    }
    expected = (
        '{"action":"a","actor":"","actor_id":null,"at":"2025-01-02T03:04:05.000006+00:00",'
        '"data":{"a":"中","b":1},"ip":null,"kid":"k1","object_id":"","object_type":"","prev_hash":"'
        + "0" * 64
        + '","scope":"","seq":7,"user_agent":""}'
    )
    key = b"k" * 32
    assert ledger.compute_hash(**fields, key=key) == hmac.new(key, expected.encode(), "sha256").hexdigest()


def test_verify_ok_and_empty():
    assert ledger.verify() == ledger.VerifyResult(ok=True, events_checked=0, first_bad_seq=None)
    for i in range(7):
        ledger.record(action="test.verify", object_id=i)

    assert ledger.verify(batch_size=3) == ledger.VerifyResult(ok=True, events_checked=7, first_bad_seq=None)


def test_events_are_keyed_with_the_newest_key_and_old_keys_still_verify(settings):
    settings.GOVCMS_LEDGER_KEYS = "k1:" + "MTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTE="
    old = ledger.record(action="test.before_rotation")
    settings.GOVCMS_LEDGER_KEYS = "k2:" + "MjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjI=," + settings.GOVCMS_LEDGER_KEYS
    new = ledger.record(action="test.after_rotation")

    assert (old.kid, new.kid) == ("k1", "k2")
    assert ledger.verify().ok
    # Retiring k1 while its events are still kept: they can no longer be checked, and say so.
    settings.GOVCMS_LEDGER_KEYS = settings.GOVCMS_LEDGER_KEYS.split(",")[0]
    result = ledger.verify()
    assert result.problems == (ledger.Problem(ledger.UNKNOWN_KEY, old.seq),)


def test_data_is_normalised_so_stored_equals_hashed():
    ident = uuid.uuid4()
    event = ledger.record(
        action="test.data",
        data={
            "when": datetime(2025, 5, 1, 8, 0, tzinfo=UTC),
            "amount": Decimal("1.50"),
            "id": ident,
            1: "int key",
            "pair": (1, 2),
            "big": 1e16,
            "whole": 3.0,
            "frac": 1.5e-7,
        },
    )

    expected = {
        "when": "2025-05-01 08:00:00+00:00",
        "amount": "1.50",
        "id": str(ident),
        "1": "int key",
        "pair": [1, 2],
        "big": 10_000_000_000_000_000,
        "whole": 3,
        "frac": 1.5e-7,
    }
    assert event.data == expected
    assert LedgerEvent.objects.get(seq=event.seq).data == expected
    assert ledger.verify().ok


def test_nan_is_refused():
    with pytest.raises(ValueError):
        ledger.record(action="test.nan", data={"x": float("nan")})
    assert not LedgerEvent.objects.exists()


def test_actor_and_object_are_snapshots(user):
    event = ledger.record(action="test.actor", actor=user, obj=user)
    assert (event.actor_id, event.actor) == (user.pk, "zhang.san")
    assert (event.object_type, event.object_id) == ("user", str(user.pk))

    # No foreign key: deleting the user leaves the event, and the chain, untouched.
    user.delete()
    stored = LedgerEvent.objects.get(seq=event.seq)
    assert (stored.actor_id, stored.actor) == (event.actor_id, "zhang.san")
    assert ledger.verify().ok


def test_anonymous_actor_is_the_system():
    event = ledger.record(action="test.anon", actor=AnonymousUser())
    assert (event.actor_id, event.actor) == (None, "")


def test_explicit_object_fields_win_over_obj(user):
    event = ledger.record(action="test.obj", obj=user, object_type="account", object_id=42)
    assert (event.object_type, event.object_id) == ("account", "42")


def test_source_comes_from_context_unless_given():
    with source(ip="10.1.2.3", user_agent="Mozilla/5.0 测试"):
        from_context = ledger.record(action="test.ctx")
        explicit = ledger.record(action="test.ctx", ip="192.0.2.9", user_agent="curl/8")
    outside = ledger.record(action="test.ctx")

    assert (from_context.ip, from_context.user_agent) == ("10.1.2.3", "Mozilla/5.0 测试")
    assert (explicit.ip, explicit.user_agent) == ("192.0.2.9", "curl/8")
    assert (outside.ip, outside.user_agent) == (None, "")


def test_ip_is_canonical_or_dropped_and_user_agent_truncated():
    v6 = ledger.record(action="test.ip", ip="2001:DB8:0:0::1", user_agent="x" * 600)
    bogus = ledger.record(action="test.ip", ip="1.2.3.4, evil")
    zoned = ledger.record(action="test.ip", ip="fe80::1%eth0")
    # PostgreSQL prints these differently from Python 3.11 (::ffff:192.0.2.1, ::0.0.0.2, ::0.1.0.2).
    ledger.record(action="test.ip", ip="::FFFF:192.0.2.1")
    ledger.record(action="test.ip", ip="::2")
    ledger.record(action="test.ip", ip="::1:2")

    assert v6.ip == "2001:db8::1"
    assert len(v6.user_agent) == 512
    assert bogus.ip is None and zoned.ip is None
    assert ledger.verify().ok


def test_event_rolls_back_with_the_business_write():
    with pytest.raises(RuntimeError), transaction.atomic():
        ledger.record(action="test.rolled_back")
        raise RuntimeError("business write failed")

    kept = ledger.record(action="test.kept")
    assert kept.seq == 1
    assert list(LedgerEvent.objects.values_list("action", flat=True)) == ["test.kept"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"action": ""},
        {"action": "a" * 65},
        {"action": "ok", "object_id": "9" * 65},
        {"action": "ok", "scope": "0001" * 64},
    ],
)
def test_invalid_fields_are_refused(kwargs):
    with pytest.raises(ValueError):
        ledger.record(**kwargs)


def test_unsaved_obj_is_refused():
    with pytest.raises(ValueError, match="saved"):
        ledger.record(action="test.unsaved", obj=get_user_model()(username="ghost"))


def test_record_query_count(django_assert_max_num_queries):
    ledger.record(action="test.warmup")
    # Advisory lock (PostgreSQL) and last event in one round trip, then the insert; no savepoint.
    with django_assert_max_num_queries(2):
        ledger.record(action="test.counted")


def test_events_for_selects_one_object_in_order(user):
    ledger.record(action="a", obj=user)
    ledger.record(action="other", object_type="user", object_id=user.pk + 1)
    ledger.record(action="b", obj=user)

    assert list(ledger.events_for(object_type="user", object_id=user.pk).values_list("action", flat=True)) == [
        "a",
        "b",
    ]
