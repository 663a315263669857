"""Inbox fixtures: the pipeline's sandbox and accounts, and published posts to collect from."""

import pytest

from publishing.backends.wechat import split_post_id
from publishing.models import Publication
from tests.conftest import county_image
from tests.factories import agency
from tests.publishing.conftest import accounts, release, sandbox, sandbox_server  # noqa: F401
from tests.publishing.test_pipeline import WECHAT_BODY, drive
from tests.publishing.test_worker import worker, worker_env  # noqa: F401


@pytest.fixture
def published(accounts, release, org):  # noqa: F811 -- the imported fixtures
    """A published WeChat article and Weibo post of county A1 (in-process, as the worker would):
    {"wechat": Publication, "weibo": Publication}."""
    image, cover = county_image(org, "图"), county_image(org, "封面")
    article = release(accounts["wechat"], body=WECHAT_BODY.format(src=image.file.url), cover_image=cover)
    post = release(accounts["weibo"], body="【通知】本周六上午停水，请提前储水。")
    pubs = {p.platform: drive(p.pk) for p in Publication.objects.filter(post__in=[article, post])}
    assert {p.status for p in pubs.values()} == {"published"}
    return pubs


def seed_comments(control, pub, texts):
    """Reader comments on a published item, through the sandbox's control API."""
    ids = []
    for text in texts:
        if pub.platform == "wechat":
            _, msg_data_id = split_post_id(pub.platform_post_id)
            ids.append(control.wechat_comment(msg_data_id, 0, content=text)["user_comment_id"])
        else:
            ids.append(control.weibo_comment(int(pub.platform_post_id), text=text)["id"])
    return ids


# --- routing, transfers, deadlines: two departments of county A1 and people around them ---------


@pytest.fixture
def depts(org):
    return {
        "edu": agency(
            org.county_a1, name="甲一县教育局", level="department", category="education", region_code="330101"
        ),
        "health": agency(
            org.county_a1, name="甲一县卫健局", level="department", category="health", region_code="330101"
        ),
    }


@pytest.fixture
def handlers(org, depts, make_user, staff):
    """Handlers and admins on both sides of the county line (routing, transfer, deadline and
    admin tests)."""
    users = {
        **staff,
        "edu_editor": make_user("edu_editor", "editor", depts["edu"]),
        "admin_a1": make_user("admin_a1", "agency_admin", org.county_a1),
        "admin_a2": make_user("admin_a2", "agency_admin", org.county_a2),
        "admin_b1": make_user("admin_b1", "agency_admin", org.county_b1),
        "editor_b": make_user("editor_b", "editor", org.county_b1),
        "auditor_a": make_user("auditor_a", "auditor", org.city_a),
    }
    users["admin_a1"].email = "admin_a1@example.org"
    users["admin_a1"].save(update_fields=["email"])
    return users
