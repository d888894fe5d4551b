"""Survey charts as inline SVG (pygal, no JavaScript, no CDN).

Bars per question, stacked bars by unit, histograms for numbers, cross-tabulations and
progress over time.

Lives here: one function per chart, each taking already suppressed results (a hidden cell is
drawn as no bar and labelled "<5"). The SVG is pygal's with its inline configuration script
removed, safe to embed as is (labels are escaped by pygal's XML writer). Must not query.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

import pygal
from pygal.style import Style

from backend.app.services.survey_results import CrossTab, QuestionResult, SurveyProgress, UnitBreakdown
from backend.app.services.survey_suppression import SUPPRESSED_TEXT, Cell

PALETTE = (
    "#b3261e",
    "#1f6feb",
    "#1a7f37",
    "#9a6700",
    "#6e40c9",
    "#0a7ea4",
    "#c2410c",
    "#57606a",
    "#bf3989",
    "#2da44e",
)
CHART_STYLE = Style(
    background="transparent",
    plot_background="#ffffff",
    foreground="#1f2328",
    foreground_strong="#1f2328",
    foreground_subtle="#d9dde3",
    opacity=".9",
    opacity_hover="1",
    colors=PALETTE,
    font_family='system-ui, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif',
    value_colors=("#ffffff",) * len(PALETTE),
    label_font_size=14,
    major_label_font_size=14,
    value_font_size=13,
    value_label_font_size=13,
    legend_font_size=14,
    title_font_size=15,
    tooltip_font_size=13,
)
LONG_LEGEND = 24  # characters; longer legends get two columns instead of three
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
WIDTH = 760
ROW_HEIGHT = 34
MAX_DAY_BARS = 45


def _render(chart: Any) -> str:  # noqa: ANN401 - any pygal chart
    svg = chart.render(is_unicode=True)
    return _COMMENT.sub("", _SCRIPT.sub("", svg))


def _options(**extra: Any) -> dict[str, Any]:  # noqa: ANN401
    options: dict[str, Any] = {
        "js": [],
        "style": CHART_STYLE,
        "disable_xml_declaration": True,
        "width": WIDTH,
        "truncate_label": -1,
        "truncate_legend": -1,
        "show_y_guides": True,
        "margin": 12,
        "no_data_text": SUPPRESSED_TEXT,
    }
    options.update(extra)
    return options


def _percent_text(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}%"


def _bar_value(cell: Cell) -> int | None:
    return None if cell.suppressed else cell.count


def question_chart(result: QuestionResult, format_count: Callable[[Cell], str]) -> str:
    """Draws one question: horizontal bars for choices, vertical bars (a histogram) for numbers.

    Args:
        result: The question's results.
        format_count: Writes a count in the page's language ("<5" when suppressed).

    Returns:
        The SVG markup, or "" for a free-text or suppressed question.
    """
    if result.kind == "text" or result.suppressed or not result.rows:
        return ""
    labels = [
        row.label if not row.cell.suppressed else f"{row.label} ({SUPPRESSED_TEXT})" for row in result.rows
    ]
    values = [_bar_value(row.cell) for row in result.rows]
    if result.kind == "histogram":
        chart = pygal.Bar(**_options(height=300, show_legend=False, print_values=True))
    else:
        # pygal draws the first label at the bottom: reverse so the list reads top-down.
        labels.reverse()
        values.reverse()
        chart = pygal.HorizontalBar(
            **_options(
                height=max(120, 30 + ROW_HEIGHT * len(labels)),
                show_legend=False,
                print_values=True,
                show_x_labels=False,  # the counts are printed on the bars
            )
        )
    chart.x_labels = labels
    chart.add("", values, formatter=lambda value: format_count(Cell(int(value))))
    return _render(chart)


def _stacked(row_labels: Sequence[str], series: Sequence[tuple[str, list[float | None]]]) -> str:
    columns = 2 if any(len(name) > LONG_LEGEND for name, _ in series) else 3
    legend_rows = -(-len(series) // columns)
    # pygal reserves len(series) // columns legend rows (rounding down): add the missing ones.
    missing_rows = legend_rows - len(series) // columns
    chart = pygal.HorizontalStackedBar(
        **_options(
            height=70 + 42 * len(row_labels) + 30 * legend_rows,
            margin_bottom=12 + 24 * missing_rows,
            legend_at_bottom=True,
            legend_at_bottom_columns=columns,
            print_values=True,
            range=(0, 100),
        )
    )
    # pygal draws the first label at the bottom: reverse so rows read top-down like the table.
    chart.x_labels = list(reversed(row_labels))
    for name, values in series:
        chart.add(
            name,
            [
                None if value is None else {"value": value, "label": _percent_text(value)}
                for value in reversed(values)
            ],
            formatter=lambda value: _percent_text(value) if value and value >= 6 else "",
        )
    return _render(chart)


def unit_breakdown_chart(breakdown: UnitBreakdown) -> str:
    """Draws a question by unit: one 100 % stacked bar per unit group (groups under 5 left out).

    Args:
        breakdown: The breakdown.

    Returns:
        The SVG markup, or "" when no group has 5 respondents or the question is a multiple
        choice (its shares add up to more than 100 %, so only the table shows them).
    """
    rows = [row for row in breakdown.rows if not row.base.suppressed]
    if not rows or breakdown.question["type"] == "multiple_choice":
        return ""
    series = [
        (label, [row.cells[index].percent for row in rows])
        for index, (_, label) in enumerate(breakdown.columns)
    ]
    return _stacked([row.name for row in rows], series)


def crosstab_chart(crosstab: CrossTab) -> str:
    """Draws a cross-tabulation as 100 % stacked bars, one per row choice (rows under 5 left out).

    Args:
        crosstab: The table.

    Returns:
        The SVG markup, or "" when suppressed or the columns are a multiple choice (shares
        adding up to more than 100 % cannot be stacked).
    """
    rows = [row for row in crosstab.rows if row.base.count and not row.base.suppressed]
    if crosstab.suppressed or not rows or crosstab.column_question["type"] == "multiple_choice":
        return ""
    series = [
        (label, [row.cells[index].percent for row in rows])
        for index, (_, label) in enumerate(crosstab.columns)
    ]
    return _stacked([row.name for row in rows], series)


def _weekly(by_day: list[tuple[date, Cell, Cell]]) -> list[tuple[date, int, int]]:
    weeks: dict[date, list[int]] = {}
    for day, started, completed in by_day:
        monday = day - timedelta(days=day.weekday())
        totals = weeks.setdefault(monday, [0, 0])
        totals[0] += started.count
        totals[1] += completed.count
    return [(monday, totals[0], totals[1]) for monday, totals in sorted(weeks.items())]


def progress_chart(
    progress: SurveyProgress, started_name: str, completed_name: str, week_label: Callable[[date], str]
) -> str:
    """Draws responses started and completed per day (per week beyond 45 days).

    Args:
        progress: The survey's progress (already suppressed per day).
        started_name: Legend of the started series.
        completed_name: Legend of the completed series.
        week_label: Writes a day (or the Monday of a week) for the x axis.

    Returns:
        The SVG markup, or "" when there is nothing to show.
    """
    if progress.suppressed or not progress.by_day:
        return ""
    if len(progress.by_day) > MAX_DAY_BARS:
        points = [
            (day, Cell(started), Cell(completed)) for day, started, completed in _weekly(progress.by_day)
        ]
    else:
        points = progress.by_day
    chart = pygal.Bar(
        **_options(
            height=300,
            legend_at_bottom=True,
            x_label_rotation=-45 if len(points) > 12 else 0,
            show_minor_x_labels=len(points) <= 20,
            x_labels_major_every=max(1, len(points) // 10),
        )
    )
    chart.x_labels = [week_label(day) for day, _, _ in points]
    chart.add(started_name, [None if cell.suppressed else cell.count for _, cell, _ in points])
    chart.add(completed_name, [None if cell.suppressed else cell.count for _, _, cell in points])
    return _render(chart)
