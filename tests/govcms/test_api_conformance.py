"""API conformance: 401 for no credentials, CSRF for cookie sessions only, enums in the OpenAPI
document from the model choices, a docs page that needs nothing from the internet, and messages
(API errors, check findings, lexicon import) in the caller's language."""

import json
import re
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.handlers.wsgi import WSGIHandler
from django.db.models import TextChoices
from django.test import Client, RequestFactory
from django.utils import translation

import audit.models
import editorial.models
import govcms.models
import inbox.models
import oversight.models
import publishing.models
from audit.models import LedgerEvent
from editorial.checks.importers import parse_text_lexicon
from editorial.models import LexiconEntry
from govcms.models import AgencyPage, Role
from inbox.models import Channel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _restore_language():
    """Requests activate a language in this thread (LocaleMiddleware); don't leak it to other tests."""
    previous = translation.get_language()
    yield
    translation.activate(previous)


def assert_error(response, status, code):
    assert response.status_code == status, response.content[:300]
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code, error
    assert error["message"]
    return error


def new_agency(org, name):
    return {"name": name, "parent_id": org.city_a.pk, "region_code": "330109", "level": "county"}


# --- authentication and CSRF -------------------------------------------------------------------


def test_anonymous_writes_are_401_not_csrf_failures(org):
    """A browser-like client (CSRF enforced) without credentials: 401 on every unsafe verb."""
    client = Client(enforce_csrf_checks=True)
    body = json.dumps(new_agency(org, "匿名县"))
    before = AgencyPage.objects.count()
    requests = [
        client.post("/api/v1/agencies", body, content_type="application/json"),
        client.post(
            "/api/v1/posts", json.dumps({"account_id": org.acct_a1_weibo.pk, "kind": "weibo"}), "application/json"
        ),
        client.post("/api/v1/memberships", json.dumps({"username": "x", "role": "editor"}), "application/json"),
        client.post("/api/v1/reviews/1/approve", "{}", content_type="application/json"),
        client.post("/api/v1/posts/1/withdraw", json.dumps({"reason": "r"}), content_type="application/json"),
        client.post("/api/v1/publications/1/retry", "{}", content_type="application/json"),
        client.patch("/api/v1/posts/1", "{}", content_type="application/json"),
        client.put("/api/v1/review-chains/agency-1", "{}", content_type="application/json"),
        client.delete("/api/v1/memberships/1"),
    ]
    for response in requests:
        error = assert_error(response, 401, "not_authenticated")
        assert "CSRF" not in error["message"]
    assert AgencyPage.objects.count() == before

    # A stale session cookie is no credential either.
    client.cookies["sessionid"] = "no-such-session"
    assert_error(client.post("/api/v1/agencies", body, content_type="application/json"), 401, "not_authenticated")


def test_bearer_writes_need_no_csrf_token(org, make_user, api):
    make_user("boss", "agency_admin", org.city_a)
    token = api("boss").token
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/v1/agencies",
        json.dumps(new_agency(org, "令牌县")),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.content
    assert AgencyPage.objects.filter(title="令牌县").exists()


def test_cookie_session_writes_need_the_csrf_token(org, make_user):
    boss = make_user("boss", "agency_admin", org.city_a)
    client = Client(enforce_csrf_checks=True)
    client.force_login(boss)
    body = json.dumps(new_agency(org, "会话县"))

    assert client.get("/api/v1/me").json()["username"] == "boss", "safe methods need no token"
    assert_error(client.post("/api/v1/agencies", body, content_type="application/json"), 403, "csrf_failed")
    assert not AgencyPage.objects.filter(title="会话县").exists()
    assert LedgerEvent.objects.filter(action="api.denied", data__code="csrf_failed").exists()

    # The docs page hands the session its token, exactly as Swagger UI sends it.
    docs = client.get("/api/v1/docs").content.decode()
    token = re.search(r'data-csrf-token="([^"]+)"', docs).group(1)
    wrong = client.post(
        "/api/v1/agencies", body, content_type="application/json", headers={"X-CSRFToken": "x" * len(token)}
    )
    assert_error(wrong, 403, "csrf_failed")
    response = client.post("/api/v1/agencies", body, content_type="application/json", headers={"X-CSRFToken": token})
    assert response.status_code == 201, response.content
    assert AgencyPage.objects.filter(title="会话县").exists()


# --- OpenAPI enums -------------------------------------------------------------------------------

ENUM_FIELDS = {"level", "category", "platform", "role", "status", "kind", "severity", "channel", "to"}
# Model choices by class name: an enum component of the OpenAPI document is named after its class.
CHOICES = {
    cls.__name__: cls
    for module in (audit.models, govcms.models, editorial.models, publishing.models, inbox.models, oversight.models)
    for cls in vars(module).values()
    if isinstance(cls, type) and issubclass(cls, TextChoices) and cls is not TextChoices
}
# Fields that accept only some members of a model's choices (an inline enum of those members).
SUBSETS = {("ChainStep", "role"): Role, ("InboxIn", "channel"): Channel}


def _enum_fields(document):
    """(owner, field, schema) for every property or parameter named like an enum field."""
    for name, schema in document["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            if field in ENUM_FIELDS or field.endswith("_status"):
                yield name, field, prop
    for path, operations in document["paths"].items():
        for verb, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["name"] in ENUM_FIELDS:
                    yield f"{verb.upper()} {path}", parameter["name"], parameter["schema"]


def _declared_enum(document, schema):
    """(component name or None, enum values) that `schema` declares, None if it declares none."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return name, document["components"]["schemas"][name].get("enum")
    # A reference with a default is wrapped in allOf; an optional one is anyOf with null.
    for option in schema.get("allOf", []) + schema.get("anyOf", []):
        if option.get("type") != "null":
            return _declared_enum(document, option)
    return None, schema.get("enum")


def test_openapi_enums_match_the_model_choices(org):
    document = Client().get("/api/v1/openapi.json").json()
    seen, declared = set(), set()
    for owner, field, schema in _enum_fields(document):
        name, values = _declared_enum(document, schema)
        assert values, f"{owner}.{field} declares no enum: {schema}"
        if name is not None:
            assert name in CHOICES, f"{owner}.{field} refers to {name}, which is no model's choices"
            assert values == list(CHOICES[name].values), f"{owner}.{field}: {values} != {name}"
        else:
            assert (owner, field) in SUBSETS, f"{owner}.{field} has an inline enum not derived from a model"
            assert set(values) <= set(SUBSETS[owner, field].values), (owner, field, values)
        seen.add(field)
        declared.add((owner, field))
    assert {"level", "category", "platform", "role", "status", "kind", "to", "from_status"} <= seen
    # Responses declare theirs too: what a post, a review item, a publication and a finding are.
    responses = {("PostOut", "status"), ("PostOut", "kind"), ("ReviewOut", "kind"), ("PublicationOut", "status"),
                 ("PublicationOut", "platform"), ("FindingOut", "severity")}  # fmt: skip
    assert responses <= declared


def test_enum_fields_refuse_other_values(org, make_user, api):
    make_user("boss", "agency_admin", org.city_a)
    boss = api("boss")
    body = {**new_agency(org, "怪县"), "category": "galaxy"}
    error = assert_error(boss.post("/api/v1/agencies", body), 422, "validation_error")
    assert error["details"]["errors"][0]["loc"][-1] == "category"
    assert_error(boss.get("/api/v1/accounts", status="nonsense"), 422, "validation_error")
    accounts = boss.get("/api/v1/accounts", platform="wechat").json()["items"]
    assert accounts and {a["platform"] for a in accounts} == {"wechat"}


# --- the docs page --------------------------------------------------------------------------------


def test_docs_page_loads_only_local_assets(db):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"(?i)\b(?:https?:)?//[a-z0-9.-]+", html.replace("://testserver", "")), "an external URL"

    settings_json = json.loads(re.search(r'id="swagger-settings">(.*?)</script>', html, re.S).group(1))
    assert settings_json["url"] == "/api/v1/openapi.json"
    assert settings_json["validatorUrl"] is None, "Swagger UI would fetch a badge from validator.swagger.io"

    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets) and any(a.endswith(".css") for a in assets)
    # Served as `make demo` (runserver) and collectstatic serve them: by the static files handler.
    handler = StaticFilesHandler(WSGIHandler())
    for asset in assets:
        assert not urlsplit(asset).netloc and asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not in the static files"
        served = handler.get_response(RequestFactory().get(asset))
        assert served.status_code == 200, asset
        assert b"".join(served.streaming_content), asset


# --- language ----------------------------------------------------------------------------------------


def test_api_errors_follow_accept_language(org):
    client = Client()
    anonymous = client.post("/api/v1/agencies", "{}", content_type="application/json")
    assert assert_error(anonymous, 401, "not_authenticated")["message"] == "需要登录或有效的令牌"
    english = client.post("/api/v1/agencies", "{}", content_type="application/json", headers={"Accept-Language": "en"})
    assert assert_error(english, 401, "not_authenticated")["message"] == (
        "Authentication required: log in or send a valid token"
    )
    broken = client.post("/api/v1/auth/token", "{", content_type="application/json", headers={"Accept-Language": "en"})
    assert assert_error(broken, 400, "malformed_json")["message"] == "The request body is not valid JSON"


def test_check_findings_follow_accept_language(org, make_user, api):
    LexiconEntry.objects.create(term="法轮功", category="sensitive", severity="block")
    make_user("editor", "editor", org.county_a1)
    editor = api("editor")
    body = {"account_id": org.acct_a1_weibo.pk, "kind": "weibo", "body": "法轮功 联系电话13800138000"}
    post_id = editor.post("/api/v1/posts", body).json()["id"]

    def check(**headers):
        response = editor.client.post(f"/api/v1/posts/{post_id}/check", headers={**editor._headers(), **headers})
        assert response.status_code == 200, response.content
        return {f["rule"]: f for f in response.json()["checks"]}

    chinese = check()
    assert chinese["sensitive_word"]["message"] == "发现敏感词“法轮功”，不得发布，请删除或改写。"
    assert chinese["mobile"]["message"] == "发现未脱敏的手机号码（138****8000），请删除或隐去中间四位后再提交。"
    assert chinese["mobile"]["gate_label"] == "保密关"

    english = check(**{"Accept-Language": "en"})
    assert english["sensitive_word"]["message"] == (
        "Sensitive word “法轮功” found: it must not be published; delete or rewrite it."
    )
    assert english["mobile"]["message"].startswith("Unmasked mobile number (138****8000) found")
    assert english["mobile"]["gate_label"] == "Secrecy"
    assert english["sensitive_word"]["severity"] == chinese["sensitive_word"]["severity"] == "block"


def test_lexicon_import_errors_follow_the_active_language():
    data = "词条,类别\n敏感,politics\n,sensitive\n"
    _, errors = parse_text_lexicon(data=data)
    assert errors[0].message.startswith("未知类别“politics”，可用：sensitive（敏感词）")
    assert errors[1].message == "词条为空"
    with translation.override("en"):
        _, errors = parse_text_lexicon(data=data)
    assert errors[0].message.startswith("Unknown category “politics”; available: sensitive（")
    assert errors[1].message == "The term is empty"
