"""The ledger through the API: jurisdiction-scoped events, and chain verification."""

import pytest
from django.db import connection

from audit.models import LedgerEvent

pytestmark = pytest.mark.django_db


def test_auditor_sees_only_events_of_their_jurisdiction(org, make_user, api):
    make_user("aud_a", "auditor", org.city_a)
    make_user("ed", "editor", org.county_a1)
    events = api("aud_a").get("/api/v1/audit/events", limit=500).json()["items"]
    assert events, "account and agency creation in city A must be visible"
    paths = dict(LedgerEvent.objects.values_list("seq", "scope"))
    # Page events under city A, or events about people working there (their logins, tokens).
    assert all(paths[e["seq"]].startswith(org.city_a.path) or f"|{org.city_a.path}" in paths[e["seq"]] for e in events)
    seen = {(e["object_type"], e["object_id"]) for e in events}
    assert ("accountpage", str(org.acct_a1_weibo.pk)) in seen
    assert ("accountpage", str(org.acct_b1_wechat.pk)) not in seen
    # Filters narrow the list.
    only = api("aud_a").get("/api/v1/audit/events", object_type="accountpage", object_id=org.acct_a1_weibo.pk).json()
    assert {e["action"] for e in only["items"]} == {"account.created"}
    # An editor may not read the ledger; the refusal is itself ledgered.
    response = api("ed").get("/api/v1/audit/events")
    assert response.status_code == 403
    assert LedgerEvent.objects.filter(action="api.denied", actor="ed").exists()


def test_verify_endpoint_names_the_tampered_row(org, make_user, api):
    make_user("aud", "auditor", org.province)
    client = api("aud")
    body = client.get("/api/v1/audit/verify").json()
    assert body["ok"] is True and body["first_bad_seq"] is None
    assert body["events_checked"] == LedgerEvent.objects.count()
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    victim = LedgerEvent.objects.filter(action="account.created").order_by("seq")[1]
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_ledgerevent DISABLE TRIGGER audit_ledgerevent_append_only")
        cursor.execute(
            "UPDATE audit_ledgerevent SET data = jsonb_set(data, '{name}', '\"篡改\"') WHERE seq = %s", [victim.seq]
        )
        cursor.execute("ALTER TABLE audit_ledgerevent ENABLE TRIGGER audit_ledgerevent_append_only")
    body = client.get("/api/v1/audit/verify").json()
    assert body == {
        "ok": False,
        "events_checked": LedgerEvent.objects.count(),
        "first_bad_seq": victim.seq,
        "anchors_checked": 0,
        "problems": [{"kind": "bad_mac", "seq": victim.seq, "day": None}],
    }
    assert api("aud").get("/api/v1/audit/verify").json()["first_bad_seq"] == victim.seq


def test_anchors_are_listed_for_auditors_and_checked_by_verify(org, make_user, api, clock):
    from datetime import timedelta

    from audit import ledger
    from audit.models import AuditAnchor

    make_user("aud_b", "auditor", org.city_b)
    make_user("ed", "editor", org.county_a1)
    assert api("aud_b").get("/api/v1/audit/anchors").json() == []
    clock.move_to(LedgerEvent.objects.latest("seq").at + timedelta(days=1))
    ledger.seal()
    anchor = AuditAnchor.objects.get()

    # One chain for the whole installation: every auditor sees its anchors.
    assert api("aud_b").get("/api/v1/audit/anchors").json() == [
        {
            "day": anchor.day.isoformat(),
            "seq": anchor.seq,
            "count": anchor.count,
            "head_hash": anchor.head_hash,
            "signature": anchor.signature,
        }
    ]
    assert anchor.seq == anchor.count == LedgerEvent.objects.filter(at__lt=_end_of_day(anchor.day)).count()
    body = api("aud_b").get("/api/v1/audit/verify").json()
    assert (body["ok"], body["anchors_checked"], body["problems"]) == (True, 1, [])
    assert api("ed").get("/api/v1/audit/anchors").status_code == 403


def _end_of_day(day):
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def test_auditor_sees_the_logins_of_staff_in_their_jurisdiction_and_none_from_outside(
    org, make_user, api, admin_client_for
):
    from django.test import Client

    from tests.factories import grant

    make_user("aud_a", "auditor", org.city_a)
    make_user("aud_b", "auditor", org.city_b)
    inside = make_user("ed_a1", "editor", org.county_a1)
    make_user("ed_b1", "editor", org.county_b1)
    both = make_user("both", "reviewer", org.county_a2)
    grant(both, "signer", org.acct_b1_wechat)

    client = admin_client_for(inside)
    assert client.post("/admin/logout/").status_code == 302
    admin_client_for(both)
    admin_client_for(make_user("ed_b1"))
    for username in ("ed_a1", "ed_b1", "nobody"):
        assert Client().post("/admin/login/", {"username": username, "password": "wrong"}).status_code == 200

    def seen(auditor, action):
        items = api(auditor).get("/api/v1/audit/events", action=action, limit=500).json()["items"]
        return sorted(e["actor"] or e["data"]["username"] for e in items)

    assert seen("aud_a", "auth.login") == ["both", "ed_a1"]
    assert seen("aud_a", "auth.logout") == ["ed_a1"]
    assert seen("aud_a", "auth.login_failed") == ["ed_a1"]
    # A person working in both cities is seen by both cities' auditors; nobody else crosses over.
    assert seen("aud_b", "auth.login") == ["both", "ed_b1"]
    assert seen("aud_b", "auth.login_failed") == ["ed_b1"]
    # The auditors' own token requests (one per `api(...)` above) are logins too, seen in their
    # own jurisdiction only.
    assert set(seen("aud_a", "auth.token_issued")) == {"aud_a"}

    [login] = LedgerEvent.objects.filter(action="auth.login", actor="both")
    assert sorted(login.data["jurisdictions"]) == sorted([org.county_a2.path, org.acct_b1_wechat.path])
    # A username nobody holds belongs to no jurisdiction: system admins only.
    assert LedgerEvent.objects.get(action="auth.login_failed", data__username="nobody").scope == ""
