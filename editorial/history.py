"""The timeline of one post: revisions, check runs and overrides, the submission, each review
decision, the release (by whom), and what then happened to it on each platform."""

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.models import LedgerEvent
from govcms.history import ledger_event_entries, page_log_entries

from .models import CheckRun

# What stopped a publication, by the class of error seen (the pipeline's attempt outcome).
FAILURE_LABELS = {
    "content": gettext_lazy("内容被平台拒绝"),
    "invalid": gettext_lazy("发布前校验未通过"),
    "config": gettext_lazy("账号配置错误"),
    "auth": gettext_lazy("平台授权失效"),
    "transient": gettext_lazy("网络或平台暂时性错误"),
    "unknown": gettext_lazy("结果未知"),
    "error": gettext_lazy("未归类错误"),
}


def _step(data: dict) -> dict:
    return {"step": data.get("step", ""), "index": data.get("step_index", "?"), "total": data.get("steps_total", "?")}


def _failure(data: dict) -> str:
    label = str(FAILURE_LABELS.get(data.get("outcome"), _("发布失败")))
    if data.get("reached_platform") is False:
        label = _("%(label)s，未送达平台") % {"label": label}
    return _("%(label)s：[%(code)s] %(message)s") % {
        "label": label,
        "code": data.get("code") or "-",
        "message": data.get("message", ""),
    }


def _submitted(data: dict) -> str:
    line = _("提交审核，提交人 %(submitter)s") % {"submitter": data.get("submitter") or "-"}
    if data.get("overridden_by"):
        line += _("（签发人 %(signer)s 强制提交）") % {"signer": data["overridden_by"]}
    return line


def summary(action: str, data: dict) -> str | None:
    """A readable line for a post or publication ledger event (None: keep the generic one)."""
    comment = data.get("comment") or ""
    lines = {
        "post.approved": lambda: (
            _("%(step)s（第 %(index)s/%(total)s 步）通过%(comment)s")
            % {**_step(data), "comment": f"：{comment}" if comment else ""}
        ),
        "post.rejected": lambda: (
            _("%(step)s（第 %(index)s/%(total)s 步）退回：%(comment)s") % {**_step(data), "comment": comment}
        ),
        "post.check_overridden": lambda: (
            _("签发人强制提交（%(rules)s）：%(reason)s")
            % {"rules": "、".join(data.get("rules", [])), "reason": data.get("reason", "")}
        ),
        "post.submitted": lambda: _submitted(data),
        "post.released": lambda: (
            _("签发人 %(releaser)s 签发；审核人员：%(reviewers)s")
            % {"releaser": data.get("releaser") or "-", "reviewers": "、".join(data.get("reviewers", []))}
        ),
        "publication.queued": lambda: _("排队发布（版本 %(revision)s）") % {"revision": data.get("revision_id")},
        "publication.published": lambda: (
            _("已发布：平台 ID %(id)s，%(url)s") % {"id": data.get("platform_post_id", ""), "url": data.get("url", "")}
        ),
        "publication.failed": lambda: _("发布失败：") + _failure(data),
        "publication.unknown": lambda: _("发布结果未知，待人工核对：") + _failure(data),
        "publication.retry": lambda: (
            _("重新排队发布") + (_("（已确认平台上不存在）") if data.get("confirmed_absent") else "")
        ),
        "publication.withdrawn": lambda: _("已从平台撤回（平台 ID %(id)s）") % {"id": data.get("platform_post_id", "")},
        "publication.withdraw_failed": lambda: (
            _("从平台撤回失败：[%(code)s] %(message)s")
            % {"code": data.get("code") or "-", "message": data.get("message", "")}
        ),
        "publication.deleted_on_platform": lambda: _("已在平台上被删除（非本系统操作）"),
    }
    line = lines.get(action)
    return line() if line else None


def post_history(post) -> list[dict]:
    """Wagtail's page log (revisions, workflow, going live), the check runs (with any override),
    and the ledger of the post and of its publications — merged in time order, ledger events in
    chain order. Review decisions come from the ledger (`post.approved` / `post.rejected`)."""
    entries = page_log_entries(post)
    entries += [
        {
            "at": run.at,
            "actor": run.actor.username if run.actor else None,
            "action": f"check.{run.trigger}",
            "summary": (_("阻断") if run.blocking else _("通过"))
            + (
                _("（签发人 %(signer)s 强制提交：%(reason)s）")
                % {"signer": run.overridden_by.username, "reason": run.override_reason}
                if run.overridden_by
                else ""
            ),
            "changes": {"rules": sorted({f["rule"] for f in run.findings})},
            "revision_id": run.revision_id,
            "source": "checks",
        }
        for run in CheckRun.objects.filter(post=post).select_related("actor", "overridden_by")
    ]
    events = LedgerEvent.objects.filter(
        Q(object_type="post", object_id=str(post.pk)) | Q(object_type="publication", data__post_id=post.pk)
    ).order_by("seq")
    for entry in ledger_event_entries(events):
        entry["summary"] = summary(entry["action"], entry["changes"]) or entry["summary"]
        entries.append(entry)
    return sorted(entries, key=lambda e: e["at"])
