"""The story timeline: one offline plotly HTML page of stories over days. No Dagster imports.

x is the day, y the number of articles a story holds in that day's window; one line per
story for the ``top`` stories by their largest size in the period, coloured as on the map
(``story_colour``). Births, returns, splits and merges are marked on the day they happen
and named in the hover; everything else is summed in a grey "other stories" line.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..maps.page_parts import esc as _esc
from ..maps.page_parts import headline_part as _headline_part
from ..maps.page_parts import plotly_js, story_colour

__all__ = ["build_timeline", "story_colour", "write_timeline"]

MARKERS = {"born": "star", "returned": "triangle-up", "split": "diamond", "merged": "x"}


def build_timeline(days: pd.DataFrame, top: int = 20, title: str = "newsclust stories"):
    """``days``: one row per (day, story) with day, story, name, articles, event, other."""
    import plotly.graph_objects as go

    fig = go.Figure()
    seen = days[days["articles"] > 0]
    if seen.empty:
        fig.update_layout(title=_esc(title) + " (no stories yet)", template="plotly_white")
        return fig
    size = seen.groupby("story")["articles"].max().sort_values(ascending=False, kind="stable")
    chosen = list(size.index[:top])
    all_days = sorted(days["day"].unique())
    for sid in chosen:
        rows = days[days["story"] == sid].set_index("day")
        name = str(rows["name"].iloc[-1])
        first = rows.index.min()  # no line before the story's first day
        y = [None if d < first else int(rows["articles"].get(d, 0)) if d in rows.index else 0 for d in all_days]
        hover = [
            f"<b>{_esc(name)}</b><br>{sid} · {d}<br>{n} articles"
            + (
                f"<br>{rows.loc[d, 'event']}" + (f" ({_esc(rows.loc[d, 'other'])})" if rows.loc[d, "other"] else "")
                if d in rows.index and rows.loc[d, "event"]
                else ""
            )
            for d, n in zip(all_days, y)
        ]
        label = _headline_part(name)
        fig.add_trace(
            go.Scatter(
                x=all_days,
                y=y,
                mode="lines",
                name=_esc(f"{label[:60]} ({sid})"),
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
                    y=[int(v) if v else 0 for v in marks["articles"]],
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
    rest = seen[~seen["story"].isin(chosen)].groupby("day")["articles"].sum()
    if len(rest):
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
    fig.update_layout(
        title={
            "text": f"{_esc(title)}<br><sup>{all_days[0]} to {all_days[-1]}: {subtitle}; "
            "★ born, ▲ returned, ◆ split, ✕ merged</sup>"
        },
        template="plotly_white",
        xaxis_title="day",
        yaxis_title="articles in the day's window",
        height=650,
        hovermode="closest",
        legend_title_text=f"top {len(chosen)} stories",
    )
    return fig


def write_timeline(days: pd.DataFrame, path: str | Path, top: int = 20, title: str = "newsclust stories") -> Path:
    """Write the page, offline: plotly.js is the file the maps of that directory share."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    build_timeline(days, top, title).write_html(tmp, include_plotlyjs=plotly_js(path.parent), full_html=True)
    tmp.replace(path)
    return path
