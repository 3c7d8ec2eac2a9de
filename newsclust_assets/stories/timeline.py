"""The story timeline: one offline plotly HTML page of stories over days. No Dagster imports.

x is the day, y the articles a story got that day (those first given its id that day, not
the running count of its day's window); one line per story for the ``top`` stories by
articles in the period, coloured as on the map (``story_colour``). Births, returns,
splits and merges are marked on the day they happen and named in the hover; everything
else is summed in a grey "other stories" line. The x axis covers exactly the days shown.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from ..maps.page_parts import esc as _esc
from ..maps.page_parts import headline_part as _headline_part
from ..maps.page_parts import shorten, story_colour, write_page

__all__ = ["build_timeline", "story_colour", "write_timeline"]

MARKERS = {"born": "star", "returned": "triangle-up", "split": "diamond", "merged": "x"}
LEGEND_CHARS = 56  # a legend entry's name is cut here, with "…" (the hover has the whole name)


def _calendar(first: str, last: str) -> list[str]:
    lo, hi = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [(lo + dt.timedelta(days=i)).isoformat() for i in range((hi - lo).days + 1)]


def build_timeline(days: pd.DataFrame, top: int = 20, title: str = "newsclust stories", last_day: str | None = None):
    """``days``: one row per (day, story) with day, story, name, new_articles (articles first
    given the story that day; without the column, ``articles`` is drawn), event, other.
    The axis runs from the first day in ``days`` to ``last_day`` (default: the last in it)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    per_day = "new_articles" if "new_articles" in days else "articles"
    seen = days[days[per_day] > 0]
    if seen.empty:
        fig.update_layout(title=_esc(title) + " (no stories yet)", template="plotly_white")
        return fig
    total = seen.groupby("story")[per_day].sum()
    chosen = sorted(total.index, key=lambda s: (-int(total[s]), str(s)))[:top]
    all_days = _calendar(str(days["day"].min()), last_day or str(days["day"].max()))
    for sid in chosen:
        rows = days[days["story"] == sid].set_index("day")
        name = str(rows["name"].iloc[-1])
        first = rows.index.min()  # no line before the story's first day
        y = [None if d < first else int(rows[per_day].get(d, 0)) if d in rows.index else 0 for d in all_days]
        hover = [
            f"<b>{_esc(name)}</b><br>{sid} · {d}<br>{n} new articles"
            + (
                f"<br>{rows.loc[d, 'event']}" + (f" ({_esc(rows.loc[d, 'other'])})" if rows.loc[d, "other"] else "")
                if d in rows.index and rows.loc[d, "event"]
                else ""
            )
            for d, n in zip(all_days, y)
        ]
        fig.add_trace(
            go.Scatter(
                x=all_days,
                y=y,
                mode="lines",
                name=_esc(f"{shorten(_headline_part(name), LEGEND_CHARS)} ({sid})"),
                line={"color": story_colour(sid), "width": 2},
                text=hover,
                hoverinfo="text",
                legendgroup=sid,
            )
        )
        marks = rows[rows["event"].isin(list(MARKERS))]
        if len(marks):
            fig.add_trace(
                go.Scatter(
                    x=list(marks.index),
                    y=[int(v) if v else 0 for v in marks[per_day]],
                    mode="markers",
                    marker={
                        "symbol": [MARKERS[e] for e in marks["event"]],
                        "size": 11,
                        "color": story_colour(sid),
                        "line": {"width": 1, "color": "black"},
                    },
                    name=_esc(f"{sid} events"),
                    legendgroup=sid,
                    showlegend=False,
                    hoverinfo="text",
                    text=[
                        f"{_esc(name)}: {e}" + (f" ({_esc(o)})" if o else "")
                        for e, o in zip(marks["event"], marks["other"])
                    ],
                )
            )
    rest = seen[~seen["story"].isin(chosen)].groupby("day")[per_day].sum()
    entries = len(chosen)
    if len(rest):
        entries += 1
        fig.add_trace(
            go.Scatter(
                x=all_days,
                y=[int(rest.get(d, 0)) for d in all_days],
                mode="lines",
                name=f"other stories ({seen['story'].nunique() - len(chosen)})",
                line={"color": "rgba(150,150,150,0.6)", "dash": "dot"},
            )
        )
    counts = days.groupby("event").size()
    subtitle = ", ".join(f"{counts.get(e, 0)} {e}" for e in ("born", "merged", "split", "returned", "ended"))
    span = f"{all_days[0]} to {all_days[-1]} ({len(all_days)} day{'s' if len(all_days) != 1 else ''})"
    fig.update_layout(
        title={"text": f"{_esc(title)}<br><sup>{span}: {subtitle}; ★ born, ▲ returned, ◆ split, ✕ merged</sup>"},
        template="plotly_white",
        xaxis={"title": "day", "range": [all_days[0], all_days[-1]], "type": "date"},
        yaxis_title="new articles that day",
        height=max(480, 170 + 21 * entries),  # the whole legend fits: it never scrolls
        margin={"t": 90, "b": 50},
        hovermode="closest",
        legend={"title": {"text": f"top {len(chosen)} stories by articles in the period"}, "font": {"size": 11}},
    )
    return fig


def write_timeline(
    days: pd.DataFrame,
    path: str | Path,
    top: int = 20,
    title: str = "newsclust stories",
    last_day: str | None = None,
    js_dir: str | Path | None = None,
) -> Path:
    """Write the page, offline: plotly.js is the one file in ``js_dir`` (the maps' directory,
    so the data directory holds one copy; default: beside the page)."""
    return write_page(build_timeline(days, top, title, last_day), path, title, js_dir=js_dir)
