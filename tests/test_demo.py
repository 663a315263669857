"""`make demo` on the embedded defaults: everything the product does, only smaller.

The module runs `make demo` itself (its install step skipped and its interpreter this one: the
suite already runs in the virtualenv) on free ports and a fresh SQLite file, and talks to the server and the platform
sandbox it starts over real HTTP: demo logins, the public site, a reviewed Weibo post reaching the
sandbox on the moved port and linking to the server's moved port, a post scheduled ahead released
by the demo's own periodic process, and seed_demo's idempotence. The content-check gates are
checked on seed_demo's data in the test database.
"""

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command

from editorial.checks.importers import parse_text_lexicon
from govcms.management.commands.seed_demo import DEMO_LEXICON, DEMO_PASSWORD, LEADERS, USERS

ROOT = Path(__file__).resolve().parent.parent
# The demo's processes run on the real clock; so does this module.
pytestmark = pytest.mark.real_clock
# Settings the demo must derive itself; the caller's environment must not hand them over.
NOT_INHERITED = {
    "DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "PORT", "SANDBOX_PORT", "DEMO_DB",
    "GOVCMS_WECHAT_API_BASE", "GOVCMS_WEIBO_API_BASE", "GOVCMS_SITE_URL", "GOVCMS_ADMIN_URL", "MAKEFLAGS",
}  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Demo:
    base: str
    sandbox: str
    port: int
    log: Path
    env: dict  # for manage.py commands against the demo's database

    def manage(self, *args: str) -> str:
        return subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            env=self.env, cwd=ROOT, check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip

    def api(self, username: str) -> httpx.Client:
        token = httpx.post(
            f"{self.base}/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD}
        ).json()["token"]
        return httpx.Client(base_url=f"{self.base}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30)

    def weibo_statuses(self) -> list[dict]:
        state = httpx.get(f"{self.sandbox}/_sandbox/state", timeout=5).json()
        return [status for account in state["weibo"].values() for status in account["statuses"]]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("demo")
    db = workdir / "db.sqlite3"
    port, sandbox_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    log = workdir / "make-demo.log"
    with log.open("wb") as out:
        make = subprocess.Popen(
            ["make", "-o", "install", "demo", f"BIN={Path(sys.executable).parent}",
             f"PORT={port}", f"SANDBOX_PORT={sandbox_port}", f"DEMO_DB={db}"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300  # migrations on a loaded machine
        while True:
            assert make.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            try:
                if httpx.get(base + "/admin/login/", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        yield Demo(
            base=base,
            sandbox=f"http://127.0.0.1:{sandbox_port}",
            port=port,
            log=log,
            env={**env, "DJANGO_SETTINGS_MODULE": "govcms.settings.dev", "DATABASE_URL": f"sqlite:///{db}",
                 "PORT": str(port), "SANDBOX_PORT": str(sandbox_port)},
        )  # fmt: skip
    finally:
        # Stops make, its shell, the server, the sandbox and the periodic process (one session).
        os.killpg(make.pid, signal.SIGTERM)
        try:
            make.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()


def test_demo_serves_admin_and_openapi(demo):
    assert httpx.get(demo.base + "/admin/login/").status_code == 200
    spec = httpx.get(demo.base + "/api/v1/openapi.json")
    assert spec.status_code == 200
    assert "/api/v1/accounts" in spec.json()["paths"]


# Run in the demo's database: the counts, a second seed_demo (what a second `make demo` runs), the counts.
RESEED = """
import io, json
from django.core.management import call_command
from audit.ledger import verify
from audit.models import LedgerEvent
from editorial.models import LeaderTitle, LexiconEntry
from govcms.models import AccountPage, AgencyPage, RoleAssignment
models = (AgencyPage, AccountPage, RoleAssignment, LexiconEntry, LeaderTitle, LedgerEvent)
def counts():
    return [model.objects.count() for model in models] + [verify().ok]
before, out = counts(), io.StringIO()
call_command("seed_demo", "--sandbox-accounts", "ACCOUNTS_FILE", stdout=out)
print(json.dumps({"before": before, "after": counts(), "output": out.getvalue()}))
"""


def test_seed_prints_logins_and_is_idempotent(demo, tmp_path):
    first = demo.log.read_text()
    assert DEMO_PASSWORD in first
    for username, *_ in USERS:
        assert username in first
    accounts_file = tmp_path / "accounts.json"
    output = demo.manage("shell", "-c", RESEED.replace("ACCOUNTS_FILE", str(accounts_file)))
    result = json.loads(output.splitlines()[-1])
    terms = len(parse_text_lexicon(data=DEMO_LEXICON.read_bytes()).entries)
    assert result["before"][:5] == [12, 12, len(USERS), terms, len(LEADERS)] and result["before"][-1] is True
    assert result["after"] == result["before"]  # not one row, not one ledger event more
    assert DEMO_PASSWORD in result["output"]
    # The sandbox learns this server's port: WeChat event pushes and the Weibo safe domain.
    accounts = json.loads(accounts_file.read_text(encoding="utf-8"))
    assert len(accounts["wechat"]) == 7 and len(accounts["weibo"]) == 5
    push = rf"http://127\.0\.0\.1:{demo.port}/api/v1/platform-callbacks/wechat/\d+"
    for spec in accounts["wechat"]:
        assert re.fullmatch(push, spec["callback_url"])
        assert spec["callback_token"]
    assert all("127.0.0.1" in spec["safe_domain"] for spec in accounts["weibo"])


@pytest.mark.parametrize("username", [u[0] for u in USERS])
def test_every_demo_user_logs_in(demo, username):
    token = httpx.post(demo.base + "/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD})
    assert token.status_code == 200
    me = httpx.get(demo.base + "/api/v1/me", headers={"Authorization": f"Bearer {token.json()['token']}"})
    assert me.json()["username"] == username and me.json()["roles"]

    with httpx.Client(base_url=demo.base) as browser:
        page = browser.get("/admin/login/")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        response = browser.post(
            "/admin/login/",
            data={"username": username, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": csrf},
            headers={"Referer": demo.base + "/admin/login/"},
        )
        assert response.status_code == 302
        assert browser.get("/admin/").status_code == 200


def test_public_site_shows_the_tree(demo):
    home = httpx.get(demo.base + "/")
    assert home.status_code == 200
    assert "浙江省人民政府（演示）" in home.text and "杭州市人民政府（演示）" in home.text


def _approved_weibo_post(demo: Demo, body: str, **fields) -> dict:
    """Draft by the demo editor, approved by the demo reviewer and signer, all through the API."""
    editor, reviewer, signer = demo.api("editor_xihu"), demo.api("reviewer_xihu"), demo.api("signer_xihu")
    account = editor.get("/accounts", params={"platform": "weibo"}).json()["items"][0]["id"]
    post = editor.post("/posts", json={"account_id": account, "kind": "weibo", "body": body, **fields})
    assert post.status_code == 201, post.text
    post = post.json()
    assert editor.post(f"/posts/{post['id']}/submit", json={}).json()["status"] == "in_review"
    for approver in (reviewer, signer):
        task = next(t for t in approver.get("/reviews").json()["items"] if t["post_id"] == post["id"])
        assert approver.post(f"/reviews/{task['task_id']}/approve", json={}).status_code == 200
    return editor.get(f"/posts/{post['id']}").json()


def test_demo_publishes_a_reviewed_weibo_post_to_the_moved_sandbox(demo):
    """Draft, two approvals, published in-process to the sandbox on SANDBOX_PORT, linking to PORT."""
    body = f"【演示】今晚有雨。{uuid.uuid4().hex[:8]}"
    post = _approved_weibo_post(demo, body)
    publications = demo.api("editor_xihu").get(f"/posts/{post['id']}/publications").json()
    assert [p["status"] for p in publications] == ["published"], publications
    assert publications[0]["url"]
    [status] = [s for s in demo.weibo_statuses() if body in s["text"]]
    link = f"http://127.0.0.1:{demo.port}/p/{post['id']}/"
    assert link in status["text"]
    page = httpx.get(link, follow_redirects=True)
    assert page.status_code == 200 and "今晚有雨" in page.text


@pytest.mark.slow
def test_demo_releases_a_scheduled_post_on_time_with_nothing_started_by_hand(demo):
    """A post scheduled a minute ahead is on the sandbox timeline after its time, within 60 s of it:
    the demo's own periodic process released and published it."""
    body = f"【演示】定时发布：明早八点起地铁延时运营。{uuid.uuid4().hex[:8]}"
    scheduled = (datetime.now(UTC) + timedelta(seconds=60)).replace(microsecond=0)
    post = _approved_weibo_post(demo, body, scheduled_at=scheduled.isoformat())
    assert post["status"] == "scheduled", post  # released by the chain, not yet published
    assert not [s for s in demo.weibo_statuses() if body in s["text"]]
    deadline = scheduled.timestamp() + 75
    while time.time() < deadline:
        statuses = [s for s in demo.weibo_statuses() if body in s["text"]]
        if statuses:
            break
        time.sleep(1)
    else:
        pytest.fail(f"not on the sandbox 75 s after its time\n{demo.log.read_text()[-3000:]}")
    [status] = statuses
    assert scheduled.timestamp() <= status["created_at"] <= scheduled.timestamp() + 60
    assert demo.api("editor_xihu").get(f"/posts/{post['id']}").json()["status"] != "scheduled"


@pytest.mark.django_db
def test_every_check_gate_fires_on_the_demo_data():
    """seed_demo's lexicon and leader register make every gate and every check kind fire."""
    from django.contrib.auth import get_user_model

    from editorial import services
    from editorial.models import CheckRun
    from govcms.models import AccountPage
    from tests.conftest import ensure_tree_root

    ensure_tree_root()  # a transactional test run before this one in the process emptied the tree
    call_command("seed_demo", stdout=io.StringIO())
    account = AccountPage.objects.get(title="西湖发布（演示）", platform="wechat")
    editor = get_user_model().objects.get(username="editor_xihu")
    body = (
        "<p>周明远市长指出，要再接再励，迫不急待地推进工作。</p>"
        "<p>网传法轮功、台湾总统等说法不实；本店全网最佳，限时抢购！这是基层治理的最佳实践。</p>"
        "<p>附件为绝密文件。联系人手机 13812345678。"
        '详见<a href="https://example.com/notice">通知原文</a>。</p>'
    )
    post = services.post_create(
        actor=editor, account=account, kind="wechat", title="演示：五关检查",
        body=body, is_repost=True, repost_source="某某自媒体",
    )  # fmt: skip
    findings = CheckRun.objects.filter(post=post).latest("pk").findings
    rules = {f["rule"] for f in findings}
    assert {
        "sensitive_word", "banned_expression", "advertising", "secret_marking", "typo",  # lexicon
        "leader_title",  # leader register
        "mobile",  # personal data
        "external_link",  # links
        "repost_source_unofficial",  # repost source
    } <= rules, rules  # fmt: skip
    assert {f["gate"] for f in findings} >= {"political", "legal", "policy", "secrecy", "wording"}
    # The exemption: "最佳" fires in "全网最佳" but not inside "最佳实践".
    assert [f["matched"] for f in findings if f["rule"] == "advertising" and f["matched"] == "最佳"] == ["最佳"]
    leader = next(f for f in findings if f["rule"] == "leader_title")
    assert leader["matched"] == "周明远市长" and leader["suggestion"] == "省长周明远"
