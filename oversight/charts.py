"""Server-side charts of the auditor workspace: bar charts and histograms drawn as inline SVG.

Pure functions of their arguments and the active language (no database, no settings): they return the SVG markup as a
string, every label and title escaped, so a view may mark it safe as is. No script, no external
font or stylesheet: the admin shows the chart offline, and Chinese labels use the font stack
below (Noto Sans CJK SC first, as installed on the servers; the desktop fonts otherwise).
"""

import logging
import math
from collections.abc import Sequence
from html import escape

from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

FONT_FAMILY = "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif"
BAR_COLOUR = "#2e6da4"
HIGHLIGHT_COLOUR = "#cd4444"
LABEL_CHARS = 8


def _number(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


def _short(label: str) -> str:
    """An axis label cut to LABEL_CHARS characters (the bar's tooltip keeps the whole label)."""
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'font-family="{escape(FONT_FAMILY)}" font-size="12">'
        f"<title>{escape(title)}</title>"
        f'<text x="8" y="18" font-size="14" font-weight="bold">{escape(title)}</text>' + "".join(body) + "</svg>"
    )


def bar_chart(
    bars: Sequence[tuple[str, float]],
    *,
    title: str,
    unit: str = "",
    highlight_from: float | None = None,
    width: int = 640,
    height: int = 260,
) -> str:
    """Vertical bars, one per (label, value) in order, each with its value above it; bars whose
    value reaches `highlight_from` are drawn red. Negative values count as 0. An empty
    sequence gives a chart with no bar (and a note saying there is no data). Axis labels longer
    than LABEL_CHARS are shortened; each bar's tooltip has the whole label and value."""
    top, bottom, left, right = 32, 64, 80, 8  # room for the slanted labels under the first bars
    plot_w, plot_h = width - left - right, height - top - bottom
    body = [f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#888"/>']
    if not bars:
        body.append(f'<text x="{left + 8}" y="{top + plot_h / 2:.1f}" fill="#666">{escape(_("暂无数据"))}</text>')
        return _svg(width, height, title, body)
    peak = max(max(v for _, v in bars), 0) or 1
    slot = plot_w / len(bars)
    bar_w = max(slot * 0.7, 1)
    for index, (label, value) in enumerate(bars):
        value = max(value, 0)
        bar_h = plot_h * value / peak
        x = left + index * slot + (slot - bar_w) / 2
        y = top + plot_h - bar_h
        colour = HIGHLIGHT_COLOUR if highlight_from is not None and value >= highlight_from else BAR_COLOUR
        centre = x + bar_w / 2
        body.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{bar_h:.1f}" fill="{colour}">'
            f"<title>{escape(label)}: {_number(value)}{escape(unit)}</title></rect>"
            f'<text x="{centre:.1f}" y="{y - 3:.1f}" text-anchor="middle">{_number(value)}</text>'
            f'<text x="{centre:.1f}" y="{top + plot_h + 16}" text-anchor="end" '
            f'transform="rotate(-30 {centre:.1f} {top + plot_h + 16})">{escape(_short(label))}</text>'
        )
    body.append(f'<text x="4" y="{top + 10}" fill="#666">{escape(unit)}</text>')
    return _svg(width, height, title, body)


def histogram_bins(values: Sequence[float], edges: Sequence[float]) -> list[tuple[str, int]]:
    """Counts of `values` in [edges[i], edges[i+1]) for each consecutive pair (the last bin also
    takes its upper edge), labelled "a–b"; values outside every bin are not counted. An infinite
    last edge is labelled "≥a"."""
    bins = []
    last = len(edges) - 2
    for index, (low, high) in enumerate(zip(edges, edges[1:], strict=False)):
        count = sum(1 for v in values if low <= v < high or (index == last and v == high))
        label = f"≥{_number(low)}" if math.isinf(high) else f"{_number(low)}–{_number(high)}"
        bins.append((label, count))
    return bins
