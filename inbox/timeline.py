"""An inbox item's history as people read it: its ledger events, oldest first, each with a
Chinese sentence (`summary`) beside the raw data. Shown by `GET /api/v1/inbox/{id}` and the
admin's item page; the field-level changes are in the item's simple-history rows."""

import logging
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from govcms import history
from govcms.history_labels import action_label
from govcms.models import AgencyPage

logger = logging.getLogger(__name__)


def _agency_names(entries: list[dict]) -> dict[int, str]:
    ids = {
        e["changes"].get(key)
        for e in entries
        for key in ("from_agency_id", "to_agency_id", "agency_id")
        if isinstance(e["changes"], dict)
    }
    return dict(AgencyPage.objects.filter(pk__in=[i for i in ids if isinstance(i, int)]).values_list("pk", "title"))


def _summary(action: str, data: dict, names: dict[int, str]) -> str:
    label = action_label(action)
    to = names.get(data.get("to_agency_id"), "")
    if action == "inbox.assigned":
        return _("%(label)s给 %(user)s") % {"label": label, "user": data.get("assignee")}
    if action in ("inbox.transferred", "inbox.transfer_requested"):
        return _("%(label)s至 %(agency)s：%(reason)s") % {"label": label, "agency": to, "reason": data.get("reason")}
    if action in ("inbox.transfer_accepted", "inbox.transfer_declined"):
        note = data.get("note")
        return f"{label}（{to}）" + (f"：{note}" if note else "")
    if action in ("inbox.marked_complex", "inbox.unmarked_complex") and data.get("due_at"):
        return _("%(label)s，答复期限改为 %(due)s") % {"label": label, "due": _moment(data["due_at"])}
    return label


def _moment(value) -> str:
    try:
        return timezone.localtime(datetime.fromisoformat(str(value))).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(value)


def item_timeline(item) -> list[dict]:
    """`[{at, actor, action, summary, changes}]` of the item, oldest first."""
    entries = history.ledger_entries("inboxitem", item.pk)
    names = _agency_names(entries)
    return [
        {
            "at": e["at"],
            "actor": e["actor"],
            "action": e["action"],
            "summary": _summary(e["action"], e["changes"] if isinstance(e["changes"], dict) else {}, names),
            "changes": e["changes"],
        }
        for e in entries
    ]


def item_history(item) -> list[dict]:
    """The item's whole timeline for `GET /api/v1/history/inboxitem/{id}`: its field-level changes
    (simple-history) and its ledger events, each ledger event with its Chinese `summary`."""
    readable = {(e["at"], e["action"]): e["summary"] for e in item_timeline(item)}
    entries = history.model_history(item)
    for entry in entries:
        if entry["source"] == "ledger":
            entry["summary"] = readable.get((entry["at"], entry["action"]), entry["summary"])
        if not isinstance(entry["changes"], dict):
            entry["changes"] = {"value": entry["changes"]}
    return entries
