"""Audit endpoints: ledger events (jurisdiction-scoped), chain verification and anchors, object history."""

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from audit import ledger
from audit.models import LedgerEvent
from editorial.history import post_history
from editorial.selectors import campaigns_visible_to, posts_visible_to
from govcms import history, policy, selectors
from govcms.capabilities import require
from govcms.history_labels import action_label
from inbox.selectors import items_visible_to
from inbox.timeline import item_history
from oversight import policy as oversight_policy
from oversight.cases import cases_visible_to

from .errors import ApiError
from .pagination import page
from .schemas import AnchorOut, HistoryEntry, Id, Moment, Text, VerifyOut

router = Router(tags=["audit"])


class EventFilter(Schema):
    since: Moment | None = None
    until: Moment | None = None
    actor: Text | None = None
    action: Text | None = None
    object_type: Text | None = None
    object_id: Text | None = None


def event_out(e: LedgerEvent) -> dict:
    return {
        "seq": e.seq,
        "at": e.at,
        "actor": e.actor or None,
        "ip": e.ip,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "data": e.data,
        "hash": e.hash,
        "prev_hash": e.prev_hash,
    }


@router.get("/audit/events", summary="Ledger events in the caller's jurisdiction")
def audit_events(request, filters: Query[EventFilter]):
    require(policy.may_read_ledger(request.auth))
    paths = policy.ledger_paths(request.auth)
    # Page events under the caller's subtrees, and events about people working there (logins,
    # logouts, failed logins, tokens). Events without a scope (user creation, logins of people with
    # no assignment in force) belong to no jurisdiction: system admins only.
    qs = LedgerEvent.objects.filter(ledger.scope_q(paths))
    if paths != [""]:
        qs = qs.exclude(scope="")
    for field, lookup in (
        ("since", "at__gte"),
        ("until", "at__lt"),
        ("actor", "actor"),
        ("action", "action"),
        ("object_type", "object_type"),
        ("object_id", "object_id"),
    ):
        value = getattr(filters, field)
        if value is not None:
            qs = qs.filter(**{lookup: value})
    return page(request, qs.order_by("seq"), event_out)


@router.get("/audit/verify", response=VerifyOut, summary="Recompute the keyed chain and check it against the anchors")
def audit_verify(request):
    require(policy.may_verify_ledger(request.auth))
    result = ledger.verify()
    return {
        "ok": result.ok,
        "events_checked": result.events_checked,
        "first_bad_seq": result.first_bad_seq,
        "anchors_checked": result.anchors_checked,
        "problems": [{"kind": p.kind, "seq": p.seq, "day": p.day} for p in result.problems],
    }


@router.get("/audit/anchors", response=list[AnchorOut], summary="The sealed daily heads of the ledger")
def audit_anchors(request):
    """Every sealed anchor, oldest first, for auditors and system admins.

    The ledger is one chain for the whole installation, so its anchors are global: an auditor of
    any jurisdiction sees all of them (a day, a position in the chain, a count and a hash reveal
    no event's content or jurisdiction) and can check the chain they verify against them.
    """
    require(policy.may_verify_ledger(request.auth))
    return [anchor.as_dict() for anchor in ledger.anchors()]


# object_type → (what the caller sees, the timeline, and where seeing is not enough, the policy
# that reads the object: a case is visible to the account's staff, readable by its parties).
HISTORY_PROVIDERS = {
    "account": (selectors.accounts_visible_to, history.account_history, None),
    "agency": (selectors.agencies_visible_to, history.agency_history, None),
    "membership": (selectors.assignments_visible_to, history.assignment_history, None),
    "post": (posts_visible_to, post_history, None),
    "campaign": (campaigns_visible_to, history.model_history, None),
    "inboxitem": (items_visible_to, item_history, None),
    "case": (cases_visible_to, history.model_history, oversight_policy.may_read_case),
}


@router.get("/history/{object_type}/{object_id}", response=list[HistoryEntry], summary="One object's whole timeline")
def object_history(request, object_type: Text, object_id: Id):
    if object_type not in HISTORY_PROVIDERS:
        raise ApiError(404, "not_found", _("未知的对象类型"), {"known": sorted(HISTORY_PROVIDERS)})
    visible, timeline, may_read = HISTORY_PROVIDERS[object_type]
    obj = selectors.access_object(visible(request.auth), object_id)
    if may_read is not None:
        require(may_read(request.auth, obj))
    return [{**entry, "label": action_label(entry["action"])} for entry in timeline(obj)]
