"""One timeline per organisation object, merged from the three history layers.

Wagtail log entries (page content and revisions), simple-history rows (plain models, never
secrets) and the audit ledger each hold part of the story; an auditor reads them as one list.
Each provider returns dicts `{at, actor, action, summary, changes, revision_id, source}`;
simple-history entries also name their `model` (for the changed fields' verbose names). What an
action means in words is `history_labels.action_label`.
"""

from wagtail.models import PageLogEntry

from audit.models import LedgerEvent

from .models import AccountPage, RoleAssignment


def ledger_event_entries(events) -> list[dict]:
    """Entries for ledger events, in the order given; `revision_id` when the event names one."""
    return [
        {
            "at": e.at,
            "actor": e.actor or None,
            "action": e.action,
            "summary": f"#{e.seq}",  # its place in the chain; what it means is the action's label
            "changes": e.data,
            "revision_id": e.data.get("revision_id") if isinstance(e.data.get("revision_id"), int) else None,
            "source": "ledger",
        }
        for e in events
    ]


def ledger_entries(object_type: str, object_id) -> list[dict]:
    return ledger_event_entries(
        LedgerEvent.objects.filter(object_type=object_type, object_id=str(object_id)).order_by("seq")
    )


def _simple_history_entries(history_qs) -> list[dict]:
    """Turn simple-history rows into entries with field-level diffs against the previous row."""
    entries = []
    previous = None
    model = history_qs.model.instance_type
    for row in history_qs.order_by("history_date", "history_id").select_related("history_user"):
        changes = {}
        if previous is not None:
            changes = {c.field: {"old": str(c.old), "new": str(c.new)} for c in row.diff_against(previous).changes}
        entries.append(
            {
                "at": row.history_date,
                "actor": row.history_user.username if row.history_user else None,
                "action": {"+": "created", "~": "changed", "-": "deleted"}[row.history_type],
                "summary": row.history_change_reason or "",
                "changes": changes,
                "revision_id": None,
                "source": "history",
                "model": model,
            }
        )
        previous = row
    return entries


def page_log_entries(page) -> list[dict]:
    """Wagtail's log of a page: creation, revisions, publishing, workflow actions, with revision ids."""
    return [
        {
            "at": log.timestamp,
            "actor": log.user.username if log.user else None,
            "action": log.action,
            "summary": str(log.message),
            "changes": log.data or {},
            "revision_id": log.revision_id,
            "source": "page_log",
        }
        for log in PageLogEntry.objects.filter(page=page).select_related("user")
    ]


def account_history(account: AccountPage) -> list[dict]:
    """Page log (with revision ids), lifecycle filings, credential metadata changes and ledger."""
    entries = page_log_entries(account)
    entries += [
        {
            "at": t.at,
            "actor": t.approver.username,
            "action": "account.transition",
            "summary": f"{t.from_status} → {t.to_status} ({t.filing_number}): {t.reason}",
            "changes": {"status": {"old": t.from_status, "new": t.to_status}},
            "revision_id": None,
            "source": "filing",
        }
        for t in account.transitions.select_related("approver")
    ]
    credential = getattr(account, "credential", None)
    if credential is not None:
        for entry in _simple_history_entries(credential.history.all()):
            entry["action"] = f"credential.{entry['action']}"
            entries.append(entry)
    entries += ledger_entries("accountpage", account.pk)
    return sorted(entries, key=lambda e: e["at"])


def agency_history(agency) -> list[dict]:
    """Page log (with revision ids) and the ledger events of an agency."""
    return sorted(page_log_entries(agency) + ledger_entries("agencypage", agency.pk), key=lambda e: e["at"])


def model_history(obj) -> list[dict]:
    """A model's simple-history rows (field-level diffs) and its ledger events, oldest first."""
    entries = _simple_history_entries(obj.history.all()) + ledger_entries(obj._meta.model_name, obj.pk)
    return sorted(entries, key=lambda e: e["at"])


def assignment_history(assignment: RoleAssignment) -> list[dict]:
    """Every saved state of the assignment (grant, window changes, revocation) and its ledger."""
    entries = _simple_history_entries(assignment.history.all())
    entries += ledger_entries("roleassignment", assignment.pk)
    return sorted(entries, key=lambda e: e["at"])


def _plain(value):
    """A field value as JSON holds it: dates as ISO text, the rest as it is (None stays None)."""
    return value.isoformat() if hasattr(value, "isoformat") else value


def revision_changes(page) -> dict:
    """`{field: {old, new}}` for the fields the page's own class declares (an account's unit,
    outsourcing, contract and agreement dates, responsible person …; not Wagtail's bookkeeping)
    whose value differs between its newest revision and the one before; empty without an
    earlier revision. The editor's `agency.changed` / `account.changed` events carry it, since
    Wagtail's page log records that a revision was saved but not what changed in it."""
    newest, previous = (list(page.revisions.order_by("-created_at", "-id")[:2]) + [None, None])[:2]
    if previous is None:
        return {}
    new, old = newest.as_object(), previous.as_object()
    changes = {}
    for field in type(page)._meta.get_fields(include_parents=False):
        if not getattr(field, "concrete", False) or field.auto_created or field.is_relation:
            continue
        before, after = _plain(getattr(old, field.attname)), _plain(getattr(new, field.attname))
        if before != after:
            changes[field.name] = {"old": before, "new": after}
    return changes
