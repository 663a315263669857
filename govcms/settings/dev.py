"""Development settings: `make demo` runs with these (SQLite, in-process tasks by default)."""

from .base import *  # noqa: F403
from .base import env

DEBUG = True
# `make demo` passes its PORT (this server) and SANDBOX_PORT (the platform sandbox): the backends
# call the sandbox there and Weibo posts link to this server there. The environment still wins.
_server_port = env("PORT", "8000")
_sandbox_url = f"http://127.0.0.1:{env('SANDBOX_PORT', '8765')}"
GOVCMS_WECHAT_API_BASE = env("GOVCMS_WECHAT_API_BASE", _sandbox_url)
GOVCMS_WEIBO_API_BASE = env("GOVCMS_WEIBO_API_BASE", _sandbox_url)
GOVCMS_SITE_URL = env("GOVCMS_SITE_URL", f"http://127.0.0.1:{_server_port}")
WAGTAILADMIN_BASE_URL = env("GOVCMS_ADMIN_URL", GOVCMS_SITE_URL)
# The sandbox accepts any client id, so re-authorising works out of the box in the demo.
GOVCMS_WEIBO_CLIENT_ID = env("GOVCMS_WEIBO_CLIENT_ID", "govcms-dev")
GOVCMS_WEIBO_CLIENT_SECRET = env("GOVCMS_WEIBO_CLIENT_SECRET", "sandbox")
