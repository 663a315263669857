"""Pipeline fixtures: the platform sandbox over real HTTP, accounts with credentials on both sides,
and a helper that drafts, reviews and releases a post through the real services."""

import pytest

from editorial import services as ed
from editorial.models import ReviewStep
from govcms import services as org_services
from sandbox.client import SandboxControl
from sandbox.server import SandboxServer
from tests.conftest import county_image

SITE = "http://127.0.0.1:8000"


@pytest.fixture(scope="session")
def sandbox_server():
    server = SandboxServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server, settings):
    settings.GOVCMS_WECHAT_API_BASE = sandbox_server.base_url
    settings.GOVCMS_WEIBO_API_BASE = sandbox_server.base_url
    settings.GOVCMS_SITE_URL = SITE
    settings.GOVCMS_PUBLISH_BACKOFF_BASE = 0.01
    settings.GOVCMS_PUBLISH_BACKOFF_CAP = 0.02
    settings.GOVCMS_PLATFORM_TIMEOUT = 2
    control = SandboxControl(sandbox_server.base_url)
    control.reset()
    return control


@pytest.fixture
def accounts(org, sandbox):
    """County A1's WeChat (verified) and Weibo accounts, known to the sandbox."""
    wechat, weibo = org.acct_a1_wechat, org.acct_a1_weibo
    org_services.credential_set(actor=None, account=wechat, appid="wxtest0000000001", secret="sandbox-secret-a1")
    org_services.credential_set(actor=None, account=weibo, access_token="sandbox-token-a1", uid="5000000101")
    sandbox.wechat_account("wxtest0000000001", "sandbox-secret-a1", verified=True, publish_delay=0.05)
    sandbox.weibo_account("5000000101", access_token="sandbox-token-a1", safe_domain="127.0.0.1", hourly_limit=1000)
    return {"wechat": wechat, "weibo": weibo}


@pytest.fixture
def release(org, staff):
    """Draft → submit → reviewer → signer approval, as people do; returns the released post."""

    def run(account, **fields):
        kind = account.platform
        post = ed.post_create(
            actor=staff["editor"], account=account, kind=kind, title=fields.pop("title", "通报"), **fields
        )
        ed.post_submit(actor=staff["editor"], post=post)
        for user in (staff["reviewer"], staff["signer"]):
            step = ReviewStep.objects.get(post=post, open=True)
            ed.review_act(step=step, user=user, action="approve")
        return type(post).objects.get(pk=post.pk)

    return run


@pytest.fixture
def image(org):
    return county_image(org, "图")
