"""Review chains (审核流程) as Wagtail workflows of ReviewTask steps.

A chain is configured on an agency or an account (WorkflowPage); the nearest one up the tree
applies, and the default chain (reviewer → signer) is assigned to the tree root. Crisis
campaigns use a one-step chain by a signer. Who may act on a step is decided here, once, for
the admin (Wagtail re-checks posted actions against `get_actions`) and the API alike.
"""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.models import Page, Workflow, WorkflowPage, WorkflowTask

from audit import ledger
from govcms import capabilities as caps
from govcms.capabilities import Refusal, require
from govcms.errors import ServiceError
from govcms.models import AgencyPage, Role

from . import policy
from .models import ReviewStep, ReviewTask

DEFAULT_CHAIN = list(zip(("初审", "签发"), caps.DEFAULT_CHAIN_ROLES, strict=True))
CRISIS_CHAIN_NAME = "突发舆情快速通道（签发）"
# Where an overdue step escalates to (the next role up) and the seniority of the step roles:
# both declared with the capability table.
ESCALATION = caps.ESCALATION
STEP_ROLE_RANK = caps.STEP_ROLE_RANK
__all__ = ["ESCALATION", "STEP_ROLE_RANK", "Refusal", "refusal"]


def review_task(name: str, role: str) -> ReviewTask:
    """The (shared, reusable) step named `name` approved by `role`."""
    task = ReviewTask.objects.filter(name=name, role=role, active=True).first()
    return task or ReviewTask.objects.create(name=name, role=role)


def workflow_for_steps(name: str, steps: list[tuple[str, str]]) -> Workflow:
    workflow = Workflow.objects.create(name=name, active=True)
    for order, (step_name, role) in enumerate(steps):
        WorkflowTask.objects.create(workflow=workflow, task=review_task(step_name, role), sort_order=order)
    return workflow


def ensure_default_chain() -> Workflow | None:
    """Assign the default chain to the tree root (idempotent).

    Wagtail's own install assigns a "Moderators approval" group workflow there; govcms replaces it,
    since approvers are resolved by role on the post's account, never by a static group.
    """
    root = Page.get_first_root_node()
    if root is None:  # an emptied database (a test flush): there is no tree to assign to
        return None
    assigned = WorkflowPage.objects.filter(page=root).select_related("workflow").first()
    if assigned and ReviewTask.objects.filter(workflow_tasks__workflow=assigned.workflow).exists():
        return assigned.workflow
    workflow = workflow_for_steps(_("默认审核流程（初审→签发）"), DEFAULT_CHAIN)
    if assigned:
        assigned.workflow.deactivate()
    WorkflowPage.objects.update_or_create(page=root, defaults={"workflow": workflow})
    return workflow


def crisis_workflow() -> Workflow:
    """The one-step fast-track chain used by crisis campaigns (created on first use)."""
    workflow = Workflow.objects.filter(name=CRISIS_CHAIN_NAME, active=True).first()
    return workflow or workflow_for_steps(CRISIS_CHAIN_NAME, [("快速签发", caps.CRISIS_CHAIN_ROLE)])


def chain_steps(workflow: Workflow) -> list[dict]:
    tasks = ReviewTask.objects.filter(workflow_tasks__workflow=workflow).order_by("workflow_tasks__sort_order")
    return [{"name": t.name, "role": t.role} for t in tasks]


def chain_for(page: Page) -> tuple[Workflow | None, Page | None]:
    """The chain that applies at `page` and the page it is configured on (nearest up the tree)."""
    ancestors = page.get_ancestors(inclusive=True).values_list("pk", flat=True)
    assigned = (
        WorkflowPage.objects.filter(page_id__in=list(ancestors), workflow__active=True)
        .select_related("workflow", "page")
        .order_by("-page__depth")
        .first()
    )
    return (assigned.workflow, assigned.page) if assigned else (None, None)


def chain_minimum(page: Page) -> tuple[str, dict]:
    """(key, rule) of GOVCMS_REVIEW_CHAIN_MINIMUM that applies at `page`: the entry of the nearest
    agency up the tree (by region code) that has one, else "default"."""
    minimums = settings.GOVCMS_REVIEW_CHAIN_MINIMUM
    ancestor_paths = [page.path[:i] for i in range(page.steplen, len(page.path) + 1, page.steplen)]
    codes = AgencyPage.objects.filter(path__in=ancestor_paths).order_by("-depth").values_list("region_code", flat=True)
    key = next((code for code in codes if code in minimums), "default")
    return key, minimums[key]


def _refuse_below_minimum(page: Page, steps: list[tuple[str, str]]) -> None:
    key, rule = chain_minimum(page)
    last_rank = STEP_ROLE_RANK.get(steps[-1][1], 0) if steps else 0
    if len(steps) < rule["steps"] or last_rank < STEP_ROLE_RANK[rule["last_role"]]:
        raise ServiceError(
            "chain_below_minimum",
            _("审核流程低于本辖区的最低要求：至少 %(steps)s 步，最后一步至少为“%(role)s”")
            % {"steps": rule["steps"], "role": Role(rule["last_role"]).label},
            status=422,
            details={"min_steps": rule["steps"], "last_role": rule["last_role"], "rule": key},
        )


@transaction.atomic
def chain_set(*, actor, page: Page, steps: list[tuple[str, str]], name: str) -> Workflow:
    """Configure the chain of `page` (an agency or account). In-flight reviews keep their chain.

    ServiceError(422, chain_below_minimum) when the chain is shorter than the jurisdiction's
    minimum or its last step's role is junior to the minimum's (`chain_minimum`)."""
    require(policy.may_configure_chain(actor, page))
    _refuse_below_minimum(page, steps)
    workflow = workflow_for_steps(name, steps)
    WorkflowPage.objects.update_or_create(page=page, defaults={"workflow": workflow})
    ledger.record(
        action="review_chain.set",
        actor=actor,
        object_type=page.specific_class._meta.model_name,
        object_id=page.pk,
        data={"name": name, "steps": [{"name": n, "role": r} for n, r in steps]},
        scope=page.path,
    )
    return workflow


def refusal(*, step: ReviewStep | None, user) -> Refusal | None:
    """None if `user` may approve or reject this item now; otherwise why not
    (`editorial.policy.may_decide`)."""
    return policy.may_decide(user, step)


def task_actions(*, task: ReviewTask, obj, user) -> list[tuple[str, str, bool]]:
    """The Wagtail admin's action list for `user` on the current step of `obj` (empty if refused).

    Worked out once per task and user on a post the editor's GET marked for it
    (`_govcms_task_actions`, see editorial.wagtail_hooks): its panels, lock checks and action
    menu each ask again within the one request."""
    memo = getattr(obj, "_govcms_task_actions", None)
    key = (task.pk, getattr(user, "pk", None))
    if memo is not None and key in memo:
        return memo[key]
    actions = []
    state = getattr(obj, "current_workflow_task_state", None)
    if state is not None and state.task_id == task.pk:
        step = ReviewStep.objects.filter(task_state=state).select_related("task_state").first()
        if refusal(step=step, user=user) is None:
            actions = [
                ("reject", _("退回修改"), True),
                ("approve", _("通过"), False),
                ("approve", _("通过并附意见"), True),
            ]
    if memo is not None:
        memo[key] = actions
    return actions
