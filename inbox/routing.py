"""Routing of new inbox items (分办): per-account rules send an item to an agency of the account's
jurisdiction and optionally to a person; the rules themselves, edited by agency admins.

A *jurisdiction* (属地) is the territory of a government: the deepest agency on a node's path that
is not a department (province, city, county or township). A county's departments (level
"department") belong to the county's jurisdiction. Rules may only send items inside the
account's jurisdiction; moving an item out of it is a transfer the receiving side accepts
(`inbox.moves`).

`route` is applied when an item is stored (comment collection, WeChat message, manual entry):
the first active rule by priority (then id) whose conditions all hold wins; with none, the item
stays with the account's own agency.
"""

import logging
from dataclasses import dataclass

from django.db import models, transaction
from django.utils.translation import gettext as _

from audit import ledger
from govcms.capabilities import require
from govcms.models import AccountPage, AgencyPage, Level
from govcms.services import ServiceError

from . import policy
from .models import RoutingRule
from .text import sanitize_text

logger = logging.getLogger(__name__)

NAME_LIMIT = 100
KEYWORDS_LIMIT = 2000


def _ancestor_paths(path: str) -> list[str]:
    steplen = AgencyPage.steplen
    return [path[:i] for i in range(steplen, len(path) + 1, steplen)]


def jurisdiction_of(path: str) -> AgencyPage | None:
    """The territorial agency (not a department) deepest on `path`: the jurisdiction of the
    agency or account there. One query."""
    return (
        AgencyPage.objects.filter(path__in=_ancestor_paths(path))
        .exclude(level=Level.DEPARTMENT)
        .order_by("-depth")
        .first()
    )


def same_jurisdiction(path: str, other: str) -> bool:
    """Whether the nodes at `path` and `other` lie in the same jurisdiction."""
    mine, theirs = jurisdiction_of(path), jurisdiction_of(other)
    return mine is not None and theirs is not None and mine.pk == theirs.pk


def account_agency(account: AccountPage) -> AgencyPage | None:
    """The agency owning `account` (its parent page)."""
    return AgencyPage.objects.filter(path=account.path[: -account.steplen]).first()


def agencies_of_jurisdiction(account: AccountPage):
    """The agencies a rule of `account` may send items to: its jurisdiction's subtree less the
    other jurisdictions nested in it (townships keep theirs)."""
    return _agencies_under(jurisdiction_of(account.path))


def transfer_targets(item):
    """The agencies `item` may be transferred to (转办): every agency of the jurisdiction it is
    handled in (moved at once), and the territorial agencies — governments, not their
    departments — of the other jurisdictions (their admin accepts, then routes inside). That is
    the public directory of governments a handler needs to pick the receiving one; another
    jurisdiction's departments are neither offered nor accepted (refused as unknown agencies),
    so nobody browses another jurisdiction's organisation through the transfer form."""
    here = item.agency.path if item.agency_id else item.account.path
    own = _agencies_under(jurisdiction_of(here)).values("pk")
    return AgencyPage.objects.filter(models.Q(pk__in=own) | ~models.Q(level=Level.DEPARTMENT)).order_by("path")


def _agencies_under(home: AgencyPage | None):
    if home is None:
        return AgencyPage.objects.none()
    nested = AgencyPage.objects.filter(path__startswith=home.path, depth__gt=home.depth).exclude(level=Level.DEPARTMENT)
    qs = AgencyPage.objects.filter(path__startswith=home.path)
    for inner in nested.values_list("path", flat=True):
        qs = qs.exclude(path__startswith=inner)
    return qs.order_by("path")


# --- matching -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """Where a new item goes: the fields it is stored with."""

    agency: AgencyPage | None
    assignee: object = None
    rule: RoutingRule | None = None

    def fields(self) -> dict:
        return {"agency": self.agency, "assignee": self.assignee, "routing_rule": self.rule}


class Router:
    """The routing of one account, loaded once (rules, their agencies and people, the account's
    agency) and asked for each item of a unit of work (a collection run, a message)."""

    def __init__(self, account: AccountPage):
        self.account = account
        self.rules = list(
            RoutingRule.objects.filter(account=account, active=True)
            .select_related("agency", "assignee")
            .order_by("priority", "id")
        )
        self.default = account_agency(account)
        self._campaigns: dict[int, int | None] = {}

    def _campaign_of(self, post_id: int | None) -> int | None:
        if post_id is None or not any(r.campaign_id for r in self.rules):
            return None
        if post_id not in self._campaigns:
            from editorial.models import POST_MODELS

            found = None
            for model in POST_MODELS:
                found = model.objects.filter(pk=post_id).values_list("campaign_id", flat=True).first() or found
            self._campaigns[post_id] = found
        return self._campaigns[post_id]

    @staticmethod
    def matches(rule: RoutingRule, *, text: str, post_id: int | None, campaign_id: int | None) -> bool:
        """All of the rule's conditions hold (an empty condition always does)."""
        keywords = rule.keyword_list()
        folded = text.casefold()
        if keywords and not any(k.casefold() in folded for k in keywords):
            return False
        if rule.post_id is not None and rule.post_id != post_id:
            return False
        return rule.campaign_id is None or rule.campaign_id == campaign_id

    def route(self, *, text: str, publication=None) -> Route:
        """The first matching rule's agency and person (a person who can no longer handle that
        agency's items is left out, the agency kept); else the account's agency."""
        post_id = publication.post_id if publication is not None else None
        campaign_id = self._campaign_of(post_id)
        for rule in self.rules:
            if self.matches(rule, text=text, post_id=post_id, campaign_id=campaign_id):
                assignee = rule.assignee
                if assignee is not None and not policy.may_be_assigned(assignee, rule.agency):
                    logger.info("routing rule %s: assignee %s can no longer handle items", rule.pk, assignee.pk)
                    assignee = None
                return Route(rule.agency, assignee, rule)
        return Route(self.default)


# --- the rules ------------------------------------------------------------------------------------


def _clean_rule(account: AccountPage, fields: dict) -> dict:

    name, _cut = sanitize_text(fields.get("name"))
    if not name or len(name) > NAME_LIMIT:
        raise ServiceError(
            "invalid_name", _("规则名称不能为空，且不能超过 %(limit)s 个字符") % {"limit": NAME_LIMIT}, status=422
        )
    keywords, cut = sanitize_text(fields.get("keywords"))
    if cut or len(keywords) > KEYWORDS_LIMIT:
        raise ServiceError(
            "invalid_keywords", _("关键词不能超过 %(limit)s 个字符") % {"limit": KEYWORDS_LIMIT}, status=422
        )
    agency = fields.get("agency")
    if agency is None or not agencies_of_jurisdiction(account).filter(pk=agency.pk).exists():
        raise ServiceError("agency_outside", _("承办单位必须在账号所在辖区内"), status=422)
    assignee = fields.get("assignee")
    if assignee is not None and not policy.may_be_assigned(assignee, agency):
        raise ServiceError("unknown_user", _("用户不存在或不能办理该单位的互动事项"), status=422)
    post, campaign = fields.get("post"), fields.get("campaign")
    if post is not None and not post.path.startswith(account.path):
        raise ServiceError("post_outside", _("来源内容必须是该账号的内容"), status=422)
    priority = fields.get("priority", 100)
    if not isinstance(priority, int) or not 0 <= priority <= 100000:
        raise ServiceError("invalid_priority", _("优先级必须是 0 到 100000 之间的整数"), status=422)
    return {
        "name": name,
        "keywords": keywords,
        "agency": agency,
        "assignee": assignee,
        "post": post,
        "campaign": campaign,
        "priority": priority,
        "active": bool(fields.get("active", True)),
    }


def _rule_data(rule: RoutingRule) -> dict:
    return {
        "account_id": rule.account_id,
        "name": rule.name,
        "priority": rule.priority,
        "keywords": rule.keyword_list(),
        "post_id": rule.post_id,
        "campaign_id": rule.campaign_id,
        "agency_id": rule.agency_id,
        "assignee": rule.assignee.username if rule.assignee_id else None,
        "active": rule.active,
    }


def rule_save(*, actor, account: AccountPage, rule: RoutingRule | None = None, **fields) -> RoutingRule:
    """Create (rule None) or change a routing rule of `account` (`inbox.manage` on it). The agency
    must lie in the account's jurisdiction, the person able to handle its items, the source post
    the account's own (422 otherwise)."""
    require(policy.may_configure(actor, account))
    if rule is not None and rule.account_id != account.pk:
        raise ServiceError("not_found", _("未找到"), status=404)
    clean = _clean_rule(account, fields)
    with transaction.atomic():
        created = rule is None
        rule = rule or RoutingRule(account=account)
        for key, value in clean.items():
            setattr(rule, key, value)
        rule.save()
        ledger.record(
            action="inbox.rule_created" if created else "inbox.rule_changed",
            actor=actor,
            obj=rule,
            data=_rule_data(rule),
            scope=account.path,
        )
    return rule


def rule_delete(*, actor, rule: RoutingRule) -> None:
    """Delete a routing rule (`inbox.manage` on its account); items it routed keep their agency."""
    require(policy.may_configure(actor, rule.account))
    with transaction.atomic():
        data = _rule_data(rule)
        pk = rule.pk
        rule.delete()
        ledger.record(
            action="inbox.rule_deleted",
            actor=actor,
            object_type="routingrule",
            object_id=pk,
            data=data,
            scope=rule.account.path,
        )
