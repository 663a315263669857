"""Development settings: `make demo` runs with these (SQLite, in-process tasks by default)."""

from .base import *  # noqa: F403
from .base import env

DEBUG = True
# `make demo` starts the platform sandbox here; the environment still wins when set.
GOVCMS_WECHAT_API_BASE = env("GOVCMS_WECHAT_API_BASE", "http://127.0.0.1:8765")
GOVCMS_WEIBO_API_BASE = env("GOVCMS_WEIBO_API_BASE", "http://127.0.0.1:8765")
# The sandbox accepts any client id, so re-authorising works out of the box in the demo.
GOVCMS_WEIBO_CLIENT_ID = env("GOVCMS_WEIBO_CLIENT_ID", "govcms-dev")
GOVCMS_WEIBO_CLIENT_SECRET = env("GOVCMS_WEIBO_CLIENT_SECRET", "sandbox")
