"""The story timeline: one offline plotly HTML page of stories over days. No Dagster imports.

x is the day, y the articles a story got that day (those first given its id that day, not
the running count of its day's window), stacked: one bar block per story for the ``top``
stories by articles in the period, coloured as on the map (``story_colour``), so a day's
bar is its news and each block a story's share. Births, returns, splits and merges are
marked on top of the story's block on the day they happen and named in the hover;
everything else is one grey "other stories" block. The x axis covers exactly the days shown.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from .. import files
from ..maps.page_parts import esc as _esc
from ..maps.page_parts import headline_part as _headline_part
from ..maps.page_parts import shorten, story_colour, write_page

__all__ = ["build_timeline", "calendar_days", "story_colour", "story_names", "top_stories", "write_timeline"]

MARKERS = {"born": "star", "returned": "triangle-up", "split": "diamond", "merged": "x"}
LEGEND_CHARS = 56  # a legend entry's name is cut here, with "…" (the hover has the whole name)


def calendar_days(first: str, last: str) -> list[str]:
    """Every day from ``first`` to ``last``, both included, as YYYY-MM-DD."""
    lo, hi = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [(lo + dt.timedelta(days=i)).isoformat() for i in range((hi - lo).days + 1)]


def _shift(day: str, days: int) -> str:
    return (dt.date.fromisoformat(day) + dt.timedelta(days=days)).isoformat()


def story_names(days: pd.DataFrame) -> dict[str, str]:
    """{story: its name on the last day of ``days`` that holds it}."""
    return days.drop_duplicates("story", keep="last").set_index("story")["name"].to_dict() if len(days) else {}


def top_stories(days: pd.DataFrame, top: int = 20) -> list[str]:
    """The ``top`` stories by articles in the period, largest first (those the timeline draws)."""
    per_day = "new_articles" if "new_articles" in days else "articles"
    seen = days[days[per_day] > 0]
    total = seen.groupby("story")[per_day].sum()
    return sorted(total.index, key=lambda s: (-int(total[s]), str(s)))[:top]


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
    chosen = top_stories(days, top)
    all_days = calendar_days(str(days["day"].min()), last_day or str(days["day"].max()))
    below = dict.fromkeys(all_days, 0)  # the stack's height under the next story, per day
    marks_x, marks_y, marks_symbol, marks_colour, marks_text = [], [], [], [], []
    for sid in chosen:
        rows = days[days["story"] == sid].set_index("day")
        name = str(rows["name"].iloc[-1])
        y = [int(rows[per_day].get(d, 0)) if d in rows.index else 0 for d in all_days]
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
            go.Bar(
                x=all_days,
                y=y,
                name=_esc(f"{shorten(_headline_part(name), LEGEND_CHARS)} ({sid})"),
                marker={"color": story_colour(sid), "line": {"width": 0}},
                hovertext=hover,
                hoverinfo="text",
                legendgroup=sid,
            )
        )
        for d, event in rows["event"].items():
            if event in MARKERS and d in below:
                marks_x.append(d)
                marks_y.append(below[d] + int(rows.loc[d, per_day]))  # on top of the story's own block
                marks_symbol.append(MARKERS[event])
                marks_colour.append(story_colour(sid))
                other = rows.loc[d, "other"]
                marks_text.append(f"{_esc(name)}: {event}" + (f" ({_esc(other)})" if other else ""))
        for d, n in zip(all_days, y):
            below[d] += n
    rest = seen[~seen["story"].isin(chosen)].groupby("day")[per_day].sum()
    entries = len(chosen)
    if len(rest):
        entries += 1
        fig.add_trace(
            go.Bar(
                x=all_days,
                y=[int(rest.get(d, 0)) for d in all_days],
                name=f"other stories ({seen['story'].nunique() - len(chosen)})",
                marker={"color": "rgba(170,170,170,0.7)"},
            )
        )
        for d in all_days:
            below[d] += int(rest.get(d, 0))
    if marks_x:
        fig.add_trace(
            go.Scatter(
                x=marks_x,
                y=marks_y,
                mode="markers",
                marker={
                    "symbol": marks_symbol,
                    "size": 11,
                    "color": marks_colour,
                    "line": {"width": 1, "color": "black"},
                },
                name="events",
                showlegend=False,
                hoverinfo="text",
                hovertext=marks_text,
            )
        )
    counts = days.groupby("event").size()
    subtitle = ", ".join(f"{counts.get(e, 0)} {e}" for e in ("born", "merged", "split", "returned", "ended"))
    span = f"{all_days[0]} to {all_days[-1]} ({len(all_days)} day{'s' if len(all_days) != 1 else ''})"
    tallest = max(below.values()) if below else 1
    fig.update_layout(
        title={"text": f"{_esc(title)}<br><sup>{span}: {subtitle}; ★ born, ▲ returned, ◆ split, ✕ merged</sup>"},
        template="plotly_white",
        barmode="stack",
        bargap=0.15,
        # exactly the days shown: from half a day before the first bar to half a day after the last
        xaxis={"title": "day", "range": [f"{_shift(all_days[0], -1)} 12:00", f"{all_days[-1]} 12:00"], "type": "date"},
        # whole articles: integer ticks, about eight of them
        yaxis={"title": "new articles that day", "dtick": max(1, -(-tallest // 8)), "rangemode": "tozero"},
        height=max(480, 190 + 30 * entries),  # the whole legend fits: it never scrolls
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
    pages: dict[str, Path] | None = None,
) -> Path:
    """Write the page, offline: plotly.js is the one file in ``js_dir`` (the maps' directory,
    so the data directory holds one copy; default: beside the page). ``pages``: {story: its
    page}, listed under the chart as links, in their order."""
    page_path = files.at(path)
    footer = ""
    if pages:
        names = story_names(days)
        items = "".join(
            f'<li><a href="{_esc(files.relative(page, page_path.parent))}">{_esc(_headline_part(names.get(s, s)))}</a> ({_esc(s)})</li>'
            for s, page in pages.items()
        )
        footer = f'<div id="story-pages" style="font-family:sans-serif;margin:1em 4em"><h3>Story pages</h3><ul>{items}</ul></div>'
    return write_page(build_timeline(days, top, title, last_day), page_path, title, js_dir=js_dir, footer=footer)
