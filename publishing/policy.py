"""Who may act on publications: retry a failed one, confirm an unknown one absent, authorise an
account on the platform. Pure answers on the capability table (`govcms.capabilities`) and the
actor's assignments in force at `at`: None when allowed, else a `Refusal`."""

import logging
from datetime import datetime

from django.utils.translation import gettext as _

from govcms import capabilities as caps
from govcms import policy as org_policy
from govcms.capabilities import Refusal, check

logger = logging.getLogger(__name__)


def may_retry(actor, pub, *, confirmed_absent: bool = False, at: datetime | None = None) -> Refusal | None:
    """Queue a failed publication again (`publication.retry`); an unknown one once confirmed absent
    on the platform (`publication.confirm_absent`)."""
    capability = "publication.confirm_absent" if confirmed_absent else "publication.retry"
    return check(actor, capability, pub.account.path, obj=pub, at=at, message=_("当前岗位无权重试发布"))


def may_authorise_account(actor, account, *, at: datetime | None = None) -> Refusal | None:
    """Start the platform's authorisation of an account (Weibo OAuth): its agency admins."""
    return org_policy.may_manage_account(actor, account, at=at)


def may_run_pipeline(actor, *, at: datetime | None = None) -> Refusal | None:
    """Advance or withdraw a publication on the platform: the system's work (`system.upkeep`)."""
    return check(actor, "system.upkeep", None, at=at)


def problem_notified_roles() -> set[str]:
    """Who is told when a publication needs a person: those who manage the account."""
    return caps.roles_with("account.manage") - {caps.GLOBAL_ROLE}
