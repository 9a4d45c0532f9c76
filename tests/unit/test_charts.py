"""Server-drawn SVG charts: well-formed, named images whose bars and points stand where the
numbers say, whose text cannot break out of the markup, and which say so when there is
nothing to draw. Parsed back with xml.etree, as any XML reader would."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from chalicelib.web.charts import bar_chart, line_chart, nice_step

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = 'Lift <script>alert("x")</script> & \'gas\''


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # raises on anything that is not well-formed XML
    assert root.tag == f"{SVG}svg"
    return root


def test_a_bar_chart_is_a_named_image_with_bars_proportional_to_the_values():
    svg = bar_chart([("Repairs", 12, "12 (40%)"), ("Environment", 6), ("Fees", 3)],
                    title="Reports by problem type", chart_id="hot", axis_label="Reports")
    root = parse(svg)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "hot-t hot-d"
    assert root.find(f"{SVG}title").text == "Reports by problem type"
    assert root.find(f"{SVG}desc").text == "Repairs: 12 (40%); Environment: 6; Fees: 3"
    widths = [float(rect.get("width")) for rect in root.iter(f"{SVG}rect")]
    assert len(widths) == 3
    assert widths[0] == pytest.approx(2 * widths[1]) and widths[1] == pytest.approx(2 * widths[2])
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "12 (40%)" in texts and "Repairs" in texts and "0" in texts and "Reports" in texts
    assert "style" not in svg and "script" not in svg  # presentation attributes only
    assert len(svg) < 3000


def test_a_bar_never_runs_past_its_scale_and_nothing_negative_is_drawn():
    root = parse(bar_chart([("A", 50), ("B", 200), ("C", -5), ("D", None), ("E", float("nan"))], title="t",
                           chart_id="c", max_value=100))
    widths = [float(rect.get("width")) for rect in root.iter(f"{SVG}rect")]
    assert widths[1] == pytest.approx(2 * widths[0]) and widths[2] == widths[3] == widths[4] == 0
    assert "D: —" in root.find(f"{SVG}desc").text


def test_text_in_a_chart_is_escaped_everywhere_it_appears():
    bars = bar_chart([(HOSTILE, 2)], title=HOSTILE, chart_id='x" onload="alert(1)')
    lines = line_chart([(HOSTILE, [1.0, 2.0])], [HOSTILE, "Nov"], title=HOSTILE, chart_id="y")
    for svg in (bars, lines):
        root = parse(svg)
        assert "<script>" not in svg and "alert(\"x\")" not in svg
        assert root.find(f"{SVG}title").text == HOSTILE  # escaped in the markup, intact once read
        assert not any(name.startswith("on") for element in root.iter() for name in element.attrib)
    assert parse(bars).get("id") == 'x" onload="alert(1)'


def test_empty_data_draws_a_message_not_a_broken_chart():
    for svg in (bar_chart([], title="Reports", chart_id="e1", empty="No reports in this period"),
                line_chart([("CSAT", [None, None])], ["Oct", "Nov"], title="CSAT", chart_id="e2",
                           empty="No reports in this period"),
                line_chart([], [], title="CSAT", chart_id="e3", empty="No reports in this period")):
        root = parse(svg)
        assert root.get("role") == "img"
        assert [t.text for t in root.iter(f"{SVG}text")] == ["No reports in this period"]
        assert root.find(f"{SVG}desc").text == "No reports in this period"
        assert not list(root.iter(f"{SVG}rect")) and not list(root.iter(f"{SVG}polyline"))


def test_a_missing_value_breaks_the_line_and_a_lone_point_still_shows():
    labels = ["Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    root = parse(line_chart([("CSAT", [80.0, 90.0, None, 70.0, None, 60.0])], labels, title="CSAT",
                            chart_id="t", y_max=100.0, unit="%"))
    lines = list(root.iter(f"{SVG}polyline"))
    assert len(lines) == 1 and len(lines[0].get("points").split()) == 2  # Jul-Aug; Oct and Dec stand alone
    markers = list(root.iter(f"{SVG}circle"))
    assert len(markers) == 4
    ys = [float(c.get("cy")) for c in markers]
    assert ys[0] > ys[1] and ys[2] > ys[0]  # higher values are drawn higher (smaller y)
    assert markers[1].find(f"{SVG}title").text == "CSAT, Aug: 90%"
    assert "CSAT: Jul 80%, Aug 90%, Sep —" in root.find(f"{SVG}desc").text


def test_two_series_differ_by_pattern_and_shape_not_only_colour_and_stay_small():
    labels = [f"M{i}" for i in range(1, 13)]
    svg = line_chart([("Answered on time", [float(50 + i) for i in range(12)]),
                      ("Fixed on time", [float(40 + i) for i in range(12)])], labels,
                     title="On time", chart_id="two", y_max=100.0, unit="%")
    root = parse(svg)
    lines = list(root.iter(f"{SVG}polyline"))
    assert lines[0].get("stroke-dasharray") is None and lines[1].get("stroke-dasharray")
    assert len(list(root.iter(f"{SVG}circle"))) == 13 and len(list(root.iter(f"{SVG}rect"))) == 13  # + legend
    shown = [t.text for t in root.iter(f"{SVG}text")]
    assert "M12" in shown and len([s for s in shown if s.startswith("M")]) < 12  # crowded labels thinned
    assert "100%" in shown and "0%" in shown
    assert len(svg) < 6000


def test_counts_get_whole_number_grid_steps():
    assert [nice_step(span, whole=True) for span in (6, 10, 1, 0, 350)] == [2, 5, 1, 1, 100]
    assert nice_step(1) == 0.5 and nice_step(0.3) == 0.1
    root = parse(line_chart([("Reports", [0.0, 2.0, 6.0])], ["Sep", "Oct", "Nov"], title="Reports",
                            chart_id="v"))
    assert [t.text for t in root.iter(f"{SVG}text")][:5] == ["0", "2", "4", "6", "8"]


def test_a_bar_label_is_shortened_to_its_column_and_a_short_one_is_kept():
    # The label column is 118 px at 12 px: 110 px of text, about 9 em (a CJK character is 1 em).
    svg = bar_chart([("Block 3", 4), ("惠康花园北翼第二座大楼楼", 2)], title="Reports", chart_id="c")
    assert ">Block 3</text>" in svg
    assert ">惠康花园北翼第二…</text>" in svg  # 8 characters and the ellipsis: 9 em
    assert "<title>惠康花园北翼第二座大楼楼: 2</title>" in svg  # the whole name in the tooltip
