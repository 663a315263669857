"""Compliance report for 2,000 accounts with a year of activity, against hand-written SQL.

    DJANGO_SETTINGS_MODULE=govcms.settings.test .venv/bin/python bench/compliance.py [accounts]

Builds, in a throwaway test database, ACCOUNTS operating accounts under 20 counties (pages added
with treebeard directly, transitions bulk-inserted), about 150 publications and 50 interactions
per account spread over the last year (inserted with generate_series), a few confirmed findings
and comment closures. Then prints, as of today and as of six months back:

- the median time of `oversight.compliance.compliance` (the figures, rules and scores of every
  account) against one hand-written SQL statement computing the same per-account figures (the
  baseline, same run; the bench checks both give the same figures): the ratio (target ≤ 2×);
- the query count of the report at 200 and at ACCOUNTS accounts (must not grow);
- the peak memory the report allocates (tracemalloc) and the process's peak RSS;
- the annual assessment's compliance (the year so far) without and with the longest silence of
  the year (`whole_period`, one more query), each against the same hand-written SQL.
"""

import os
import platform
import resource
import sys
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govcms.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from bench.scratch import count_queries, scratch_database, timed  # noqa: E402

ACCOUNTS = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000
COUNTIES = 20
POSTS_PER_ACCOUNT = 150
ITEMS_PER_ACCOUNT = 50


def main() -> None:
    if connection.vendor != "postgresql":
        raise SystemExit("this benchmark needs PostgreSQL (DATABASE_URL)")
    with scratch_database("govcms_bench_compliance"):
        run()


def build(now):
    """The tree, accounts, transitions, publications, interactions, findings and closures."""
    from django.contrib.auth import get_user_model
    from wagtail.models import Page

    from editorial.models import WeiboPostPage
    from govcms import services
    from govcms.models import AccountPage, AccountTransition
    from oversight.models import CommentClosure, Finding

    root_user = get_user_model().objects.create_superuser("bench-root", password="bench-password-1")
    kind = {"level": "county", "category": "government_office"}
    province = services.agency_create(
        actor=root_user, parent=None, name="基准省", region_code="330000", **{**kind, "level": "province"}
    )
    counties = [
        services.agency_create(actor=root_user, parent=province, name=f"县{n}", region_code=f"33{n + 1:04d}", **kind)
        for n in range(COUNTIES)
    ]
    started = time.perf_counter()
    accounts = []
    for n in range(ACCOUNTS):
        county = counties[n % COUNTIES]
        county = Page.objects.get(pk=county.pk)  # treebeard needs the parent's current numchild
        accounts.append(
            county.add_child(
                instance=AccountPage(title=f"基准账号{n}", slug=f"acct-{n}", platform="weibo", status="operating")
            )
        )
    opened = now - timedelta(days=400)
    AccountTransition.objects.bulk_create(
        AccountTransition(
            account=a,
            from_status="applied",
            to_status="operating",
            reason="开通",
            approver=root_user,
            filing_number=f"b-{a.pk}",
            at=opened,
        )  # fmt: skip
        for a in accounts
    )
    draft = WeiboPostPage(title="基准稿件", slug="bench-post", live=False, body="今日天气晴。")
    post = accounts[0].add_child(instance=draft)
    revisions = [post.save_revision(log_action=False).pk for _ in range(POSTS_PER_ACCOUNT)]
    print(f"built {ACCOUNTS} accounts in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Publication k of account a: revision k, published at a pseudo-random moment of the year.
        cursor.execute(
            """
            INSERT INTO publishing_publication (post_id, revision_id, account_id, platform, status, attempts,
                job_id, platform_post_id, url, content_hash, reviewers, published_at, last_error_code, last_error,
                looks_due, created_at, updated_at)
            SELECT %s, r.id, a.page_ptr_id, 'weibo', 'published', 1, '', 'p' || r.id || '-' || a.page_ptr_id, '',
                '', '[]', %s - (((a.page_ptr_id * 7919 + r.id * 104729) %% 525600) * interval '1 minute')
                    - (CASE WHEN a.page_ptr_id %% 10 = 0 THEN interval '20 days' ELSE interval '0' END),
                '', '', '[]', %s, %s
            FROM govcms_accountpage a CROSS JOIN unnest(%s::bigint[]) AS r(id)
            """,
            [post.pk, now, now, now, revisions],
        )
        # Interaction i of account a: received in the year, due five days later, 80% answered.
        cursor.execute(
            """
            INSERT INTO inbox_inboxitem (account_id, platform, kind, channel, platform_id, platform_post_id, author,
                text, text_truncated, message_type, received_at, collected_at, status, ack_due_at, due_at,
                acknowledged_at, answered_at, is_complex)
            SELECT a.page_ptr_id, 'weibo', 'comment', 'platform', 'c:' || a.page_ptr_id || ':' || i, '', '网友',
                '请问办事时间', false, '', t.at, t.at, 'open', t.at + interval '1 day', t.at + interval '5 days',
                NULL, CASE WHEN i %% 5 = 0 THEN NULL ELSE t.at + ((i %% 7) * interval '1 day') END, false
            FROM govcms_accountpage a CROSS JOIN generate_series(1, %s) AS i
            CROSS JOIN LATERAL (SELECT %s - (((a.page_ptr_id * 31 + i * 7907) %% 525600) * interval '1 minute') AS at) t
            """,
            [ITEMS_PER_ACCOUNT, now],
        )
    Finding.objects.bulk_create(
        Finding(
            account=a,
            kind="serious_misstatement",
            status="confirmed",
            occurred_at=now - timedelta(days=n % 200 + 1),
            created_at=now - timedelta(days=n % 200 + 1),
            confirmed_at=now - timedelta(days=n % 200 + 0.5),
        )  # fmt: skip
        for n, a in enumerate(accounts[::25])
    )
    CommentClosure.objects.bulk_create(
        CommentClosure(account=a, closed_at=now - timedelta(days=300)) for a in accounts[3::40]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM publishing_publication")
        posts = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM inbox_inboxitem")
        items = cursor.fetchone()[0]
    print(f"inserted {posts} publications and {items} interactions in {time.perf_counter() - started:.1f} s")
    return province, counties


# The same per-account figures as `oversight.compliance.figures`, hand-written in one statement.
BASELINE = """
WITH acc AS (
    SELECT a.page_ptr_id AS id, p.path FROM govcms_accountpage a JOIN wagtailcore_page p ON p.id = a.page_ptr_id
    WHERE p.path LIKE %(prefix)s AND (p.first_published_at IS NULL OR p.first_published_at < %(until)s)
), st AS (
    SELECT DISTINCT ON (t.account_id) t.account_id, t.to_status FROM govcms_accounttransition t
    WHERE t.account_id IN (SELECT id FROM acc) AND t.at < %(until)s ORDER BY t.account_id, t.at DESC, t.id DESC
), spell AS (
    SELECT t.account_id, max(t.at) AS start FROM govcms_accounttransition t
    WHERE t.account_id IN (SELECT id FROM acc) AND t.at < %(until)s AND t.to_status = 'operating'
      AND t.from_status IN ('applied', 'suspended') GROUP BY t.account_id
), pub AS (
    SELECT account_id, max(published_at) AS last,
           count(*) FILTER (WHERE published_at >= %(since)s) AS posts,
           count(*) FILTER (WHERE published_at >= %(week)s) AS week
    FROM publishing_publication WHERE account_id IN (SELECT id FROM acc) AND published_at < %(until)s
    GROUP BY account_id
), box AS (
    SELECT account_id, count(*) AS received,
           count(*) FILTER (WHERE answered_at < %(until)s) AS answered,
           count(*) FILTER (WHERE answered_at < %(until)s AND (due_at IS NULL OR answered_at <= due_at)) AS in_time,
           count(*) FILTER (WHERE NOT (answered_at IS NOT NULL AND answered_at < %(until)s) AND due_at < %(until)s)
               AS overdue
    FROM inbox_inboxitem WHERE account_id IN (SELECT id FROM acc)
      AND received_at >= %(since)s AND received_at < %(until)s GROUP BY account_id
), fin AS (
    SELECT account_id, array_agg(DISTINCT kind ORDER BY kind) AS kinds FROM oversight_finding
    WHERE account_id IN (SELECT id FROM acc) AND kind IN ('serious_misstatement', 'security_incident',
      'fake_engagement') AND confirmed_at < %(until)s AND occurred_at >= %(since)s AND occurred_at < %(until)s
    GROUP BY account_id
), closed AS (
    SELECT DISTINCT account_id FROM oversight_commentclosure WHERE account_id IN (SELECT id FROM acc)
      AND closed_at < %(until)s AND (reopened_at IS NULL OR reopened_at >= %(until)s)
)
SELECT acc.id, spell.start, pub.last, coalesce(pub.posts, 0), coalesce(pub.week, 0), coalesce(box.received, 0),
       coalesce(box.answered, 0), coalesce(box.in_time, 0), coalesce(box.overdue, 0), closed.account_id IS NOT NULL,
       coalesce(fin.kinds, '{}')
FROM acc JOIN st ON st.account_id = acc.id AND st.to_status IN ('operating', 'changed')
LEFT JOIN spell ON spell.account_id = acc.id LEFT JOIN pub ON pub.account_id = acc.id
LEFT JOIN box ON box.account_id = acc.id LEFT JOIN fin ON fin.account_id = acc.id
LEFT JOIN closed ON closed.account_id = acc.id
ORDER BY acc.path
"""


def run() -> None:
    from django.utils import timezone

    from govcms.models import AccountPage
    from oversight.compliance import Period, compliance, figures

    now = timezone.now()
    province, counties = build(now)
    everything = AccountPage.objects.filter(path__startswith=province.path)
    some = AccountPage.objects.filter(path__startswith=counties[0].path)
    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, {connection.vendor}")
    today = timezone.localdate(now)
    for label, as_of in (("today", today), ("six months back", today - timedelta(days=182))):
        period = Period.ending(as_of, now=now)
        params = {
            "prefix": province.path + "%",
            "until": period.until,
            "since": period.since,
            "week": period.until - timedelta(days=7),
        }

        def baseline(params=params):
            with connection.cursor() as cursor:
                cursor.execute(BASELINE, params)
                return cursor.fetchall()

        def report(period=period):
            return compliance(everything, period)

        rows = baseline()
        mine = [
            (f.account_id, f.operating_since, f.last_post_at, f.posts, f.posts_last_week, f.received, f.answered,
             f.answered_in_time, f.overdue, f.comments_closed, sorted(f.confirmed_findings))
            for f in figures(everything, period)
        ]  # fmt: skip
        assert [(*r[:10], sorted(r[10])) for r in rows] == mine, "the baseline must compute the same figures"
        result = report()
        vetoed = sum(1 for i in result["items"] if i["vetoes"])
        small = count_queries(lambda period=period: compliance(some, period))
        large = count_queries(report)
        tracemalloc.start()
        report()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        report_time, baseline_time = timed(report), timed(baseline)
        print(f"\nas of {as_of} ({label}): {len(result['items'])} accounts assessed, {vetoed} vetoed")
        print(f"  queries: {small} at {some.count()} accounts, {large} at {everything.count()} accounts")
        print(f"  report {report_time * 1000:.0f} ms, hand-written SQL {baseline_time * 1000:.0f} ms")
        print(f"  ratio {report_time / baseline_time:.2f}x (target ≤ 2x)")
        print(f"  peak memory of the report {peak / 1e6:.1f} MB (tracemalloc)")
    annual(everything, some, province, today, now)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of the process {rss:.0f} MB (build included)")


def annual(everything, some, province, today, now) -> None:
    """The year so far, as the annual assessment asks it: year-end silence only, then the longest
    silence of the year (`whole_period`), each timed against the hand-written figures."""
    from oversight.compliance import Period, compliance

    period = Period.ending(today, since=date(today.year, 1, 1), now=now)
    params = {
        "prefix": province.path + "%",
        "until": period.until,
        "since": period.since,
        "week": period.until - timedelta(days=7),
    }

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute(BASELINE, params)
            return cursor.fetchall()

    baseline_time = timed(baseline)
    print(f"\nannual assessment {today.year} (as of {today}): hand-written SQL {baseline_time * 1000:.0f} ms")
    for label, whole in (("year-end silence (before)", False), ("longest silence of the year (after)", True)):

        def report(whole=whole):
            return compliance(everything, period, whole_period=whole)

        result = report()
        vetoed = sum(1 for i in result["items"] if "no_update_14d" in i["vetoes"])
        small = count_queries(lambda whole=whole: compliance(some, period, whole_period=whole))
        large = count_queries(report)
        report_time = timed(report)
        print(f"  {label}: {vetoed} vetoed for silence; queries {small} / {large}; {report_time * 1000:.0f} ms,")
        print(f"    ratio {report_time / baseline_time:.2f}x")


if __name__ == "__main__":
    main()
