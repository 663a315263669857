"""Demo accounts matching the credentials `manage.py seed_demo` gives its accounts.

seed_demo numbers its ACCOUNTS list from 1 and derives credentials from that number: WeChat
appid ``wxdemo%010d`` / secret ``sandbox-secret-%04d``, Weibo uid ``5000000000 + n`` / token
``sandbox-token-%04d``. The list below repeats those numbers (this package must not import
Django); keep it in step with govcms/management/commands/seed_demo.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .accounts import upsert_wechat_account, upsert_weibo_account

if TYPE_CHECKING:
    from .app import Sandbox

# (n, platform, name, verified)
ACCOUNTS = [
    (1, "weibo", "浙江发布（演示）", True),
    (2, "wechat", "浙江发布（演示）", True),
    (3, "wechat", "健康浙江（演示）", True),
    (4, "weibo", "杭州发布（演示）", True),
    (5, "wechat", "杭州发布（演示）", True),
    (6, "wechat", "网信杭州（演示）", True),
    (7, "weibo", "平安杭州（演示）", True),
    (8, "weibo", "西湖发布（演示）", True),
    (9, "wechat", "西湖发布（演示）", True),
    (10, "wechat", "余杭发布（演示）", False),  # unverified: freepublish answers 48001
    (11, "weibo", "宁波发布（演示）", True),
    (12, "wechat", "海曙发布（演示）", False),
]

# The dev server's public site is where every Weibo share links to (the safe-domain rule). `make demo`
# passes `--accounts` from `seed_demo --sandbox-accounts`, which replaces these with the host of the
# site URL it derives and gives the WeChat accounts their event-push URL on the server's port.
DEMO_SAFE_DOMAINS = ["localhost", "127.0.0.1"]


def seed(sb: Sandbox, *, callback_url: str | None = None, callback_token: str | None = None) -> None:
    """Create (or update) the demo accounts; WeChat ones call back to `callback_url` when given."""
    for n, platform, name, verified in ACCOUNTS:
        if platform == "wechat":
            spec: dict = {"appid": f"wxdemo{n:010d}", "secret": f"sandbox-secret-{n:04d}", "name": name}
            spec["verified"] = verified
            if callback_url:
                spec["callback_url"] = callback_url
            if callback_token:
                spec["callback_token"] = callback_token
            upsert_wechat_account(sb, spec)
        else:
            upsert_weibo_account(
                sb,
                {
                    "uid": 5000000000 + n,
                    "screen_name": name,
                    "access_token": f"sandbox-token-{n:04d}",
                    "safe_domain": DEMO_SAFE_DOMAINS,
                },
            )
