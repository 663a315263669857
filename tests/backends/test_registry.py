"""The registry builds backends from settings and reuses them while the settings stay the same."""

from __future__ import annotations

import pytest

from publishing.backends.base import Credentials, WeiboStatus
from publishing.backends.registry import get_backend
from publishing.backends.tokens import DjangoCacheTokenStore
from publishing.backends.wechat import WechatBackend
from publishing.backends.weibo import WeiboBackend

from .conftest import LINK, WEIBO_TOKEN, WEIBO_UID


def test_backends_follow_the_settings(settings):
    settings.GOVCMS_WECHAT_API_BASE = "http://127.0.0.1:1/"
    settings.GOVCMS_WEIBO_API_BASE = "http://127.0.0.1:2"
    settings.GOVCMS_PLATFORM_TIMEOUT = 3
    wechat, weibo = get_backend("wechat"), get_backend("weibo")
    assert isinstance(wechat, WechatBackend) and isinstance(weibo, WeiboBackend)
    assert (wechat.base_url, wechat.timeout, weibo.base_url) == ("http://127.0.0.1:1", 3.0, "http://127.0.0.1:2")
    assert isinstance(wechat.tokens, DjangoCacheTokenStore)
    assert get_backend("wechat") is wechat  # reused while the settings stay

    settings.GOVCMS_WECHAT_API_BASE = "http://127.0.0.1:3"
    assert get_backend("wechat") is not wechat and get_backend("wechat").base_url == "http://127.0.0.1:3"
    assert get_backend("weibo") is weibo


def test_unknown_platform(settings):
    with pytest.raises(ValueError, match="douyin"):
        get_backend("douyin")


def test_registry_backend_publishes_to_the_sandbox(settings, sandbox, control):
    control.weibo_account(WEIBO_UID, access_token=WEIBO_TOKEN, safe_domain="gov.example.cn")
    settings.GOVCMS_WEIBO_API_BASE = sandbox.base_url
    result = get_backend("weibo").publish(
        credentials=Credentials(access_token=WEIBO_TOKEN, uid=str(WEIBO_UID)),
        item=WeiboStatus(text=f"经由注册表 {LINK}"),
    )
    assert result.state == "published"
    assert control.state()["weibo"][str(WEIBO_UID)]["shares"] == 1
