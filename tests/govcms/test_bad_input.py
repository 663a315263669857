"""Bad input gets a clear 4xx in the contract's error shape and changes nothing; never a 500."""

import pytest

from govcms.models import AccountPage, AgencyPage, RoleAssignment

pytestmark = pytest.mark.django_db


def assert_error(response, status, code=None):
    assert response.status_code == status, response.content[:300]
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["message"]
    if code:
        assert error["code"] == code, error
    return error


def test_malformed_json(boss):
    for raw in ("{", '{"name": }', "\xff\xfe", "[1, 2", "null}"):
        assert_error(boss.post("/api/v1/agencies", raw=raw), 400, "malformed_json")
    assert_error(boss.post("/api/v1/memberships", raw=b"\xc3\x28"), 400, "malformed_json")


@pytest.mark.parametrize(
    "body",
    [
        {"name": 5, "parent_id": "abc", "region_code": "330111", "level": "county"},
        {"name": "县", "parent_id": [1], "region_code": "330111", "level": "county"},
        {"name": "县", "region_code": 330111, "level": "galaxy"},
        {"name": "", "region_code": "330111", "level": "county"},
        {"region_code": "330111"},
        [],
        "text",
    ],
)
def test_wrong_types_and_missing_fields(boss, org, body):
    before = AgencyPage.objects.count()
    assert_error(boss.post("/api/v1/agencies", body), 422, "validation_error")
    assert AgencyPage.objects.count() == before


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", "000000", "990100", "33010a", "３３０１０１"])
def test_invalid_region_codes(boss, org, code):
    body = {"name": "新县", "parent_id": org.city_a.pk, "region_code": code, "level": "county"}
    error = assert_error(boss.post("/api/v1/agencies", body), 422, "validation_error")
    assert "region_code" in error["details"]["fields"]
    assert not AgencyPage.objects.filter(title="新县").exists()


def test_valid_region_code_accepted(boss, org):
    body = {"name": "新县", "parent_id": org.city_a.pk, "region_code": "330109", "level": "county"}
    response = boss.post("/api/v1/agencies", body)
    assert response.status_code == 201
    assert response.json()["parent_id"] == org.city_a.pk


def test_unknown_roles_and_bad_windows(boss, org):
    before = RoleAssignment.objects.count()
    for body in (
        {"username": "someone", "role": "emperor", "agency_id": org.county_a1.pk},
        {"username": "someone", "role": "editor", "agency_id": org.county_a1.pk, "valid_from": "yesterday"},
        {"username": "someone", "role": "editor", "agency_id": org.county_a1.pk, "valid_to": "2026-01-01T00:00:00"},
    ):
        assert_error(boss.post("/api/v1/memberships", body), 422, "validation_error")
    assert_error(
        boss.post(
            "/api/v1/memberships",
            {
                "username": "someone",
                "role": "editor",
                "agency_id": org.county_a1.pk,
                "valid_from": "2026-12-01T00:00:00+08:00",
                "valid_to": "2026-11-01T00:00:00+08:00",
            },
        ),
        422,
        "invalid_window",
    )
    assert_error(
        boss.post("/api/v1/memberships", {"username": "nobody", "role": "editor", "agency_id": org.county_a1.pk}),
        422,
        "unknown_user",
    )
    assert_error(boss.post("/api/v1/memberships", {"username": "someone", "role": "editor"}), 422, "invalid_scope")
    assert_error(
        boss.post(
            "/api/v1/memberships", {"username": "someone", "role": "auditor", "account_id": org.acct_a1_weibo.pk}
        ),
        422,
        "invalid_scope",
    )
    assert RoleAssignment.objects.count() == before


def test_illegal_lifecycle_transition(boss, org):
    url = f"/api/v1/accounts/{org.acct_a1_weibo.pk}/transition"
    assert_error(boss.post(url, {"to": "suspended", "reason": "测试"}), 409, "illegal_transition")
    assert_error(boss.post(url, {"to": "deleted", "reason": "测试"}), 422, "validation_error")
    assert_error(boss.post(url, {"to": "operating"}), 422, "validation_error")
    assert AccountPage.objects.get(pk=org.acct_a1_weibo.pk).status == "applied"


def test_wrong_credentials_shape_for_platform(boss, org):
    body = {
        "agency_id": org.county_a2.pk,
        "platform": "wechat",
        "name": "号",
        "credentials": {"access_token": "t", "uid": "1"},
    }
    assert_error(boss.post("/api/v1/accounts", body), 422, "invalid_credentials")
    assert not AccountPage.objects.filter(title="号").exists()


def test_oversize_body(boss, settings):
    body = '{"name": "' + "长" * (settings.GOVCMS_MAX_REQUEST_BYTES // 2) + '"}'
    error = assert_error(boss.post("/api/v1/agencies", raw=body), 413, "payload_too_large")
    assert error["details"]["limit_bytes"] == settings.GOVCMS_MAX_REQUEST_BYTES


def test_unauthenticated_and_unknown(api, org):
    anonymous = api()
    assert_error(anonymous.get("/api/v1/accounts"), 401, "not_authenticated")
    anonymous.token = "forged-token"
    assert_error(anonymous.get("/api/v1/me"), 401, "not_authenticated")
    assert_error(anonymous.post("/api/v1/auth/token", {"username": "x"}), 422, "validation_error")


def test_ids_of_wrong_type_or_absent(boss):
    assert_error(boss.get("/api/v1/accounts/abc"), 422)
    assert_error(boss.get("/api/v1/accounts/99999999"), 404, "not_found")
    assert_error(boss.get("/api/v1/history/rocket/1"), 404, "not_found")
    assert_error(boss.get("/api/v1/accounts?offset=x"), 400, "invalid_paging")
