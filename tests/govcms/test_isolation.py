"""Jurisdiction (属地管理): nobody sees another county's objects; auditors see exactly their subtree."""

import pytest

from govcms.models import AccountPage, AgencyPage

pytestmark = pytest.mark.django_db


def ids(response):
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


def test_county_editor_api_sees_only_own_county(org, make_user, api):
    make_user("ed_a1", "editor", org.county_a1)
    make_user("admin_a2", "agency_admin", org.county_a2)
    client = api("ed_a1")

    assert ids(client.get("/api/v1/agencies")) == {org.county_a1.pk}
    assert ids(client.get("/api/v1/accounts")) == {org.acct_a1_weibo.pk, org.acct_a1_wechat.pk}
    memberships = client.get("/api/v1/memberships").json()["items"]
    assert {m["username"] for m in memberships} == {"ed_a1"}

    for path in (
        f"/api/v1/agencies/{org.county_a2.pk}",
        f"/api/v1/agencies/{org.city_a.pk}",
        f"/api/v1/accounts/{org.acct_a2_weibo.pk}",
        f"/api/v1/accounts/{org.acct_b1_wechat.pk}",
        f"/api/v1/history/account/{org.acct_a2_weibo.pk}",
        f"/api/v1/accounts?agency_id={org.county_a2.pk}",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"
    other = client.get("/api/v1/memberships?username=admin_a2").json()["items"]
    assert other == []
    admin_a2_membership = org.county_a2.role_assignments.get().pk
    assert client.get(f"/api/v1/memberships/{admin_a2_membership}").status_code == 404
    assert client.delete(f"/api/v1/memberships/{admin_a2_membership}").status_code == 404
    # A write aimed at another county is also "not found", never "forbidden".
    response = client.post(f"/api/v1/accounts/{org.acct_a2_weibo.pk}/transition", {"to": "operating", "reason": "x"})
    assert response.status_code == 404


def test_city_auditor_sees_exactly_the_city_subtree(org, make_user, api):
    make_user("aud_a", "auditor", org.city_a)
    client = api("aud_a")
    assert ids(client.get("/api/v1/agencies")) == {org.city_a.pk, org.county_a1.pk, org.county_a2.pk}
    assert ids(client.get("/api/v1/accounts")) == {
        org.acct_a1_weibo.pk,
        org.acct_a1_wechat.pk,
        org.acct_a2_weibo.pk,
    }
    assert client.get(f"/api/v1/accounts/{org.acct_b1_wechat.pk}").status_code == 404
    assert client.get(f"/api/v1/agencies/{org.province.pk}").status_code == 404
    # Read-only: an auditor cannot change what they supervise.
    response = client.post(f"/api/v1/accounts/{org.acct_a1_weibo.pk}/transition", {"to": "operating", "reason": "x"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_admin_explorer_and_edit_urls_are_scoped(org, make_user, admin_client_for):
    editor = make_user("ed_a1", "editor", org.county_a1)
    client = admin_client_for(editor)

    response = client.get(f"/admin/pages/{org.county_a1.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "甲一发布" in body
    assert "甲二发布" not in body and "乙一发布" not in body

    assert client.get(f"/admin/pages/{org.acct_a1_weibo.pk}/edit/").status_code == 200
    for page in (org.county_a2, org.acct_a2_weibo, org.city_b, org.acct_b1_wechat):
        assert client.get(f"/admin/pages/{page.pk}/edit/").status_code == 404, page
        assert client.get(f"/admin/pages/{page.pk}/").status_code == 404, page
        assert client.get(f"/admin/pages/{page.pk}/history/").status_code == 404, page
        assert client.post(f"/admin/pages/{page.pk}/delete/").status_code == 404, page


def test_admin_explorer_for_city_auditor_is_read_only(org, make_user, admin_client_for):
    auditor = make_user("aud_a", "auditor", org.city_a)
    client = admin_client_for(auditor)
    response = client.get(f"/admin/pages/{org.city_a.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "甲一县" in body and "甲二县" in body
    assert "乙市" not in body
    assert client.get(f"/admin/pages/{org.city_b.pk}/").status_code == 404
    # Browsing is allowed; editing, locking and adding are not.
    edit = client.get(f"/admin/pages/{org.acct_a1_weibo.pk}/edit/")
    assert edit.status_code in (302, 403)
    lock = client.post(f"/admin/pages/{org.acct_a1_weibo.pk}/lock/")
    assert not AccountPage.objects.get(pk=org.acct_a1_weibo.pk).locked
    assert lock.status_code in (302, 403)
    add = client.get(f"/admin/pages/add/govcms/agencypage/{org.city_a.pk}/")
    assert add.status_code in (302, 403)
    assert AgencyPage.objects.count() == 6


def test_agencies_under_an_outside_parent_are_not_found_like_a_missing_parent(org, make_user, api):
    make_user("ed_a1", "editor", org.county_a1)
    client = api("ed_a1")
    missing = client.get("/api/v1/agencies", parent_id=987_654_321)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    for outside in (org.city_b, org.county_a2, org.province):
        response = client.get("/api/v1/agencies", parent_id=outside.pk)
        assert (response.status_code, response.json()) == (404, missing.json()), outside
    auditor = api(make_user("aud_a", "auditor", org.city_a).username)
    assert ids(auditor.get("/api/v1/agencies", parent_id=org.city_a.pk)) == {org.county_a1.pk, org.county_a2.pk}


def test_membership_grant_does_not_tell_whether_an_outside_username_exists(org, make_user, api):
    make_user("admin_a1", "agency_admin", org.county_a1)
    make_user("ed_a2", "editor", org.county_a2)
    make_user("newcomer")  # no role anywhere yet
    client = api("admin_a1")

    def grant(username):
        fields = {"username": username, "role": "editor", "agency_id": org.county_a1.pk}
        return client.post("/api/v1/memberships", fields)

    unknown = grant("nobody_at_all")
    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"] == "unknown_user"
    outside = grant("ed_a2")
    assert outside.status_code == unknown.status_code
    assert outside.json()["error"] | {"details": None} == unknown.json()["error"] | {"details": None}
    assert outside.json()["error"]["details"] == {"username": "ed_a2"}
    assert not org.county_a1.role_assignments.filter(user__username="ed_a2").exists()
    # Newly created people, and people already inside, can be given roles.
    assert grant("newcomer").status_code == 201
    make_user("rev_a1", "reviewer", org.county_a1)
    assert grant("rev_a1").status_code == 201
