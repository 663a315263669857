"""The platform sandbox: an HTTP emulator of the WeChat Official Account and Weibo Open APIs.

Standalone (standard library only, no Django), so `make demo`, the test-suite and any other
emulator user can run it as a process or in a thread:

    .venv/bin/python -m sandbox --host 127.0.0.1 --port 8765 --demo

    from sandbox.server import SandboxServer
    with SandboxServer() as server:
        ...  # server.base_url

WeChat lives under `/cgi-bin/`, Weibo under `/2/` and `/oauth2/`, on their real paths, so
GOVCMS_WECHAT_API_BASE and GOVCMS_WEIBO_API_BASE can both point at one sandbox. Tests steer it
through the JSON control API under `/_sandbox/` (see `control.py`, and `faults.py` for fault
injection); people browse `/_sandbox/` for a timeline per fake account.

Modules: `server` (HTTP), `app` (routing and faults), `wechat` / `weibo` (the two APIs),
`state` (in-memory store), `faults`, `jobs` (delayed publish jobs and callbacks), `control`,
`accounts`, `demo`, `pages` (HTML), `client` (a small control-API client for tests).
"""
