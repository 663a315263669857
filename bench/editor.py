"""The post editor against Wagtail's plain page editor, same page, same run.

    DJANGO_SETTINGS_MODULE=govcms.settings.test .venv/bin/python bench/editor.py

Prints the median time and the query count of GET of the post edit view and of a save (which
runs the five-gate checks and records the ledger event), for the composer as shipped and for the
baseline: Wagtail's own page editor for the same page (same size: a 1,000-character Weibo body)
with our editor panels and editorial hooks taken out (title, body and image as plain
FieldPanels; no status panel, counter, checks or ledger hooks). Ratios are composer / baseline.
Runs in a throwaway test database.
"""

import contextlib
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govcms.settings.test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from bench.scratch import count_queries, timed  # noqa: E402

REPEATS = 9
BODY = ("今日全县天气晴好，请市民注意防火安全，外出注意交通。" * 40)[:1000]
# The hooks our apps add to the editor's request cycle (checks and ledger on save, refusals,
# labels); the baseline runs without them.
EDITOR_HOOKS = ("after_edit_page", "before_edit_page", "construct_page_action_menu", "register_page_header_buttons")


@contextlib.contextmanager
def plain_wagtail(model):
    """Wagtail's editor for `model` without our panels and our apps' editor hooks."""
    from wagtail import hooks
    from wagtail.admin.panels import FieldPanel, ObjectList, TabbedInterface

    saved_hooks = {name: list(hooks._hooks.get(name, [])) for name in EDITOR_HOOKS}
    for name in EDITOR_HOOKS:
        hooks._hooks[name] = [
            (fn, order) for fn, order in saved_hooks[name] if not fn.__module__.startswith(("editorial", "govcms"))
        ]
    model.edit_handler = TabbedInterface(
        [ObjectList([FieldPanel("title"), FieldPanel("body"), FieldPanel("image")], heading="内容")]
    )
    model.get_edit_handler.cache_clear()
    try:
        yield
    finally:
        del model.edit_handler
        model.get_edit_handler.cache_clear()
        hooks._hooks.update(saved_hooks)


def main() -> None:
    setup_test_environment()
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = "govcms_bench_editor"
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        settings.DATABASES["default"]["TEST"]["NAME"] = ""
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run() -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from wagtail.test.utils.form_data import querydict_from_html

    from editorial.models import WeiboPostPage
    from editorial.services import post_create
    from govcms import services

    User = get_user_model()
    root = User.objects.create_superuser("bench-root", password="bench-password-1")
    editor = User.objects.create_user("bench-editor", password="bench-password-1")
    province = services.agency_create(
        actor=root, parent=None, name="基准省", region_code="330000", level="province", category="government_office"
    )
    account = services.account_create(actor=root, agency=province, platform="weibo", name="基准账号")
    services.role_assign(actor=root, user=editor, role="editor", agency=province)
    post = post_create(actor=editor, account=account, kind="weibo", title="基准稿件", body=BODY)
    client = Client()
    assert client.post("/admin/login/", {"username": "bench-editor", "password": "bench-password-1"}).status_code == 302
    url = f"/admin/pages/{post.pk}/edit/"

    def get():
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    def save_data() -> dict:
        form = querydict_from_html(client.get(url).content.decode(), form_id="page-edit-form")
        return {key: form.getlist(key) for key in form}

    def measure() -> dict:
        data = save_data()
        counter = iter(range(10**6))

        def save():
            data["body"] = [f"{BODY[:-4]}{next(counter):04d}"]  # a change each time: a new revision
            response = client.post(url, data)
            assert response.status_code == 302, response.content.decode()[:500]

        return {
            "get_time": timed(get, REPEATS),
            "get_queries": count_queries(get),
            "save_time": timed(save, REPEATS),
            "save_queries": count_queries(save),
        }

    # Alternated twice, the better of each side's two rounds: the order favours neither side.
    rounds = {"composer": [], "baseline": []}
    for _ in range(2):
        rounds["composer"].append(measure())
        with plain_wagtail(WeiboPostPage):
            rounds["baseline"].append(measure())
    composer, baseline = ({key: min(r[key] for r in rounds[side]) for key in rounds[side][0]} for side in rounds)

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {connection.vendor}; body {len(BODY)} characters")
    print(f"{'':28}{'composer':>12}{'plain Wagtail':>16}{'ratio':>8}")
    for label, key, unit in (
        ("edit view GET, median", "get_time", "ms"),
        ("edit view GET, queries", "get_queries", ""),
        ("save (with checks), median", "save_time", "ms"),
        ("save, queries", "save_queries", ""),
    ):
        ours, theirs = composer[key], baseline[key]
        scale = 1000 if unit == "ms" else 1
        print(f"{label:28}{ours * scale:>10.1f}{unit:>2}{theirs * scale:>14.1f}{unit:>2}{ours / theirs:>8.2f}")


if __name__ == "__main__":
    main()
