"""The browser suite's machinery: Debian's Chromium through Playwright, a live server, the platform
sandbox and a real Celery worker on a private queue, all on the test database.

Every page a flow opens goes through `Browser.visit` / `Browser.landed`: it is screenshotted into
test-artefacts/browser/, checked for English Wagtail strings (the list of tests/test_i18n_admin.py),
and its load time (navigation timing, load event) recorded as cold (the first visit of that screen in
the person's browser) or warm (a repeat). The summary (median, p90 per flow) is written to
test-artefacts/browser/page-loads.json and printed at the end of the run; nothing asserts on time.

Without Chromium (or Playwright, or a broker for the worker) the suite fails, so CI cannot pass
without it; a developer without them opts out explicitly with GOVCMS_SKIP_BROWSER=1 (ignored when
CI is set).
"""

import itertools
import logging
import os
import re
from dataclasses import dataclass, field

import pytest
from wagtail.users.models import UserProfile

from govcms.celery import app as celery_app
from tests.browser.report import ARTEFACTS, save_loads
from tests.factories import PASSWORD
from tests.publishing.conftest import accounts, sandbox, sandbox_server  # noqa: F401  (fixtures)
from tests.publishing.test_worker import start_worker, stop, worker_env  # noqa: F401  (fixtures)
from tests.test_i18n_admin import english_found

logger = logging.getLogger(__name__)

CHROMIUM = "/usr/bin/chromium"
OPT_OUT = "GOVCMS_SKIP_BROWSER"


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium driven by Playwright (Playwright's own browser download is not used).

    Playwright's synchronous API runs an event loop in this thread, where Django refuses database
    calls unless told otherwise: allowed while the browser runs (the calls are ordinary
    synchronous ones; the loop only drives the browser), refused again after."""
    if os.environ.get(OPT_OUT) == "1" and not os.environ.get("CI"):
        pytest.skip(f"{OPT_OUT}=1: the browser suite is switched off on this machine")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is not installed: `make install` (requirements.txt pins it)", pytrace=False)
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium fonts-noto-cjk); "
            f"set {OPT_OUT}=1 to run without the browser suite",
            pytrace=False,
        )
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def live_server():
    """pytest-django's live server, on 127.0.0.1 (the sandbox's Weibo accounts take it as the app's
    safe domain, as tests/publishing/conftest.py sets them up), not on `localhost`."""
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("127.0.0.1")
    yield server
    server.stop()


@pytest.fixture
def broker(chromium):
    """A broker for the worker (fails without one, like a missing browser, after the browser's
    opt-out has had its say); the in-process Celery
    app's eager mode, which `worker_env` switches off, is put back afterwards for the tests that follow."""
    if not os.environ.get("CELERY_BROKER_URL"):
        pytest.fail(f"the worker needs a broker: CELERY_BROKER_URL (set by .ci/run), or {OPT_OUT}=1", pytrace=False)
    eager = celery_app.conf.task_always_eager
    yield
    celery_app.conf.task_always_eager = eager


@pytest.fixture
def publishing(broker, live_server, accounts, worker_env, settings):  # noqa: F811
    """County A1's two accounts on the platform sandbox and a real Celery worker (private queue,
    this test's database) publishing to it; the links sent to the platforms point at the live server."""
    settings.GOVCMS_SITE_URL = live_server.url
    worker_env["GOVCMS_SITE_URL"] = live_server.url
    process = start_worker(worker_env)
    yield accounts
    stop(process)


# The whole load (to the load event), and the server's part of it: from the request sent to the
# first byte of the answer (a redirected post's own request is in the whole load, not in this);
# and the subresources fetched over the network rather than from the browser's cache (how many,
# their summed durations), which tell a warm load's browser time apart.
NAVIGATION_MS = """() => {
  const [n] = performance.getEntriesByType('navigation');
  if (!n || !(n.loadEventEnd > 0)) return null;
  const fetched = performance.getEntriesByType('resource').filter(r => r.transferSize > 0);
  return [n.loadEventEnd - n.startTime, n.responseStart - n.requestStart, fetched.length,
          Math.round(fetched.reduce((sum, r) => sum + r.duration, 0))];
}"""


@dataclass
class Run:
    """One test's record: its page loads (flow, screen, step, cold or warm, ms; a page reached by a
    form post, a submit or a decision, is timed from the post, so its load includes the post's
    work) and its screenshots, numbered in the order taken and named after the test."""

    test: str
    loads: list = field(default_factory=list)
    shots: itertools.count = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self):
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        for stale in ARTEFACTS.glob(f"{self.test}-*.png"):
            stale.unlink()

    def shot(self, label: str):
        return ARTEFACTS / f"{self.test}-{next(self.shots):03d}-{label}.png"


@dataclass
class Browser:
    """One person's browser (own cookies), logged in to the admin in zh-hans."""

    name: str
    base: str
    page: object
    run: Run
    flow: str = "login"
    seen: set = field(default_factory=set)

    def visit(self, path: str, what: str):
        """Open `path` on the server; returns the response."""
        return self.visit_absolute(self.base + path, what)

    def visit_absolute(self, url: str, what: str):
        """Open `url`; a screen opened for the first time in this browser is opened twice, so each
        flow has warm loads as well as cold ones. Returns the (last) response."""
        response = self.page.goto(url)
        if self.landed(what):
            response = self.page.goto(url)
            self.landed(what, shoot=False)
        return response

    def landed(self, what: str, *, shoot: bool = True) -> bool:
        """Record the page just loaded (after a visit, a click or a form post): its load time, a
        screenshot, and no English in zh-hans. Returns whether it was a cold load."""
        page = self.page
        page.wait_for_load_state("load")
        page.wait_for_function("() => performance.getEntriesByType('navigation')[0]?.loadEventEnd > 0")
        url = page.url.split("?")[0]
        screen = re.sub(r"\d+", "<n>", url.removeprefix(self.base) if url.startswith(self.base) else url)
        cold = screen not in self.seen
        self.seen.add(screen)
        ms, server_ms, fetched, fetched_ms = page.evaluate(NAVIGATION_MS) or (None,) * 4
        self.run.loads.append(
            {
                "flow": self.flow,
                "screen": screen,
                "step": what,
                "kind": "cold" if cold else "warm",
                "ms": ms and round(ms),
                "server_ms": server_ms and round(server_ms),
                "fetched": fetched,
                "fetched_ms": fetched_ms,
            }
        )
        if shoot:
            self.shoot(what)
        return cold

    def shoot(self, what: str):
        """A screenshot of the page as it is now (also after an in-page step), which must show no
        English Wagtail string."""
        slug = re.sub(r"[^a-z0-9]+", "-", what.lower()).strip("-") or "page"
        self.page.screenshot(
            path=self.run.shot(f"{self.flow}-{self.name}-{slug}"), full_page=True, animations="disabled"
        )
        english = english_found(self.page.content())
        assert not english, f"{self.name} sees English on {self.page.url} ({what}): {english}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's outcome on the test item, for `browse` to screenshot a failure."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def browse(chromium, live_server, settings, request):
    """Open a browser for `user`, logged in through the admin's login form, in zh-hans."""
    settings.GOVCMS_SITE_URL = live_server.url
    run = Run(request.node.name)
    contexts = []

    def open_for(user, flow: str) -> Browser:
        profile = UserProfile.get_for_user(user)
        profile.preferred_language = "zh-hans"
        profile.save()
        context = chromium.new_context(
            locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        person = Browser(name=user.username, base=live_server.url, page=context.new_page(), run=run, flow=flow)
        person.visit("/admin/login/", "login")
        person.page.fill("input[name=username]", user.username)
        person.page.fill("input[name=password]", PASSWORD)
        with person.page.expect_navigation():
            person.page.click("form [type=submit]")
        person.landed("dashboard")
        return person

    yield open_for
    save_loads(run.test, run.loads)
    failed = getattr(request.node, "report_call", None) is None or request.node.report_call.failed
    for context in contexts:
        if failed:  # each open page as it was when the test failed
            for page in context.pages:
                page.screenshot(path=run.shot("failed"))
        context.close()
