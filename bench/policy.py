"""What the policy layer costs: `may_*` against a precomputed set lookup, and queries per request.

    DJANGO_SETTINGS_MODULE=govcms.settings.test .venv/bin/python bench/policy.py [checks]

1. Time of 10,000 policy answers (`editorial.policy.may_edit` inside the jurisdiction, and
   `govcms.policy.may_transition_account` refused outside it) against the same number of
   lookups in a precomputed set of (capability, path) pairs, in the same run: the ratio is
   the price of deciding from the table and the actor's scopes instead of a frozen answer.
2. The query count of representative API requests (each with its own policy check), against
   the counts measured on the code before the policy layer (QUERIES_BEFORE, taken with this
   script's `--counts-only` on the commit before it): they must not grow.

Runs in a throwaway test database (created and destroyed by Django's test machinery).
"""

import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govcms.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from bench.scratch import scratch_database  # noqa: E402

CHECKS = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 10_000
COUNTS_ONLY = "--counts-only" in sys.argv
PASSWORD = "bench-password-1"
# Queries per request on the code before the policy layer (main at 9f6232e, this script's
# --counts-only run there), by request label.
QUERIES_BEFORE = {
    "GET /posts (editor)": 8,
    "GET /posts/{id} (editor)": 16,
    "PATCH /posts/{id} (editor)": 80,
    "POST /posts/{id}/check (editor)": 21,
    "POST /posts/{id}/submit (editor)": 87,
    "GET /accounts (admin)": 5,
    "POST /accounts/{id}/transition (admin)": 33,
    "POST /accounts/{id}/transition (editor, 403)": 6,
    "GET /audit/events (auditor)": 5,
    "GET /reviews (reviewer)": 5,
}


def queries(client, method, url, token, body=None):
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    headers = {"Authorization": f"Bearer {token}"}
    with connection.execute_wrapper(count):
        if method == "GET":
            response = client.get(url, headers=headers)
        else:
            response = getattr(client, method.lower())(
                url, json.dumps(body or {}), content_type="application/json", headers=headers
            )
    return response.status_code, len(executed)


def main() -> None:
    with scratch_database("govcms_bench_policy"):
        run()


def run() -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from editorial import services as ed
    from govcms import services

    User = get_user_model()
    root = User.objects.create_superuser("bench-root", password=PASSWORD)
    province = services.agency_create(
        actor=root, parent=None, name="基准省", region_code="330000", level="province", category="government_office"
    )
    county = services.agency_create(
        actor=root, parent=province, name="基准县", region_code="330101", level="county", category="government_office"
    )
    other = services.agency_create(
        actor=root, parent=province, name="他县", region_code="330102", level="county", category="government_office"
    )
    account = services.account_create(actor=root, agency=county, platform="weibo", name="基准微博")
    services.account_transition(actor=root, account=account, to="operating", reason="开通", filing_number="F-1")
    foreign = services.account_create(actor=root, agency=other, platform="weibo", name="他县微博")
    people = {}
    roles = {"editor": "editor", "reviewer": "reviewer", "admin": "agency_admin", "auditor": "auditor"}
    for name, role in roles.items():
        people[name] = User.objects.create_user(f"bench-{name}", password=PASSWORD)
        services.role_assign(actor=root, user=people[name], role=role, agency=county)
    post = ed.post_create(actor=people["editor"], account=account, kind="weibo", title="稿件", body="今日天气晴。")
    second = ed.post_create(actor=people["editor"], account=account, kind="weibo", title="稿件二", body="通知。")

    if not COUNTS_ONLY:
        time_checks(people["editor"], post, foreign)
    count_requests(Client(), people, post, second, account)


def time_checks(editor, post, foreign) -> None:
    from editorial import policy as editorial_policy
    from govcms import policy as org_policy

    editor = type(editor).objects.get(pk=editor.pk)  # a request's user: scopes cached on first use
    allowed = {("post.edit", post.path[:i]) for i in range(4, len(post.path) + 1, 4)}
    paths = [post.path] * CHECKS
    editorial_policy.may_edit(editor, post)  # warm the per-request scope cache, as a request would

    start = time.perf_counter()
    hits = sum(1 for path in paths if ("post.edit", path[:12]) in allowed)
    baseline = time.perf_counter() - start

    start = time.perf_counter()
    allowed_now = sum(1 for _ in paths if editorial_policy.may_edit(editor, post) is None)
    inside = time.perf_counter() - start

    start = time.perf_counter()
    refused = sum(1 for _ in paths if org_policy.may_transition_account(editor, foreign) is not None)
    outside = time.perf_counter() - start
    assert hits == allowed_now == refused == CHECKS

    print(f"policy checks ({CHECKS:,}), same run — {platform.machine()}, Python {platform.python_version()}")
    print(f"  precomputed set lookup (baseline): {baseline * 1e3:8.2f} ms  ({baseline / CHECKS * 1e9:6.0f} ns/check)")
    print(
        f"  may_edit, allowed inside:          {inside * 1e3:8.2f} ms  ({inside / CHECKS * 1e9:6.0f} ns/check)"
        f"  ratio {inside / baseline:5.1f}×"
    )
    print(
        f"  may_transition_account, outside:   {outside * 1e3:8.2f} ms  ({outside / CHECKS * 1e9:6.0f} ns/check)"
        f"  ratio {outside / baseline:5.1f}×"
    )


def count_requests(client, people, post, second, account) -> None:
    from govcms import services

    tokens = {name: services.api_token_issue(user=user)[0] for name, user in people.items()}
    api = "/api/v1"
    requests = [
        ("GET /posts (editor)", "GET", f"{api}/posts", "editor", None),
        ("GET /posts/{id} (editor)", "GET", f"{api}/posts/{post.pk}", "editor", None),
        ("PATCH /posts/{id} (editor)", "PATCH", f"{api}/posts/{post.pk}", "editor", {"body": "今日多云。"}),
        ("POST /posts/{id}/check (editor)", "POST", f"{api}/posts/{post.pk}/check", "editor", None),
        ("POST /posts/{id}/submit (editor)", "POST", f"{api}/posts/{second.pk}/submit", "editor", {}),
        ("GET /accounts (admin)", "GET", f"{api}/accounts", "admin", None),
        (
            "POST /accounts/{id}/transition (admin)",
            "POST",
            f"{api}/accounts/{account.pk}/transition",
            "admin",
            {"to": "changed", "reason": "更名"},
        ),
        (
            "POST /accounts/{id}/transition (editor, 403)",
            "POST",
            f"{api}/accounts/{account.pk}/transition",
            "editor",
            {"to": "suspended", "reason": "停更"},
        ),
        ("GET /audit/events (auditor)", "GET", f"{api}/audit/events", "auditor", None),
        ("GET /reviews (reviewer)", "GET", f"{api}/reviews", "reviewer", None),
    ]
    print("queries per API request (before: the code without the policy layer; after: this code)")
    grew = []
    for label, method, url, who, body in requests:
        status, count = queries(client, method, url, tokens[who], body)
        before = QUERIES_BEFORE.get(label)
        note = f"before {before:3d}  ratio {count / before:4.2f}" if before else "before   -"
        print(f"  {label:46s} {status}  after {count:3d}  {note}")
        if before is not None and count > before:
            grew.append(label)
    if grew and not COUNTS_ONLY:
        print(f"  GREW: {', '.join(grew)}")


if __name__ == "__main__":
    main()
