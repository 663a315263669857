"""Input a database cannot hold is refused at the schema layer (422 in the error shape), on SQLite
and PostgreSQL alike: NUL and other control characters, lone surrogates, ids beyond signed 64 bits
(path, query and body), times outside 1970–2100. Unknown API paths are 404 in the error shape."""

import json

import pytest

from audit.models import LedgerEvent
from editorial.models import Campaign
from govcms.models import AgencyPage, RoleAssignment

pytestmark = pytest.mark.django_db

TOO_BIG = 2**63  # one above the largest bigint
FAR = "9999-12-31T23:59:59+00:00"


def assert_error(response, status, code):
    assert response.status_code == status, response.content[:300]
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"} and error["message"]
    assert error["code"] == code, error
    return error


def assert_refused(response, *types):
    """422 validation_error naming the reason type of each refused field, never echoing the input."""
    error = assert_error(response, 422, "validation_error")
    found = {e["type"] for e in error["details"]["errors"]}
    assert set(types) <= found, error
    assert "\x00" not in response.content.decode()
    return error


@pytest.fixture
def editor(org, make_user, api):
    make_user("ed", "editor", org.county_a1)
    return api("ed")


CONTROLS = ["\x00", "nul\x00inside", "\x01", "\x1b[31m", "\x7f", "\x85", "tab\there", "line\nbreak", "\r"]


@pytest.mark.parametrize("text", CONTROLS)
def test_control_characters_in_single_line_fields(boss, editor, org, text):
    before = (AgencyPage.objects.count(), Campaign.objects.count(), LedgerEvent.objects.count())
    body = {"name": text, "parent_id": org.city_a.pk, "region_code": "330109", "level": "county"}
    assert_refused(boss.post("/api/v1/agencies", body), "control_character")
    body = {"name": text, "agency_id": org.county_a1.pk}
    assert_refused(editor.post("/api/v1/campaigns", body), "control_character")
    body = {"account_id": org.acct_a1_weibo.pk, "kind": "weibo", "title": text, "body": "正文"}
    assert_refused(editor.post("/api/v1/posts", body), "control_character")
    assert_refused(boss.get("/api/v1/memberships", username=text), "control_character")
    assert_refused(boss.get("/api/v1/audit/events", actor=text), "control_character")
    assert (AgencyPage.objects.count(), Campaign.objects.count(), LedgerEvent.objects.count()) == before


def test_anonymous_token_request_with_nul(api, org, make_user):
    make_user("ed", "editor", org.county_a1)
    anonymous = api()
    for body in ({"username": "ed\x00", "password": "x"}, {"username": "ed", "password": "pass\x00word"}):
        assert_refused(anonymous.post("/api/v1/auth/token", body), "control_character")


def test_multi_line_text_keeps_tab_and_newlines_but_not_other_controls(editor, org):
    body = {"account_id": org.acct_a1_weibo.pk, "kind": "weibo", "title": "标题", "body": "第一行\n\t第二行\r\n"}
    created = editor.post("/api/v1/posts", body)
    assert created.status_code == 201, created.content[:300]
    post_id = created.json()["id"]
    assert editor.get(f"/api/v1/posts/{post_id}").json()["body"] == "第一行\n\t第二行\r\n"
    for text in ("\x00", "a\x0bb", "\x1f", "\x9f"):
        assert_refused(editor.patch(f"/api/v1/posts/{post_id}", {"body": text}), "control_character")
        assert_refused(editor.post(f"/api/v1/posts/{post_id}/submit", {"override_reason": text}), "control_character")
        assert_refused(editor.post(f"/api/v1/posts/{post_id}/withdraw", {"reason": text}), "control_character")
    assert editor.get(f"/api/v1/posts/{post_id}").json()["body"] == "第一行\n\t第二行\r\n"


def test_lone_surrogates_are_refused(editor, org):
    """JSON may escape half a surrogate pair; no database encoding can store it."""
    raw = json.dumps({"name": "x", "agency_id": org.county_a1.pk}).replace('"x"', '"a\\ud800b"')
    assert_refused(editor.post("/api/v1/campaigns", raw=raw), "string_unicode")
    assert not Campaign.objects.exists()


def test_ids_beyond_signed_64_bits_in_path_query_and_body(boss, editor, org):
    for path in (
        f"/api/v1/posts/{TOO_BIG}",
        f"/api/v1/accounts/{TOO_BIG}",
        f"/api/v1/agencies/{TOO_BIG}",
        f"/api/v1/memberships/{TOO_BIG}",
        f"/api/v1/history/post/{TOO_BIG}",
        f"/api/v1/campaigns/{TOO_BIG}/timeline",
        f"/api/v1/posts/{TOO_BIG}/publications",
    ):
        assert_refused(boss.get(path), "less_than_equal")
    for name in ("account_id", "campaign_id"):
        assert_refused(boss.get("/api/v1/posts", **{name: TOO_BIG}), "less_than_equal")
    assert_refused(boss.get("/api/v1/agencies", parent_id=10**30), "less_than_equal")
    assert_refused(boss.get("/api/v1/images", agency_id=TOO_BIG), "less_than_equal")
    assert_refused(editor.post(f"/api/v1/reviews/{TOO_BIG}/approve", {}), "less_than_equal")
    assert_refused(boss.post(f"/api/v1/publications/{TOO_BIG}/retry", {}), "less_than_equal")
    assert_refused(boss.delete(f"/api/v1/memberships/{TOO_BIG}"), "less_than_equal")
    body = {"account_id": TOO_BIG, "kind": "weibo", "title": "t"}
    assert_refused(editor.post("/api/v1/posts", body), "less_than_equal")
    body = {"account_id": org.acct_a1_weibo.pk, "kind": "weibo", "title": "t", "campaign_id": TOO_BIG}
    assert_refused(editor.post("/api/v1/posts", body), "less_than_equal")
    body = {"username": "someone", "role": "editor", "agency_id": TOO_BIG}
    assert_refused(boss.post("/api/v1/memberships", body), "less_than_equal")
    # The largest bigint is a well-formed id of nothing: 404 as for any missing object.
    assert_error(boss.get(f"/api/v1/posts/{TOO_BIG - 1}"), 404, "not_found")
    assert_error(boss.get("/api/v1/posts", account_id=TOO_BIG - 1), 404, "not_found")
    # An id inside a composite path segment, and paging offsets, are bounded too.
    assert_error(boss.get(f"/api/v1/review-chains/agency-{TOO_BIG}"), 404, "not_found")
    assert_error(boss.get("/api/v1/review-chains/agency-²"), 404, "not_found")
    assert_error(boss.get("/api/v1/accounts", offset=TOO_BIG), 400, "invalid_paging")
    assert boss.get("/api/v1/accounts", offset=2**40).json() == {"items": [], "next": None}


def test_times_outside_1970_to_2100(boss, editor, org):
    body = {"account_id": org.acct_a1_weibo.pk, "kind": "weibo", "title": "t", "scheduled_at": FAR}
    assert_refused(editor.post("/api/v1/posts", body), "datetime_out_of_range")
    before = RoleAssignment.objects.count()
    for window in ({"valid_to": FAR}, {"valid_from": "1900-01-01T00:00:00+08:00"}):
        body = {"username": "someone", "role": "editor", "agency_id": org.county_a1.pk, **window}
        assert_refused(boss.post("/api/v1/memberships", body), "datetime_out_of_range")
    assert RoleAssignment.objects.count() == before
    assert_refused(boss.get("/api/v1/audit/events", since=FAR), "datetime_out_of_range")
    assert_refused(boss.get("/api/v1/audit/events", until="2026-03-01T00:00:00"), "naive_datetime")
    assert boss.get("/api/v1/audit/events", until="2100-12-31T23:59:59-12:00").status_code == 200


def test_post_list_filters_on_both_databases(editor, org):
    """The status and campaign filters union the two post tables (SQLite refused the ORDER BY)."""
    campaign = editor.post("/api/v1/campaigns", {"name": "专项", "agency_id": org.county_a1.pk})
    assert campaign.status_code == 201, campaign.content
    campaign = campaign.json()
    body = {"account_id": org.acct_a1_weibo.pk, "kind": "weibo", "title": "t", "body": "正文"}
    body["campaign_id"] = campaign["id"]
    created = editor.post("/api/v1/posts", body)
    assert created.status_code == 201, created.content[:300]
    post_id = created.json()["id"]
    for filters in ({"status": "draft"}, {"campaign_id": campaign["id"]}):
        response = editor.get("/api/v1/posts", **filters)
        assert response.status_code == 200, response.content[:300]
        assert [p["id"] for p in response.json()["items"]] == [post_id]
    assert editor.get("/api/v1/posts", status="scheduled").json()["items"] == []
    assert_refused(editor.get("/api/v1/posts", status=""), "enum")


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_unknown_api_paths_are_404_in_the_error_shape(boss, api, method):
    for client in (boss, api()):
        for path in ("/api/v1/no-such-thing", "/api/v1/posts/1/nonsense", "/api/v1/posts/", "/api/v1/"):
            call = getattr(client, method)
            response = call(path) if method in ("get", "delete") else call(path, {})
            error = assert_error(response, 404, "not_found")
            assert error["details"] == {"path": path}
