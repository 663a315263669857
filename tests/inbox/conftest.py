"""Inbox fixtures: the pipeline's sandbox and accounts, and published posts to collect from."""

import pytest

from publishing.backends.wechat import split_post_id
from publishing.models import Publication
from tests.conftest import county_image
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
