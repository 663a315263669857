"""The organisation admin screens (岗位分配, 账号状态变更, 凭据, 履历) used through the real Wagtail admin."""

import logging
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.users.models import UserProfile

from audit.models import LedgerEvent
from govcms import services
from govcms.crypto import decrypt
from govcms.models import AccountCredential, AccountPage, AccountTransition, RoleAssignment
from tests.factories import grant

pytestmark = pytest.mark.django_db

BEIJING = ZoneInfo("Asia/Shanghai")
ASSIGNMENTS = "/admin/govcms/assignments/"


def accounts_url(account, view):
    return f"/admin/govcms/accounts/{account.pk}/{view}/"


def body(response):
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def field_error(page, name):
    """Whether the admin form in `page` marks field `name` as invalid."""
    return re.search(rf'<(input|select|textarea)[^>]* name="{name}"[^>]* aria-invalid="true"', page) is not None


def in_london(user):
    """Give `user` an admin profile time zone other than Beijing's (Wagtail activates it per request)."""
    profile = UserProfile.get_for_user(user)
    profile.current_time_zone = "Europe/London"
    profile.save()
    return user


def refused(response):
    """Wagtail answers a PermissionDenied in the admin with a redirect to the dashboard (or a 403)."""
    return response.status_code == 403 or (response.status_code == 302 and response.url.rstrip("/") == "/admin")


def test_city_admin_grants_changes_and_revokes_an_editor_role(org, make_user, admin_client_for):
    boss = in_london(make_user("boss_a", "agency_admin", org.city_a))
    newbie = make_user("newbie")
    client = admin_client_for(boss)

    form = body(client.get(f"{ASSIGNMENTS}add/"))
    assert f'value="agency:{org.county_a1.pk}"' in form
    assert f'value="account:{org.acct_a2_weibo.pk}"' in form
    assert f'value="agency:{org.city_b.pk}"' not in form and f'value="account:{org.acct_b1_wechat.pk}"' not in form
    assert 'value="system_admin"' not in form

    response = client.post(
        f"{ASSIGNMENTS}add/",
        {"username": "newbie", "role": "editor", "scope": f"agency:{org.county_a1.pk}", "valid_to": "2030-06-30 18:00"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assignment = RoleAssignment.objects.get(user=newbie)
    assert (assignment.role, assignment.agency_id, assignment.account_id) == ("editor", org.county_a1.pk, None)
    # Entered in Beijing time, stored as the same instant.
    assert assignment.valid_to == datetime(2030, 6, 30, 18, 0, tzinfo=BEIJING)
    granted = LedgerEvent.objects.get(action="role.granted", object_id=str(assignment.pk))
    assert granted.actor == "boss_a"
    assert newbie.groups.filter(name__startswith="govcms:editor:").exists()
    assert "newbie" in body(client.get(ASSIGNMENTS))

    edit_url = f"{ASSIGNMENTS}{assignment.pk}/edit/"
    assert "2030-06-30 18:00" in body(client.get(edit_url))
    response = client.post(edit_url, {"valid_from": "2024-01-01 08:00", "valid_to": "2030-12-31 23:30"})
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.valid_from == datetime(2024, 1, 1, 8, 0, tzinfo=BEIJING)
    assert assignment.valid_to == datetime(2030, 12, 31, 23, 30, tzinfo=BEIJING)
    changed = LedgerEvent.objects.get(action="role.changed", object_id=str(assignment.pk))
    assert changed.actor == "boss_a"
    assert datetime.fromisoformat(changed.data["after"]["valid_to"]) == assignment.valid_to

    revoke_url = f"{ASSIGNMENTS}{assignment.pk}/revoke/"
    assert "确认撤销" in body(client.get(revoke_url))
    assignment.refresh_from_db()
    assert assignment.revoked_at is None  # the confirmation page changes nothing
    assert client.post(revoke_url).status_code == 302
    assignment.refresh_from_db()
    assert assignment.revoked_at is not None and assignment.revoked_by == boss
    assert LedgerEvent.objects.get(action="role.revoked", object_id=str(assignment.pk)).actor == "boss_a"
    assert not newbie.groups.filter(name__startswith="govcms:").exists()

    # A revoked assignment is final: its edit screen sends the admin back to the list.
    response = client.get(edit_url)
    assert response.status_code == 302 and response.url == ASSIGNMENTS
    assert client.post(revoke_url).status_code == 302
    assert LedgerEvent.objects.filter(action="role.revoked", object_id=str(assignment.pk)).count() == 1


def test_refused_grants_are_form_errors_not_500s(org, make_user, admin_client_for):
    boss = make_user("boss_a", "agency_admin", org.city_a)
    make_user("newbie")
    client = admin_client_for(boss)
    before = RoleAssignment.objects.count()

    def grant_form(**data):
        payload = {"username": "newbie", "role": "editor", "scope": f"agency:{org.county_a1.pk}", **data}
        return body(client.post(f"{ASSIGNMENTS}add/", payload))

    # Refused by the service (ServiceError): auditors are assigned per jurisdiction, not per account.
    assert "监管审计岗位按机构（辖区）分配" in grant_form(role="auditor", scope=f"account:{org.acct_a1_weibo.pk}")
    assert "失效时间必须晚于生效时间" in grant_form(valid_from="2030-01-02 00:00", valid_to="2030-01-01 00:00")
    # Refused by the form: a scope outside the caller's jurisdiction is not even a choice.
    assert field_error(grant_form(scope=f"agency:{org.city_b.pk}"), "scope")
    assert field_error(grant_form(role="system_admin", scope=""), "role")
    assert "没有名为“ghost”的在用账户" in grant_form(username="ghost")
    assert "请选择机构或账号" in grant_form(scope="")
    assert RoleAssignment.objects.count() == before


def test_system_admin_alone_grants_system_admin(org, make_user, admin_client_for):
    root = make_user("root", "system_admin")
    make_user("deputy")
    client = admin_client_for(root)
    assert 'value="system_admin"' in body(client.get(f"{ASSIGNMENTS}add/"))
    response = client.post(f"{ASSIGNMENTS}add/", {"username": "deputy", "role": "system_admin", "scope": ""})
    assert response.status_code == 302
    deputy_role = RoleAssignment.objects.get(user__username="deputy")
    assert (deputy_role.role, deputy_role.agency_id, deputy_role.account_id) == ("system_admin", None, None)

    # A province-wide agency admin still cannot touch a global assignment.
    boss = admin_client_for(make_user("boss_p", "agency_admin", org.province))
    assert boss.get(f"{ASSIGNMENTS}{deputy_role.pk}/edit/").status_code == 404
    assert boss.post(f"{ASSIGNMENTS}{deputy_role.pk}/revoke/").status_code == 404
    deputy_role.refresh_from_db()
    assert deputy_role.revoked_at is None


def test_city_admin_gets_404_for_city_b_objects(org, make_user, admin_client_for):
    make_user("ed_b", "editor", org.county_b1)
    other = RoleAssignment.objects.get(user__username="ed_b")
    client = admin_client_for(make_user("boss_a", "agency_admin", org.city_a))

    for url in (
        f"{ASSIGNMENTS}{other.pk}/edit/",
        f"{ASSIGNMENTS}{other.pk}/revoke/",
        f"{ASSIGNMENTS}{other.pk}/history/",
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"valid_from": "2024-01-01 00:00"}).status_code == 404, url
    other.refresh_from_db()
    assert other.revoked_at is None and other.valid_from.year != 2024
    assert "ed_b" not in body(client.get(ASSIGNMENTS))

    acct_b = org.acct_b1_wechat
    for view in ("transition", "credentials", "history"):
        assert client.get(accounts_url(acct_b, view)).status_code == 404, view
    assert client.post(accounts_url(acct_b, "transition"), {"to": "operating", "reason": "x"}).status_code == 404
    assert client.post(accounts_url(acct_b, "credentials"), {"secret": "stolen-secret"}).status_code == 404
    assert AccountPage.objects.get(pk=acct_b.pk).status == "applied"
    assert not LedgerEvent.objects.filter(action="credential.changed", object_id=str(acct_b.pk)).exists()


def test_editor_is_refused_the_admin_screens(org, make_user, admin_client_for):
    editor = make_user("ed_a1", "editor", org.county_a1)
    make_user("newbie")
    own = RoleAssignment.objects.get(user=editor)
    client = admin_client_for(editor)

    assert ASSIGNMENTS not in body(client.get("/admin/"))  # no menu item
    for url in (ASSIGNMENTS, f"{ASSIGNMENTS}add/", f"{ASSIGNMENTS}{own.pk}/edit/", f"{ASSIGNMENTS}{own.pk}/revoke/"):
        assert refused(client.get(url)), url
    response = client.post(f"{ASSIGNMENTS}add/", {"username": "newbie", "role": "editor", "scope": ""})
    assert refused(response)
    assert refused(client.post(f"{ASSIGNMENTS}{own.pk}/revoke/"))
    assert refused(client.post(f"{ASSIGNMENTS}{own.pk}/edit/", {"valid_from": "2020-01-01 00:00"}))
    own.refresh_from_db()
    assert own.revoked_at is None and own.valid_from.year != 2020
    assert not RoleAssignment.objects.filter(user__username="newbie").exists()

    account = org.acct_a1_weibo
    assert refused(client.get(accounts_url(account, "transition")))
    assert refused(client.post(accounts_url(account, "transition"), {"to": "operating", "reason": "x"}))
    assert refused(client.get(accounts_url(account, "credentials")))
    assert AccountPage.objects.get(pk=account.pk).status == "applied"
    # The account's history is open to whoever can see the account, and so is their own assignment's.
    assert "开设账号" in body(client.get(accounts_url(account, "history")))
    assert "授予岗位" in body(client.get(f"{ASSIGNMENTS}{own.pk}/history/"))
    # The account page offers history but not the admin actions.
    edit_page = body(client.get(f"/admin/pages/{account.pk}/edit/"))
    assert accounts_url(account, "history") in edit_page
    assert accounts_url(account, "transition") not in edit_page

    boss = admin_client_for(make_user("boss_a", "agency_admin", org.city_a))
    assert ASSIGNMENTS in body(boss.get("/admin/"))


def test_account_transition_form(org, make_user, admin_client_for):
    client = admin_client_for(make_user("boss_a", "agency_admin", org.city_a))
    account = org.acct_a1_weibo
    edit_url = f"/admin/pages/{account.pk}/edit/"
    transition_url = accounts_url(account, "transition")

    assert transition_url in body(client.get(edit_url))  # header button
    assert transition_url in body(client.get(f"/admin/pages/{account.pk}/"))
    form = body(client.get(transition_url))
    assert 'value="operating"' in form and 'value="closed"' in form
    assert 'value="suspended"' not in form and 'value="applied"' not in form  # applied → operating | closed

    response = client.post(
        f"{transition_url}?next={edit_url}",
        {"to": "operating", "reason": "完成备案，开通运营", "filing_number": "浙网备-001"},
    )
    assert response.status_code == 302 and response.url == edit_url
    assert AccountPage.objects.get(pk=account.pk).status == "operating"
    transition = AccountTransition.objects.get(account=account)
    assert (transition.from_status, transition.to_status, transition.filing_number) == (
        "applied",
        "operating",
        "浙网备-001",
    )
    assert transition.approver.username == "boss_a"
    event = LedgerEvent.objects.get(action="account.transition", object_id=str(account.pk))
    assert event.data["filing_number"] == "浙网备-001"
    assert "状态已变更为" in body(client.get(edit_url))  # success message shown on return

    page = body(client.get(transition_url))
    assert "浙网备-001" in page and "完成备案，开通运营" in page  # past transitions listed

    # Illegal now (operating → applied) and a missing reason: form errors, nothing filed.
    assert field_error(body(client.post(transition_url, {"to": "applied", "reason": "回退"})), "to")
    assert field_error(body(client.post(transition_url, {"to": "suspended", "reason": "  "})), "reason")
    assert AccountTransition.objects.filter(account=account).count() == 1
    assert AccountPage.objects.get(pk=account.pk).status == "operating"


def test_closed_account_offers_no_transition(org, make_user, admin_client_for):
    boss = make_user("boss_a", "agency_admin", org.city_a)
    account = org.acct_a2_weibo
    services.account_transition(actor=boss, account=account, to="closed", reason="整合注销")
    client = admin_client_for(boss)
    page = body(client.get(accounts_url(account, "transition")))
    assert "已注销的账号不能再变更状态" in page and 'name="reason"' not in page
    refusal = body(client.post(accounts_url(account, "transition"), {"to": "operating", "reason": "复开"}))
    assert "提交的内容有误" in refusal
    assert AccountPage.objects.get(pk=account.pk).status == "closed"


def test_credentials_are_write_only(org, make_user, admin_client_for, caplog):
    client = admin_client_for(make_user("boss_a", "agency_admin", org.city_a))
    account = org.acct_a1_wechat
    url = accounts_url(account, "credentials")
    secret, appid = "S3cr3t-value-never-shown-42", "wx0123456789abcdef"

    assert url in body(client.get(f"/admin/pages/{account.pk}/edit/"))
    assert "未设置" in body(client.get(url))
    with caplog.at_level(logging.DEBUG):
        response = client.post(url, {"appid": appid, "secret": secret})
        assert response.status_code == 302 and response.url == url
        page = body(client.get(url))
    assert secret not in page and appid not in page
    assert "已设置" in page and "凭据已更新" in page
    assert secret not in caplog.text

    history = body(client.get(accounts_url(account, "history")))
    assert secret not in history and appid not in history
    assert "更新凭据" in history

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret, appid FROM govcms_accountcredential WHERE account_id = %s", [account.pk])
        stored_secret, stored_appid = cursor.fetchone()
    assert secret not in stored_secret and appid not in stored_appid
    assert decrypt(stored_secret) == secret and decrypt(stored_appid) == appid
    event = LedgerEvent.objects.get(action="credential.changed", object_id=str(account.pk))
    assert secret not in str(event.data) and event.data["version"] == 1

    # An invalid submission is shown again without echoing the secret that came with it.
    weibo_url = accounts_url(org.acct_a1_weibo, "credentials")
    page = body(client.post(weibo_url, {"access_token": "tok-secret-xyz", "expires_at": "not a date"}))
    assert field_error(page, "expires_at") and "tok-secret-xyz" not in page
    assert "请至少填写一项凭据" in body(client.post(url, {"appid": "", "secret": ""}))
    assert AccountCredential.objects.get(account=account).version == 1

    auditor = admin_client_for(make_user("aud_a", "auditor", org.city_a))
    assert refused(auditor.get(url))
    assert refused(auditor.post(url, {"secret": "auditor-written"}))
    assert AccountCredential.objects.get(account=account).secret == secret


def test_history_pages_list_the_timeline_in_beijing_time(org, make_user, admin_client_for):
    boss = make_user("boss_a", "agency_admin", org.city_a)
    editor = make_user("ed_a1", "editor", org.county_a1)
    account = org.acct_a1_weibo
    with time_machine.travel(datetime(2031, 3, 1, 0, 30, tzinfo=UTC), tick=False):
        services.account_transition(
            actor=boss, account=account, to="operating", reason="完成备案", filing_number="浙网备-777"
        )
    auditor = admin_client_for(in_london(make_user("aud_a", "auditor", org.city_a)))

    page = body(auditor.get(accounts_url(account, "history")))
    assert "浙网备-777" in page and "完成备案" in page and "状态变更" in page
    assert "2031-03-01 08:30:00" in page and "2031-03-01 00:30:00" not in page
    assert auditor.get(accounts_url(org.acct_b1_wechat, "history")).status_code == 404

    assignment = RoleAssignment.objects.get(user=editor)
    services.role_change(actor=boss, assignment=assignment, valid_to=timezone.now() + timedelta(days=30))
    page = body(auditor.get(f"{ASSIGNMENTS}{assignment.pk}/history/"))
    assert "授予岗位" in page and "修改有效期" in page and "boss_a" in page
    boss_client = admin_client_for(in_london(boss))
    assert "2031-03-01 08:30:00" in body(boss_client.get(accounts_url(account, "transition")))
    # The assignments list links each row to its history.
    assert f"{ASSIGNMENTS}{assignment.pk}/history/" in body(boss_client.get(ASSIGNMENTS))


def test_assignment_index_queries_do_not_grow(org, make_user, admin_client_for):
    boss = make_user("boss_a", "agency_admin", org.city_a)
    make_user("ed_1", "editor", org.county_a1)
    make_user("ed_2", "reviewer", org.acct_a2_weibo)
    client = admin_client_for(boss)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(ASSIGNMENTS)
        assert response.status_code == 200
        return len(ctx.captured_queries), len(response.context["object_list"])

    count()  # warm per-process caches (content types, site root)
    small, rows = count()
    assert rows == 3
    for i in range(12):
        user = make_user(f"staff{i}")
        scope = [org.county_a1, org.county_a2, org.acct_a1_wechat, org.city_a][i % 4]
        assignment = grant(user, ["editor", "reviewer", "signer"][i % 3], scope)
        if i % 5 == 0:
            services.role_revoke(actor=boss, assignment=assignment)
    large, rows = count()
    assert rows == 15
    assert large == small
