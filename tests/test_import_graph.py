"""No import cycle inside a first-party app: each module reads on its own, dependencies point one way.

The graph is built from the source with `ast` (nothing is imported). An edge a → b means module a
imports module b of the same app; `from . import x` counts as importing the submodule x when
there is one, else the package. Imports under `if TYPE_CHECKING:` never run and do not count.

Two graphs are checked:
- module-level imports only: no cycle at all (what runs when a module is loaded);
- every import, those inside functions too: no cycle but through the deferred imports listed in
  DEFERRED, each with the reason it exists. An import inside a function is how Django code defers
  legitimately, but it also hides a cycle from a reader; a new one must be listed here, or better,
  the shared piece moved into a module of its own.
"""

import ast
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APPS = ("govcms", "editorial", "publishing", "inbox", "audit", "api", "sandbox", "oversight")

# Deferred imports that may close a cycle, (importer, imported): why each stays.
DEFERRED = {
    # ReviewTask is Wagtail's Task API: Wagtail calls get_actions / on_action /
    # get_task_states_user_can_moderate on the model, so these methods are entry points that hand
    # over to the review chains, the review service and the review queue, all built on the models.
    ("editorial.models", "editorial.chains"): "ReviewTask.get_actions → chains.task_actions",
    ("editorial.models", "editorial.services"): "ReviewTask.on_action → services.review_act",
    ("editorial.models", "editorial.selectors"): "ReviewTask.get_task_states_user_can_moderate",
    # A service enqueues its Celery task (after commit); the task runs the service.
    ("publishing.services", "publishing.tasks"): "publication_queue / retry enqueue publish_publication",
    ("inbox.delivery", "inbox.tasks"): "an approved reply or moderation enqueues inbox.tasks.deliver",
    ("oversight.exports", "oversight.tasks"): "export_request enqueues export_build after the commit",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
    }


FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(body: list[ast.stmt], *, deferred: bool):
    """Import statements of a body: module level (through if/try/with blocks and class bodies),
    and with `deferred` also those inside functions."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _imports(node.body, deferred=deferred)
            yield from _imports(node.orelse, deferred=deferred)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                yield from _imports(block, deferred=deferred)
        elif isinstance(node, ast.With | ast.ClassDef) or (deferred and isinstance(node, FUNCTIONS)):
            # A class body runs when the module loads; a function body only when called.
            yield from _imports(node.body, deferred=deferred)


def import_graph(*, deferred: bool) -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = set()
        for node in _imports(ast.parse(path.read_text(encoding="utf-8")).body, deferred=deferred):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name and target.split(".")[0] == name.split(".")[0]:
                    edges.add(target)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_graph_sees_imports():
    """The parser finds what it must (else the cycle checks would pass on an empty graph)."""
    graph = import_graph(deferred=True)
    assert "govcms.models" in graph["govcms.selectors"]
    assert "editorial.models" in graph["editorial.forms"]
    assert "govcms.admin.base" in graph["govcms.admin.assignments"]
    assert "editorial.services" in graph["editorial.models"], "a deferred import counts when deferred=True"
    assert "editorial.services" not in import_graph(deferred=False)["editorial.models"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_level_import_cycle_inside_an_app():
    assert cycles(import_graph(deferred=False)) == []


@pytest.mark.parametrize("deferred_edge", sorted(DEFERRED))
def test_each_listed_deferred_import_exists(deferred_edge):
    """The list holds only imports the code still makes (so it cannot grow stale)."""
    importer, imported = deferred_edge
    assert imported in import_graph(deferred=True)[importer]


def test_deferred_imports_close_no_cycle_but_the_listed_ones():
    graph = import_graph(deferred=True)
    for importer, imported in DEFERRED:
        graph[importer].discard(imported)
    assert cycles(graph) == []
