"""The workspace's SVG charts: well-formed SVG, one bar per value, escaped labels, Chinese font
stack, histogram bins."""

import xml.etree.ElementTree as ET

import pytest

from oversight import charts

SVG = "{http://www.w3.org/2000/svg}"


def bars(svg: str) -> list:
    root = ET.fromstring(svg)  # raises on malformed markup
    assert root.tag == f"{SVG}svg"
    return [rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "bar"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [([], 0), ([("一", 3)], 1), ([(f"第{n}周", n) for n in range(12)], 12), ([("零", 0), ("负", -2)], 2)],
)
def test_one_bar_per_value(values, expected):
    svg = charts.bar_chart(values, title="每周发布量", unit="条")
    assert len(bars(svg)) == expected
    assert (
        "Noto Sans CJK SC" in svg
        and "<script" not in svg
        and "http://" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )


def test_heights_are_proportional_and_highlighted_from_threshold():
    svg = charts.bar_chart([("甲", 5), ("乙", 10), ("丙", 15)], title="未更新天数", highlight_from=14)
    rects = bars(svg)
    heights = [float(r.get("height")) for r in rects]
    assert heights[1] == pytest.approx(2 * heights[0], abs=0.2) and heights[2] == pytest.approx(3 * heights[0], abs=0.2)
    assert [r.get("fill") for r in rects] == [charts.BAR_COLOUR, charts.BAR_COLOUR, charts.HIGHLIGHT_COLOUR]


def test_labels_and_title_are_escaped():
    svg = charts.bar_chart([('<script>alert(1)</script>"', 1)], title="A & <b>")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    ET.fromstring(svg)


def test_long_labels_are_shortened_on_the_axis_only():
    name = "某某市某某区人民政府新闻办公室"
    svg = charts.bar_chart([(name, 2)], title="未更新天数")
    assert f"<title>{name}: 2</title>" in svg and ">某某市某某区人…</text>" in svg


def test_histogram_bins():
    bins = charts.histogram_bins([0, 59.5, 60, 95, 100, 105], (0, 60, 100, float("inf")))
    assert bins == [("0–60", 2), ("60–100", 2), ("≥100", 2)]
    assert len(bars(charts.bar_chart(bins, title="得分分布"))) == 3
