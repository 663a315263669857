"""`make demo`'s steps on the embedded defaults bring up a server the demo users can log in to.

Runs the same commands as the Makefile target (migrate, seed_demo, runserver) in a subprocess on
a fresh SQLite file with no broker, and talks to it over real HTTP.
"""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from govcms.management.commands.seed_demo import DEMO_PASSWORD, USERS

ROOT = Path(__file__).resolve().parent.parent
# The demo's processes run on the real clock; so does this module.
pytestmark = pytest.mark.real_clock


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="govcms.settings.dev",
        DATABASE_URL=f"sqlite:///{tmp_path_factory.mktemp('demo')}/db.sqlite3",
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    seeded = subprocess.run([*manage, "seed_demo"], env=env, check=True, cwd=ROOT, capture_output=True, text=True)
    again = subprocess.run([*manage, "seed_demo"], env=env, check=True, cwd=ROOT, capture_output=True, text=True)
    port, sandbox_port = free_port(), free_port()
    # As `make demo` does: the platform sandbox with the demo accounts, the backends pointed at it.
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "publishing.sandbox", "--host", "127.0.0.1", "--port", str(sandbox_port), "--demo"],
        env=env,
        cwd=ROOT,
    )
    env["GOVCMS_WECHAT_API_BASE"] = env["GOVCMS_WEIBO_API_BASE"] = f"http://127.0.0.1:{sandbox_port}"
    env["GOVCMS_SITE_URL"] = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([*manage, "runserver", "--noreload", f"127.0.0.1:{port}"], env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(base + "/admin/login/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base, seeded.stdout, again.stdout, env
    finally:
        server.terminate()
        sandbox.terminate()
        server.wait(timeout=10)
        sandbox.wait(timeout=10)


def test_demo_serves_admin_and_openapi(demo_server):
    base, *_ = demo_server
    assert httpx.get(base + "/admin/login/").status_code == 200
    spec = httpx.get(base + "/api/v1/openapi.json")
    assert spec.status_code == 200
    assert "/api/v1/accounts" in spec.json()["paths"]


def test_seed_prints_logins_and_is_idempotent(demo_server):
    _, first, second, env = demo_server
    assert DEMO_PASSWORD in first
    for username, *_ in USERS:
        assert username in first
    count = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c",
         "from govcms.models import AccountPage, AgencyPage, RoleAssignment;"
         "from audit.ledger import verify;"
         "print(AgencyPage.objects.count(), AccountPage.objects.count(), RoleAssignment.objects.count(), verify().ok)"],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1].split()  # fmt: skip
    assert count == ["12", "12", str(len(USERS)), "True"]


@pytest.mark.parametrize("username", [u[0] for u in USERS])
def test_every_demo_user_logs_in(demo_server, username):
    base, *_ = demo_server
    token = httpx.post(base + "/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD})
    assert token.status_code == 200
    me = httpx.get(base + "/api/v1/me", headers={"Authorization": f"Bearer {token.json()['token']}"})
    assert me.json()["username"] == username and me.json()["roles"]

    with httpx.Client(base_url=base) as browser:
        page = browser.get("/admin/login/")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        response = browser.post(
            "/admin/login/",
            data={"username": username, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": csrf},
            headers={"Referer": base + "/admin/login/"},
        )
        assert response.status_code == 302
        assert browser.get("/admin/").status_code == 200


def test_public_site_shows_the_tree(demo_server):
    base, *_ = demo_server
    home = httpx.get(base + "/")
    assert home.status_code == 200
    assert "浙江省人民政府（演示）" in home.text and "杭州市人民政府（演示）" in home.text


def test_demo_publishes_a_reviewed_weibo_post_to_the_sandbox(demo_server):
    """The embedded default end to end: draft, two approvals, published in-process to the sandbox."""
    base, *_ = demo_server
    api = base + "/api/v1"

    def client(username):
        token = httpx.post(f"{api}/auth/token", json={"username": username, "password": DEMO_PASSWORD}).json()["token"]
        return httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30)

    editor, reviewer, signer = client("editor_xihu"), client("reviewer_xihu"), client("signer_xihu")
    account = editor.get(f"{api}/accounts", params={"platform": "weibo"}).json()["items"][0]["id"]
    post = editor.post(
        f"{api}/posts", json={"account_id": account, "kind": "weibo", "body": "【演示】今晚有雨。"}
    ).json()
    assert editor.post(f"{api}/posts/{post['id']}/submit", json={}).json()["status"] == "in_review"
    for approver in (reviewer, signer):
        task = approver.get(f"{api}/reviews").json()["items"][0]["task_id"]
        assert approver.post(f"{api}/reviews/{task}/approve", json={}).status_code == 200
    publications = editor.get(f"{api}/posts/{post['id']}/publications").json()
    assert [p["status"] for p in publications] == ["published"], publications
    assert publications[0]["url"]
