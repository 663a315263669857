"""The timeline of one post: every revision, check run, submission, review decision and release."""

from govcms.history import ledger_entries, page_log_entries

from .models import CheckRun, ReviewRecord


def post_history(post) -> list[dict]:
    """Wagtail's page log, the check runs (with their findings' rules), the review records with
    names, times and comments, and the ledger — merged in time order."""
    entries = page_log_entries(post)
    entries += [
        {
            "at": run.at,
            "actor": run.actor.username if run.actor else None,
            "action": f"check.{run.trigger}",
            "summary": ("阻断" if run.blocking else "通过")
            + (f"（签发人强制提交：{run.override_reason}）" if run.override_reason else ""),
            "changes": {"rules": sorted({f["rule"] for f in run.findings})},
            "revision_id": run.revision_id,
            "source": "checks",
        }
        for run in CheckRun.objects.filter(post=post).select_related("actor")
    ]
    entries += [
        {
            "at": r.at,
            "actor": r.user.username,
            "action": f"review.{r.action}",
            "summary": f"{r.step_name}（{r.role}）{r.comment}",
            "changes": {},
            "revision_id": r.revision_id,
            "source": "review",
        }
        for r in ReviewRecord.objects.filter(post=post).select_related("user")
    ]
    entries += ledger_entries("post", post.pk)
    return sorted(entries, key=lambda e: e["at"])
