"""Shared fixtures: a small two-city province with users in every role, a review staff, the
leader register, an image, and API / admin clients."""

import json
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file

from editorial.models import LeaderTitle
from tests.browser.report import pytest_sessionstart, pytest_terminal_summary  # noqa: F401  (the browser suite's report)
from tests.factories import PASSWORD, UserFactory, account, agency, grant


@dataclass
class Org:
    province: object
    city_a: object
    county_a1: object
    county_a2: object
    city_b: object
    county_b1: object
    acct_a1_weibo: object
    acct_a1_wechat: object
    acct_a2_weibo: object
    acct_b1_wechat: object


# Every test starts at this instant, whatever today's date is: Wednesday 2026-03-04, 10:00 in Shanghai,
# an ordinary working day. Tests that need another moment move this one clock forward
# (`clock.move_to(...)`) or derive dates from `timezone.now()`; none mixes a fixed date with the real one.
CLOCK_START = datetime(2026, 3, 4, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def clock(request):
    """The test's one clock, started at CLOCK_START and ticking (loops that wait on time.time() still
    end). Tests marked `real_clock` run on the real clock instead: they share the database with
    subprocesses (a Celery worker, the demo's server) whose clock cannot be moved, and they derive
    every date from `timezone.now()`."""
    if request.node.get_closest_marker("real_clock"):
        yield None
        return
    with time_machine.travel(CLOCK_START, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The cache (Redis in CI) outlives each test's rolled-back or truncated database: Wagtail's
    cached site root paths, token and rate-limit keys would point at rows that no longer exist."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def ensure_tree_root():
    """Transactional tests empty every table (Wagtail's locale, root page and site included); put
    them and the default review chain back as migrations left them."""
    from django.conf import settings
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Locale, Page, Site

    from editorial.chains import ensure_default_chain

    Locale.objects.get_or_create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
    if Page.get_first_root_node() is None:
        Page.add_root(instance=Page(title="Root", slug="root"))
    if not Site.objects.filter(is_default_site=True).exists():
        Site.objects.create(hostname="localhost", root_page=Page.get_first_root_node(), is_default_site=True)
    ensure_default_chain()
    _ship_assessment_presets()


def _ship_assessment_presets():
    """The presets oversight migration 0003 ships (transactional tests empty their table too)."""
    from importlib import import_module

    from django.apps import apps

    import_module("oversight.migrations.0003_ship_national_and_local_100_schemes").ship(apps, None)


@pytest.fixture
def org(db):
    ensure_tree_root()
    province = agency(None, name="测试省", level="province", region_code="330000")
    city_a = agency(province, name="甲市", level="city", region_code="330100")
    county_a1 = agency(city_a, name="甲一县", region_code="330101")
    county_a2 = agency(city_a, name="甲二县", region_code="330102")
    city_b = agency(province, name="乙市", level="city", region_code="330200")
    county_b1 = agency(city_b, name="乙一县", region_code="330201")
    return Org(
        province=province,
        city_a=city_a,
        county_a1=county_a1,
        county_a2=county_a2,
        city_b=city_b,
        county_b1=county_b1,
        acct_a1_weibo=account(county_a1, platform="weibo", name="甲一发布"),
        acct_a1_wechat=account(county_a1, platform="wechat", name="甲一发布公众号"),
        acct_a2_weibo=account(county_a2, platform="weibo", name="甲二发布"),
        acct_b1_wechat=account(county_b1, platform="wechat", name="乙一发布"),
    )


@pytest.fixture
def make_user(db):
    def make(username, role=None, scope=None, **window):
        user = UserFactory(username=username)
        if role:
            grant(user, role, scope, **window)
        return user

    return make


class ApiClient:
    """A JSON client for /api/v1 authenticating with a bearer token, as integrations do."""

    def __init__(self, username=None, password=PASSWORD):
        self.client = Client()
        self.token = None
        if username:
            response = self.post("/api/v1/auth/token", {"username": username, "password": password})
            assert response.status_code == 200, response.content
            self.token = response.json()["token"]

    def _headers(self):
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path, **params):
        return self.client.get(path, params, headers=self._headers())

    def post(self, path, data=None, *, raw=None, content_type="application/json"):
        body = raw if raw is not None else json.dumps(data if data is not None else {})
        return self.client.post(path, body, content_type=content_type, headers=self._headers())

    def put(self, path, data):
        return self.client.put(path, json.dumps(data), content_type="application/json", headers=self._headers())

    def patch(self, path, data):
        return self.client.patch(path, json.dumps(data), content_type="application/json", headers=self._headers())

    def delete(self, path):
        return self.client.delete(path, headers=self._headers())


@pytest.fixture
def api():
    return ApiClient


@pytest.fixture
def admin_client_for(db):
    """A browser-like client logged in to the Wagtail admin as `user` (through the login form)."""

    def make(user):
        client = Client()
        response = client.post("/admin/login/", {"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, response.content[:500]
        return client

    return make


@pytest.fixture
def staff(org, make_user):
    """editor, reviewer, signer on county A1; a reviewer who also edits; a signer of county B1."""
    users = {
        "editor": make_user("editor", "editor", org.county_a1),
        "reviewer": make_user("reviewer", "reviewer", org.county_a1),
        "signer": make_user("signer", "signer", org.city_a),
        "rev_editor": make_user("rev_editor", "reviewer", org.county_a1),
        "outsider": make_user("outsider", "signer", org.county_b1),
    }
    grant(users["rev_editor"], "editor", org.county_a1)
    return users


@pytest.fixture
def leaders(db):
    LeaderTitle.objects.create(name="张三", title="省长", order="title_first")
    LeaderTitle.objects.create(name="李四", title="市长", order="title_first")


def county_image(org, title):
    """An image in county A1's collection (where its editors may use it)."""
    from govcms.services import agency_collection_ensure

    collection = agency_collection_ensure(agency=org.county_a1)
    return get_image_model().objects.create(title=title, file=get_test_image_file(), collection=collection)


@pytest.fixture
def cover(org):
    return county_image(org, "封面")
