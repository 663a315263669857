"""Accounts: lifecycle, the one-per-platform rule, and credentials that never leak."""

import logging

import pytest
from django.db import connection

from audit.models import LedgerEvent
from govcms import services
from govcms.models import ACCOUNT_TRANSITIONS, AccountPage, AccountStatus

pytestmark = pytest.mark.django_db

SECRET = "s3cr3t-AppSecret-7f9c2e1b44d0a8"
TOKEN = "2.00weiboTOKEN-d41d8cd98f00b204"


@pytest.mark.parametrize(
    ("start", "to"),
    [(a, b) for a in AccountStatus.values for b in AccountStatus.values],
)
def test_lifecycle_table(org, make_user, start, to):
    actor = make_user("boss", "agency_admin", org.city_a)
    account = org.acct_a1_weibo
    AccountPage.objects.filter(pk=account.pk).update(status=start)
    if to in ACCOUNT_TRANSITIONS[start]:
        transition = services.account_transition(actor=actor, account=account, to=to, reason="备案")
        assert transition.from_status == start and transition.filing_number
        assert AccountPage.objects.get(pk=account.pk).status == to
    else:
        with pytest.raises(services.ServiceError) as error:
            services.account_transition(actor=actor, account=account, to=to, reason="备案")
        assert error.value.code == "illegal_transition"
        assert AccountPage.objects.get(pk=account.pk).status == start


def test_transition_through_api_records_approver_and_filing(org, make_user, api):
    make_user("boss", "agency_admin", org.city_a)
    client = api("boss")
    url = f"/api/v1/accounts/{org.acct_a1_weibo.pk}/transition"
    response = client.post(url, {"to": "operating", "reason": "网信办备案通过", "filing_number": "ZJ-2026-001"})
    assert response.status_code == 200
    assert response.json()["status"] == "operating"
    response = client.post(url, {"to": "applied", "reason": "回退"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "illegal_transition"
    assert response.json()["error"]["details"]["allowed"] == ["changed", "closed", "suspended"]
    history = client.get(f"/api/v1/history/account/{org.acct_a1_weibo.pk}").json()
    filing = [e for e in history if e["source"] == "filing"]
    assert len(filing) == 1 and "ZJ-2026-001" in filing[0]["summary"] and filing[0]["actor"] == "boss"
    assert any(e["action"] == "account.transition" and e["source"] == "ledger" for e in history)


def test_one_account_per_agency_per_platform(org, make_user, api):
    make_user("boss", "agency_admin", org.city_a)
    client = api("boss")
    body = {"agency_id": org.county_a1.pk, "platform": "weibo", "name": "甲一发布二号"}
    response = client.post("/api/v1/accounts", body)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "duplicate_account"
    response = client.post("/api/v1/accounts", {**body, "exemption_reason": "公安分局独立运营，经网信办批准"})
    assert response.status_code == 201
    assert response.json()["status"] == "applied"


def test_secret_appears_nowhere_but_encrypted(org, make_user, api, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    make_user("boss", "agency_admin", org.city_a)
    make_user("aud", "auditor", org.province)
    client = api("boss")
    responses = []
    response = client.post(
        "/api/v1/accounts",
        {
            "agency_id": org.county_a2.pk,
            "platform": "wechat",
            "name": "甲二公众号",
            "credentials": {"appid": "wx1234567890abcdef", "secret": SECRET},
        },
    )
    assert response.status_code == 201, response.content
    account_id = response.json()["id"]
    assert response.json()["credentials"]["configured"] is True
    responses.append(response)
    responses.append(
        client.put(
            f"/api/v1/accounts/{account_id}/credentials", {"appid": "wx1234567890abcdef", "secret": SECRET + "2"}
        )
    )
    responses.append(
        client.put(f"/api/v1/accounts/{org.acct_a1_weibo.pk}/credentials", {"access_token": TOKEN, "uid": "123"})
    )
    # Wrong types echo nothing of the input back.
    responses.append(client.put(f"/api/v1/accounts/{account_id}/credentials", {"appid": 5, "secret": [SECRET]}))
    assert responses[-1].status_code == 422
    auditor = api("aud")
    for c in (client, auditor):
        responses += [
            c.get("/api/v1/accounts"),
            c.get(f"/api/v1/accounts/{account_id}"),
            c.get(f"/api/v1/history/account/{account_id}"),
            c.get("/api/v1/audit/events"),
        ]
    for r in responses:
        text = r.content.decode()
        assert SECRET not in text and TOKEN not in text, r.request["PATH_INFO"]

    assert services.AccountCredential.objects.get(account_id=account_id).secret == SECRET + "2"
    with connection.cursor() as cursor:
        cursor.execute("SELECT appid, secret, access_token FROM govcms_accountcredential")
        stored = " ".join(str(v) for row in cursor.fetchall() for v in row)
        cursor.execute("SELECT * FROM govcms_historicalaccountcredential")
        history_rows = " ".join(str(v) for row in cursor.fetchall() for v in row)
        # Raw rows, portable: PostgreSQL hands jsonb back decoded, SQLite as the stored text.
        cursor.execute("SELECT data FROM audit_ledgerevent")
        ledger_rows = " ".join(str(row[0]) for row in cursor.fetchall())
    for secret in (SECRET, TOKEN, "wx1234567890abcdef"):
        assert secret not in stored
        assert secret not in history_rows
        assert secret not in ledger_rows
    captured = capfd.readouterr()
    for secret in (SECRET, TOKEN):
        assert secret not in caplog.text
        assert secret not in captured.out + captured.err
    assert LedgerEvent.objects.filter(action="credential.changed", object_id=str(account_id)).count() == 2
