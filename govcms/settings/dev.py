"""Development settings: `make demo` runs with these (SQLite, in-process tasks by default)."""

from .base import *  # noqa: F403

DEBUG = True
