"""Shared fixtures: a small two-city province with users in every role, and API clients."""

import json
from dataclasses import dataclass

import pytest
from django.test import Client

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


@pytest.fixture
def org(db):
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
