"""Charts as inline SVG strings, drawn on the server so they show with JavaScript off.

No dependency and no styling beyond presentation attributes (the console's CSP allows
no <style> or <script> in a page, and none is needed). Every chart is an image with an
accessible name (``role="img"``, ``<title>``) and a ``<desc>`` that reads its values out;
pages still show the numbers in a table beside it. All text is escaped.

    bar_chart([("Repairs", 12, "12 (40%)"), ("Lift", 3)], title="Reports by problem type", chart_id="hot-cat")
    line_chart([("CSAT", [80.0, None, 92.5])], ["Sep", "Oct", "Nov"], title="...", chart_id="t-csat", y_max=100)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

FONT = "system-ui, sans-serif"
INK, MUTED, GRID = "#0b0c0c", "#505a5f", "#b1b4b6"
# Colour, line pattern and marker shape together, so series differ without colour vision.
SERIES = (("#1d70b8", "", "circle"), ("#d4351c", "6 3", "square"), ("#00703c", "2 3", "diamond"),
          ("#6f3c97", "8 3 2 3", "triangle"))
BAR = "#1d70b8"


def _text(value: object) -> str:
    return escape(str(value), quote=True)


def _n(value: float) -> str:
    """A coordinate, short: 12.0 → 12, 12.345 → 12.3."""
    return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def _number(value: object) -> float | None:
    """A value to draw, or None for anything that is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _plain(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:.0f}"


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k at or above ``value`` (1 for nothing)."""
    if not value > 0 or math.isinf(value):
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value - 1e-9:
            return step * power
    return 10 * power


def nice_step(span: float, whole: bool = False) -> float:
    """A grid step of 1, 2 or 5 × 10^k so that four steps cover ``span``; at least 1 when
    the values are ``whole`` numbers (6 reports → steps of 2 up to 8; 1 report → steps of 1)."""
    if not span > 0 or math.isinf(span):
        return 1.0
    wanted = max(span / 4, 1.0) if whole else span / 4
    power = 10 ** math.floor(math.log10(wanted))
    for step in (1, 2, 5, 10):
        if step * power >= wanted - 1e-9:
            return step * power
    return 10 * power


def _marker(shape: str, x: float, y: float, colour: str, tip: str) -> str:
    """A point: circle, square, diamond or triangle, with its value as a tooltip."""
    tip = f"<title>{_text(tip)}</title>"
    if shape == "circle":
        return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3.5" fill="{colour}">{tip}</circle>'
    if shape == "square":
        return f'<rect x="{_n(x - 3.5)}" y="{_n(y - 3.5)}" width="7" height="7" fill="{colour}">{tip}</rect>'
    corners = ((0, -4.5), (4.5, 0), (0, 4.5), (-4.5, 0)) if shape == "diamond" else ((0, -4.5), (4.5, 4), (-4.5, 4))
    points = " ".join(f"{_n(x + dx)},{_n(y + dy)}" for dx, dy in corners)
    return f'<polygon points="{points}" fill="{colour}">{tip}</polygon>'


NARROW = set("fijlrtI1.,:;'!|()[] ")
WIDE = set("MWmw@%")


def _em(ch: str) -> float:
    """A character's width in em, estimated on the wide side (DejaVu Sans, the widest of the
    fonts a page may fall back to): CJK and full-width 1, M and W 1, capitals 0.75, narrow
    letters and spaces 0.4, the rest 0.65."""
    if ord(ch) > 0x2E7F or ch in WIDE:
        return 1.0
    if ch in NARROW:
        return 0.4
    return 0.75 if ch.isupper() else 0.65


def _clip(label: str, room: float, font_size: float = 12) -> str:
    """Shorten a label to fit ``room`` pixels at ``font_size`` (an ellipsis takes 1 em);
    the full text stays in the tooltip and the page's table."""
    limit = room / font_size
    if sum(_em(ch) for ch in label) <= limit:
        return label
    width, out = 1.0, []
    for ch in label:
        width += _em(ch)
        if width > limit:
            break
        out.append(ch)
    return "".join(out).rstrip() + "…"


def _open(chart_id: str, title: str, desc: str, width: int, height: int) -> list[str]:
    ident = _text(chart_id)
    return [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" id="{ident}" '
            f'aria-labelledby="{ident}-t {ident}-d" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" font-family="{_text(FONT)}" font-size="12" fill="{INK}">',
            f'<title id="{ident}-t">{_text(title)}</title>', f'<desc id="{ident}-d">{_text(desc)}</desc>']


def _empty(parts: list[str], width: int, height: int, message: str) -> str:
    parts.append(f'<text x="{width // 2}" y="{height // 2}" text-anchor="middle" fill="{MUTED}">'
                 f'{_text(message)}</text></svg>')
    return "".join(parts)


def bar_chart(items: Sequence[tuple], *, title: str, chart_id: str, unit: str = "", width: int = 360,
              bar_height: int = 20, label_width: int = 118, max_value: float | None = None,
              empty: str = "No data", axis_label: str = "") -> str:
    """Horizontal bars, one per ``(label, value)`` or ``(label, value, shown)``, in the order
    given; ``shown`` is the text at the bar's end (default: the value and ``unit``). A bar's
    length is proportional to its value (negative and missing values draw no bar); the
    scale runs from 0 to ``max_value`` or a round number at or above the largest value."""
    rows = [(str(item[0]), _number(item[1]), str(item[2]) if len(item) > 2 and item[2] is not None else None)
            for item in items]
    shown = [s if s is not None else ("—" if v is None else _plain(v) + unit) for _, v, s in rows]
    desc = "; ".join(f"{label}: {text}" for (label, _, _), text in zip(rows, shown)) or empty
    gap, top, axis = 6, 6, 30 if axis_label else 22
    height = top + len(rows) * (bar_height + gap) + axis if rows else 60
    parts = _open(chart_id, title, desc, width, height)
    if not rows:
        return _empty(parts, width, height, empty)
    scale_max = max_value if max_value and max_value > 0 else nice_ceiling(max((v or 0) for _, v, _ in rows))
    value_room = 8 + 7 * max(len(text) for text in shown)
    plot = max(40, width - label_width - value_room - 4)
    x0 = label_width
    bottom = top + len(rows) * (bar_height + gap)
    for i, ((label, value, _), text) in enumerate(zip(rows, shown)):
        y = top + i * (bar_height + gap)
        length = plot * min(max(value or 0, 0), scale_max) / scale_max
        middle = _n(y + bar_height / 2 + 4)
        parts.append(f'<g><title>{_text(label)}: {_text(text)}</title>'
                     f'<text x="{x0 - 6}" y="{middle}" text-anchor="end">{_text(_clip(label, label_width - 8))}</text>'
                     f'<rect x="{x0}" y="{y}" width="{_n(length)}" height="{bar_height}" fill="{BAR}"/>'
                     f'<text x="{_n(x0 + length + 4)}" y="{middle}">{_text(text)}</text></g>')
    parts.append(f'<line x1="{x0}" y1="{top - 2}" x2="{x0}" y2="{bottom}" stroke="{INK}"/>'
                 f'<text x="{x0}" y="{bottom + 14}" text-anchor="middle" fill="{MUTED}">0</text>'
                 f'<text x="{_n(x0 + plot)}" y="{bottom + 14}" text-anchor="middle" fill="{MUTED}">'
                 f'{_text(_plain(scale_max) + unit)}</text>')
    if axis_label:
        parts.append(f'<text x="{_n(x0 + plot / 2)}" y="{bottom + 27}" text-anchor="middle" fill="{MUTED}">'
                     f'{_text(axis_label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(series: Sequence[tuple[str, Sequence[float | None]]], labels: Sequence[str], *, title: str,
               chart_id: str, unit: str = "", width: int = 360, height: int = 190, y_min: float = 0.0,
               y_max: float | None = None, empty: str = "No data",
               fmt: Callable[[float], str] | None = None) -> str:
    """One line per ``(name, values)`` over the x ``labels`` (oldest first). A missing value
    (None: nothing measured, or too few answers to show) breaks the line; a lone point is
    still drawn as a marker. The y axis runs from ``y_min`` to ``y_max`` (default: four
    round steps, see ``nice_step``, covering the largest value), with four grid steps."""
    fmt = fmt or (lambda v: _plain(v) + unit)
    points = [(name, [_number(v) for v in values]) for name, values in series]
    known = [v for _, values in points for v in values if v is not None]
    desc = " ".join(f"{name}: " + ", ".join(f"{label} {fmt(v) if v is not None else '—'}"
                                            for label, v in zip(labels, values)) + "."
                    for name, values in points) if known else empty
    parts = _open(chart_id, title, desc, width, height)
    if not known or not labels:
        return _empty(parts, width, height, empty)
    top = 8 + (16 * len(points) if len(points) > 1 else 0)
    left, right, bottom = 44, 22, height - 22
    low = min(y_min, min(known))
    high = y_max if y_max is not None else low + 4 * nice_step(max(known) - low, all(v == int(v) for v in known))
    span = (high - low) or 1.0
    count = len(labels)
    step = (width - left - right) / max(count - 1, 1)

    def x(i: int) -> float:
        return left + (i * step if count > 1 else (width - left - right) / 2)

    def y(v: float) -> float:
        return bottom - (min(max(v, low), high) - low) / span * (bottom - top)

    for k in range(5):  # grid and y tick labels
        value = low + span * k / 4
        parts.append(f'<line x1="{left}" y1="{_n(y(value))}" x2="{width - right}" y2="{_n(y(value))}" '
                     f'stroke="{GRID if k else INK}" stroke-width="1"/>'
                     f'<text x="{left - 4}" y="{_n(y(value) + 4)}" text-anchor="end" fill="{MUTED}">'
                     f'{_text(fmt(value))}</text>')
    every = max(1, math.ceil(count / max(1, (width - left - right) // 40)))
    for i, label in enumerate(labels):  # x labels, thinned when crowded (the newest always shown)
        if (count - 1 - i) % every == 0:
            parts.append(f'<text x="{_n(x(i))}" y="{bottom + 15}" text-anchor="middle" fill="{MUTED}">'
                         f'{_text(label)}</text>')
    markers: list[list[str]] = []
    for index, (name, values) in enumerate(points):
        colour, dash, shape = SERIES[index % len(SERIES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        run: list[str] = []
        segments: list[list[str]] = []
        for i, v in enumerate(values[:count]):
            if v is None:
                if run:
                    segments.append(run)
                run = []
            else:
                run.append(f"{_n(x(i))},{_n(y(v))}")
        if run:
            segments.append(run)
        for segment in segments:
            if len(segment) > 1:
                parts.append(f'<polyline points="{" ".join(segment)}" fill="none" stroke="{colour}" '
                             f'stroke-width="2"{dash_attr}/>')
        markers.append([_marker(shape, x(i), y(v), colour, f"{name}, {labels[i]}: {fmt(v)}")
                        for i, v in enumerate(values[:count]) if v is not None])
        if len(points) > 1:  # legend: the series' line, pattern and marker, then its name
            ly = 6 + 16 * index
            parts.append(f'<line x1="{left}" y1="{ly + 6}" x2="{left + 22}" y2="{ly + 6}" stroke="{colour}" '
                         f'stroke-width="2"{dash_attr}/>{_marker(shape, left + 11, ly + 6, colour, name)}'
                         f'<text x="{left + 28}" y="{ly + 10}">{_text(name)}</text>')
    for drawn in reversed(markers):  # the first series' (smallest) markers on top, so equal values all show
        parts.extend(drawn)
    parts.append("</svg>")
    return "".join(parts)


__all__ = ["bar_chart", "line_chart", "nice_ceiling", "nice_step"]
