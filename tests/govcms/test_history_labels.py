"""Every action a history can show has a Chinese label in `govcms.history_labels`.

The ledger's actions are collected from the source with `ast` (nothing is imported to find them):
each `ledger.record(action=…)` call, and each call of a function that passes one of its parameters
on as that action (`_record("case.opened", …)`, `_assignment_commit(action="role.granted")`, …),
followed through wrappers of wrappers. An action given as a literal, a conditional of literals, a
local name bound to those, or an f-string over such names is read off directly; an f-string over
anything else is a pattern that must be listed in DYNAMIC with the keys it can produce, so a new
way of naming an action fails here until it is explained (and labelled).
"""

import ast
import itertools
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from wagtail.log_actions import registry

from govcms.history_labels import ACTION_LABELS, action_label

ROOT = Path(settings.BASE_DIR)
APPS = ("govcms", "editorial", "publishing", "inbox", "audit", "api", "sandbox", "oversight")
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
UNKNOWN = "{}"


def _dynamic() -> dict[str, set[str]]:
    """Patterns of actions built at run time → every key each can produce, from the code's own enums."""
    from inbox.delivery import KINDS
    from inbox.models import DeliveryStatus
    from oversight.models import FindingStatus
    from publishing.models import PublicationStatus

    return {
        # oversight.services.finding_decide: f"finding.{finding.status}" after a decision
        "finding.{}": {f"finding.{s}" for s in (FindingStatus.CONFIRMED, FindingStatus.DISMISSED)},
        # publishing.services._give_up: f"publication.{pub.status}" when it stops
        "publication.{}": {f"publication.{s}" for s in (PublicationStatus.UNKNOWN, PublicationStatus.FAILED)},
        # inbox.delivery._record(kind, action): "done", "retry" and the statuses _give_up stops at
        "inbox.{}_{}": {
            f"inbox.{kind}_{action}"
            for kind in KINDS
            for action in ("done", "retry", DeliveryStatus.UNKNOWN, DeliveryStatus.FAILED)
        },
        # govcms.wagtail_hooks: "<agency|account>.<created|changed|deleted>" for edits in the editor
        **{
            f"{{}}.{verb}": {f"{model}.{verb}" for model in ("agency", "account")}
            for verb in ("created", "changed", "deleted")
        },
    }


def _is_ledger_record(call: ast.Call) -> bool:
    f = call.func
    return (
        isinstance(f, ast.Attribute) and f.attr == "record" and isinstance(f.value, ast.Name) and f.value.id == "ledger"
    )


def _callee(call: ast.Call) -> str | None:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def _argument(call: ast.Call, position: int | None, name: str):
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    if position is not None and position < len(call.args):
        return call.args[position]
    return None


def _values(node, function) -> set[str]:
    """The strings `node` can be ("{}" for a part that cannot be read off the source)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _values(node.body, function) | _values(node.orelse, function)
    if isinstance(node, ast.JoinedStr):
        parts = [
            {part.value} if isinstance(part, ast.Constant) else _values(part.value, function) for part in node.values
        ]
        return {"".join(combo) for combo in itertools.product(*parts)}
    if isinstance(node, ast.Name) and function is not None:
        bound = set()
        for n in ast.walk(function):
            if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == node.id for t in n.targets):
                bound |= _values(n.value, function)
        return bound or {UNKNOWN}
    return {UNKNOWN}


def _parameters(function) -> tuple[list[str], list[str]]:
    return [a.arg for a in function.args.posonlyargs + function.args.args], [a.arg for a in function.args.kwonlyargs]


def emitted_actions() -> dict[str, set[str]]:
    """Every ledger action the source can record → where ("path:line")."""
    trees = {
        path: ast.parse(path.read_text())
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
    }
    functions = {path: [n for n in ast.walk(tree) if isinstance(n, FUNCTIONS)] for path, tree in trees.items()}
    wrappers: dict[tuple[Path, str], tuple[int | None, str]] = {}

    def spec(path, call):
        if _is_ledger_record(call):
            return (None, "action")
        name = _callee(call)
        if (path, name) in wrappers:
            return wrappers[(path, name)]
        public = [s for (p, n), s in wrappers.items() if n == name and not n.startswith("_")]
        return public[0] if public else None

    grown = True
    while grown:  # wrappers of wrappers
        grown = False
        for path, fns in functions.items():
            for function in fns:
                positional, keyword_only = _parameters(function)
                for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
                    found = spec(path, call)
                    arg = found and _argument(call, *found)
                    if (
                        isinstance(arg, ast.Name)
                        and arg.id in positional + keyword_only
                        and (path, function.name) not in wrappers
                    ):
                        position = positional.index(arg.id) if arg.id in positional else None
                        wrappers[(path, function.name)] = (position, arg.id)
                        grown = True

    actions: dict[str, set[str]] = {}
    for path, tree in trees.items():
        enclosing = {}
        for function in functions[path]:  # outer before inner (ast.walk is breadth-first): innermost wins
            for n in ast.walk(function):
                enclosing[n] = function
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            found = spec(path, call)
            if found is None:
                continue
            arg = _argument(call, *found)
            function = enclosing.get(call)
            if arg is None:
                continue
            if isinstance(arg, ast.Name) and function is not None and arg.id in sum(_parameters(function), []):
                continue  # a wrapper handing its parameter on: its callers name the action
            for value in _values(arg, function):
                actions.setdefault(value, set()).add(f"{path.relative_to(ROOT)}:{call.lineno}")
    return actions


@pytest.fixture(scope="module")
def actions():
    return emitted_actions()


def test_the_scan_finds_the_ledger_actions_of_each_app(actions):
    # The scan itself could silently find nothing: these are recorded through each kind of call.
    for known in ("role.granted", "case.opened", "post.approved", "inbox.assigned", "finding.{}", "auth.login"):
        assert known in actions, known
    assert len(actions) > 90


def test_every_action_the_code_records_has_a_chinese_label(actions):
    dynamic = _dynamic()
    patterns = {key for key in actions if UNKNOWN in key}
    assert patterns == set(dynamic), f"explain these actions in DYNAMIC: {patterns - set(dynamic)}"
    keys = {key for key in actions if UNKNOWN not in key} | set().union(*dynamic.values())
    missing = sorted(key for key in keys if key not in ACTION_LABELS)
    assert missing == [], {key: sorted(actions.get(key, ["(dynamic)"])) for key in missing}


def test_every_wagtail_log_action_and_history_layer_action_has_a_label():
    wagtail = {action for action, _label in registry.get_choices()}
    layers = {"created", "changed", "deleted", "account.transition"}
    layers |= {f"credential.{verb}" for verb in ("created", "changed", "deleted")}
    layers |= {f"check.{trigger}" for trigger in ("save", "submit", "api", "override")}  # post_check triggers
    assert sorted((wagtail | layers) - set(ACTION_LABELS)) == []


def test_labels_follow_the_request_language():
    with translation.override("zh-hans"):
        assert action_label("case.opened") == "立案问责"
        assert action_label("wagtail.workflow.start") == "启动审核流程"
    with translation.override("en"):
        assert action_label("case.opened") == "Case opened"
    assert action_label("no.such_action") == "no.such_action"  # shown as it is, never hidden
