"""Charts drawn on the server as SVG (biểu đồ) from the figures of the page itself: no chart
library, no script, nothing fetched. Bars are proportional to whole đồng; every bar carries
its figure as text (a chart that hides its numbers cannot be checked)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from infra.web.i18n import number

BAR_HEIGHT = 12
LABEL_WIDTH = 260
PLOT_WIDTH = 560
FIGURE_WIDTH = 150


@dataclass(frozen=True, slots=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    css: str  # a class of style.css: "budget" or "disbursed" (no inline style: the CSP)
    figure: str


@dataclass(frozen=True, slots=True)
class Group:
    label: str
    y: int
    bars: tuple[Bar, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    width: int
    height: int
    groups: tuple[Group, ...]
    legend: tuple[tuple[str, str], ...]  # (css class, label)


def bars(
    title: str,
    rows: Sequence[tuple[str, Sequence[int]]],
    series: Sequence[tuple[str, str]],
    lang: str = "vi",
) -> Chart:
    """Horizontal grouped bars: one group per row label, one bar per series value."""
    largest = max((max(values, default=0) for _, values in rows), default=0) or 1
    per_group = BAR_HEIGHT * len(series) + 10
    groups = []
    for n, (label, values) in enumerate(rows):
        top = 24 + n * per_group
        groups.append(
            Group(
                label,
                top + BAR_HEIGHT,
                tuple(
                    Bar(
                        LABEL_WIDTH,
                        top + i * BAR_HEIGHT,
                        max(0, round(PLOT_WIDTH * value / largest)),
                        BAR_HEIGHT - 2,
                        css,
                        number(value, lang),
                    )
                    for i, ((css, _), value) in enumerate(zip(series, values, strict=True))
                ),
            )
        )
    height = 30 + per_group * max(1, len(rows))
    return Chart(title, LABEL_WIDTH + PLOT_WIDTH + FIGURE_WIDTH, height, tuple(groups),
                 tuple(series))  # fmt: skip
