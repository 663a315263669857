"""The browser suite's page-load report, xdist-proof: each browser test writes its loads to
test-artefacts/browser/loads/<test>.json (from whichever process ran it); the process that prints
the run's summary (the xdist controller, or the only process) clears that folder when the session
starts and, at the end, writes page-loads.json (median and p90 per flow, cold and warm, the screens
whose warm p90 is above the budget, and every load) and prints it. The hooks are registered by
tests/conftest.py, which every process loads.
"""

import json
import logging
import shutil
import statistics
from pathlib import Path

logger = logging.getLogger(__name__)

# The budget a warm load of any screen keeps to (p90); the summary names the screens above it.
WARM_P90_BUDGET_MS = 1000
ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "test-artefacts" / "browser"
LOADS_DIR = ARTEFACTS / "loads"


def save_loads(test_name: str, loads: list[dict]) -> None:
    """One test's page loads: dicts of flow, screen, step, kind ("cold" | "warm") and ms."""
    LOADS_DIR.mkdir(parents=True, exist_ok=True)
    (LOADS_DIR / f"{test_name}.json").write_text(json.dumps(loads, ensure_ascii=False, indent=1) + "\n")


def _stats(values) -> dict | None:
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    p90 = values[min(len(values) - 1, round(0.9 * (len(values) - 1)))]
    return {"n": len(values), "median_ms": round(statistics.median(values)), "p90_ms": round(p90)}


def summarise(loads: list[dict]) -> dict:
    """Median and p90 of the load times per flow and over all flows, cold and warm apart."""
    kinds = ("cold", "warm")
    result = {
        flow: {kind: _stats(x["ms"] for x in loads if x["flow"] == flow and x["kind"] == kind) for kind in kinds}
        for flow in sorted({x["flow"] for x in loads})
    }
    result["all"] = {kind: _stats(x["ms"] for x in loads if x["kind"] == kind) for kind in kinds}
    return result


def over_budget(loads: list[dict]) -> dict:
    """Screens whose warm loads' p90 exceeds WARM_P90_BUDGET_MS: {screen: stats, with the server's
    p90 (request sent to first byte) beside the whole load's, to tell server from browser time}."""
    found = {}
    for screen in sorted({x["screen"] for x in loads if x["kind"] == "warm"}):
        warm = [x for x in loads if x["screen"] == screen and x["kind"] == "warm"]
        stats = _stats(x["ms"] for x in warm)
        if stats and stats["p90_ms"] > WARM_P90_BUDGET_MS:
            server = _stats(x.get("server_ms") for x in warm)
            found[screen] = {**stats, "server_p90_ms": server and server["p90_ms"]}
    return found


def _reporter(config) -> bool:
    return not hasattr(config, "workerinput")  # an xdist worker reports through the controller


def pytest_sessionstart(session):
    if _reporter(session.config):
        shutil.rmtree(LOADS_DIR, ignore_errors=True)


def pytest_terminal_summary(terminalreporter, config):
    if not _reporter(config) or not LOADS_DIR.is_dir():
        return
    loads = [load for path in sorted(LOADS_DIR.glob("*.json")) for load in json.loads(path.read_text())]
    if not loads:
        return
    summary = summarise(loads)
    slow = over_budget(loads)
    document = {"summary": summary, "over_budget": slow, "loads": loads}
    (ARTEFACTS / "page-loads.json").write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n")
    terminalreporter.write_sep("-", "browser page loads (ms; navigation timing to the load event)")
    terminalreporter.write_line(f"(all loads: {ARTEFACTS.relative_to(ROOT)}/page-loads.json)")
    for flow, kinds in summary.items():
        line = "  ".join(
            f"{kind} n={s['n']} median={s['median_ms']} p90={s['p90_ms']}" for kind, s in kinds.items() if s
        )
        terminalreporter.write_line(f"{flow:14} {line}")
    terminalreporter.write_line(f"screens above {WARM_P90_BUDGET_MS} ms p90 warm: {len(slow) or 'none'}")
    for screen, s in slow.items():
        terminalreporter.write_line(
            f"  {screen}  warm n={s['n']} median={s['median_ms']} p90={s['p90_ms']} server p90={s['server_p90_ms']}"
        )
