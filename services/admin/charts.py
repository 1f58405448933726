"""Server-rendered inline SVG bar charts: no JavaScript, and each with a text alternative.

A chart is drawn from plain data: labels, values and the text to print beside each bar. The SVG has
`role="img"` with a <title> and <desc>; the template shows the same numbers as a table, so nothing is
only in the picture. Colours keep a contrast of at least 3:1 against white for the bars and 4.5:1 for
the text; emphasis is never colour alone (the printed text says it too).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup, escape

BAR = "#1d4f91"          # 8.3:1 on white
BAR_EMPHASIS = "#0b6e4f"  # 6.1:1 on white
TRACK_FILL = "#ffffff"
TRACK_STROKE = "#5c6b7a"  # 5.4:1 on white
TEXT = "#1a1a1a"
ROW = 30
BAR_HEIGHT = 18
BAR_SPAN = 380
CHAR_WIDTH = 8.2  # generous for 14px sans-serif, so that labels are not clipped


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str
    capacity: float | None = None  # drawn as an outlined track behind the bar (e.g. places)
    emphasis: bool = False


@dataclass
class Chart:
    id: str
    title: str
    description: str
    bars: list[Bar]
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    svg: Markup = field(default_factory=Markup)

    @property
    def empty(self) -> bool:
        return not self.bars


def bar_chart(chart_id: str, title: str, description: str, bars: list[Bar], *, columns: list[str],
              rows: list[list[str]], max_value: float | None = None) -> Chart:
    chart = Chart(chart_id, title, description, bars, columns, rows)
    if bars:
        chart.svg = _svg(chart_id, title, description, bars, max_value)
    return chart


def _svg(chart_id: str, title: str, description: str, bars: list[Bar], max_value: float | None) -> Markup:
    top = max([b.value for b in bars] + [b.capacity or 0 for b in bars] + [max_value or 0]) or 1
    label_width = min(260, max(100, int(max(len(b.label) for b in bars) * CHAR_WIDTH) + 16))
    value_space = int(max(len(b.text) for b in bars) * CHAR_WIDTH) + 24
    x0 = label_width
    span = BAR_SPAN
    width = label_width + span + value_space
    height = len(bars) * ROW + 12
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for index, bar in enumerate(bars):
        y = 6 + index * ROW
        bar_y = y + (ROW - BAR_HEIGHT) / 2
        label = bar.label if len(bar.label) * CHAR_WIDTH < label_width - 12 else \
            bar.label[: int((label_width - 12) / CHAR_WIDTH) - 1] + "…"
        parts.append(f'<text x="{x0 - 8}" y="{y + ROW / 2 + 5}" text-anchor="end" font-size="14" '
                     f'fill="{TEXT}">{escape(label)}</text>')
        if bar.capacity:
            parts.append(f'<rect x="{x0}" y="{bar_y}" width="{span * bar.capacity / top:.1f}" '
                         f'height="{BAR_HEIGHT}" fill="{TRACK_FILL}" stroke="{TRACK_STROKE}" stroke-width="1.5" '
                         f'stroke-dasharray="4 2"/>')
        bar_width = span * max(bar.value, 0) / top
        parts.append(f'<rect x="{x0}" y="{bar_y}" width="{bar_width:.1f}" height="{BAR_HEIGHT}" '
                     f'fill="{BAR_EMPHASIS if bar.emphasis else BAR}"/>')
        end = x0 + max(bar_width, span * (bar.capacity or 0) / top)
        weight = ' font-weight="bold"' if bar.emphasis else ""
        parts.append(f'<text x="{end + 8:.1f}" y="{y + ROW / 2 + 5}" font-size="14" fill="{TEXT}"{weight}>'
                     f'{escape(bar.text)}</text>')
    parts.append(f'<line x1="{x0}" y1="4" x2="{x0}" y2="{height - 4}" stroke="{TRACK_STROKE}" stroke-width="1"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
