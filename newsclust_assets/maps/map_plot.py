"""The interactive story map: a self-contained plotly HTML file. No Dagster imports.

One trace per story (so the legend toggles stories), noise as a grey trace that can be
hidden, hover text with headline, date and story. With a ``story`` column (from the
``stories`` asset) a story keeps its id, colour and legend entry on every day's map, and
the hover shows its id and the day it was first seen; without one, traces are the
window's cluster labels. Headlines are HTML-escaped
before they reach plotly: a headline holding markup or script shows as text.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import numpy as np
import pandas as pd

NOISE_COLOUR = "rgba(150,150,150,0.45)"


def _esc(value) -> str:
    """Markup characters as entities, so plotly shows them as text (quotes are harmless)."""
    return html.escape(str(value), quote=False)


def _hover(frame: pd.DataFrame) -> list[str]:
    if "story" in frame:
        return [
            f"<b>{_esc(h)}</b><br>{_esc(d)}<br>{_esc(c)}" + (f"<br>story {_esc(s)}, first seen {_esc(b)}" if s else "")
            for h, d, c, s, b in zip(frame["headline"], frame["date"], frame["cluster_name"], frame["story"],
                                     frame["story_born"])
        ]
    return [
        f"<b>{_esc(h)}</b><br>{_esc(d)}<br>{_esc(c)}"
        for h, d, c in zip(frame["headline"], frame["date"], frame["cluster_name"])
    ]


def build_figure(frame: pd.DataFrame, coords: np.ndarray, title: str):
    """``frame``: one row per article with headline, date, label, cluster_name, and
    optionally story, story_name, story_born (empty for noise)."""
    import plotly.graph_objects as go
    from plotly.colors import qualitative

    palette = qualitative.Dark24 + qualitative.Light24
    from ..stories.timeline import story_colour

    frame = frame.reset_index(drop=True).copy()
    frame["x"], frame["y"] = coords[:, 0], coords[:, 1]
    fig = go.Figure()
    by_story = "story" in frame
    if by_story:
        frame["story"] = frame["story"].fillna("").astype(str)
        key = frame["story"].where(frame["label"] >= 0, "")
    else:
        key = frame["label"].astype(int)
    sizes = key[key != ("" if by_story else -1)].value_counts()
    groups = sorted(sizes.index, key=lambda g: (-sizes[g], str(g)))
    noise_key = "" if by_story else -1
    for rank, group in enumerate(groups + ([noise_key] if (key == noise_key).any() else [])):
        part = frame[key == group]
        noise = group == noise_key
        name_col = "story_name" if by_story else "cluster_name"
        colour = story_colour(group) if by_story else palette[int(group) % len(palette)]
        fig.add_trace(go.Scattergl(
            x=part["x"].round(4).tolist(), y=part["y"].round(4).tolist(), mode="markers",
            name=f"noise ({len(part)})" if noise else f"{_esc(part[name_col].iloc[0])} ({len(part)})",
            marker={"size": 6 if noise else 8, "color": NOISE_COLOUR if noise else colour},
            text=_hover(part), hoverinfo="text",
            legendrank=1000 if noise else rank,
        ))
    fig.update_layout(title=_esc(title), template="plotly_white", legend_title_text="stories",
                      xaxis={"visible": False}, yaxis={"visible": False}, height=750)
    return fig


def plotly_js(directory: Path) -> str:
    """Write plotly.js once into ``directory`` (named by its version, so an upgrade writes a
    new file instead of serving an old one) and return its file name."""
    import plotly
    from plotly.offline import get_plotlyjs

    name = f"plotly-{plotly.__version__}.min.js"
    target = directory / name
    if not target.exists():
        tmp = target.with_name(f".{name}.{os.getpid()}.tmp")
        tmp.write_text(get_plotlyjs(), encoding="utf-8")
        tmp.replace(target)  # concurrent writers each write whole files; the last rename wins
    return name


def write_map(frame: pd.DataFrame, coords: np.ndarray, path: str | Path, title: str,
              inline_js: bool = False) -> Path:
    """Write the map as an HTML file that works offline: plotly.js is written once beside it
    (``plotly-<version>.min.js``, shared by every map of the directory, so a map of a few
    hundred points is tens of kilobytes), or inlined with ``inline_js`` (one 4.8 MB file
    that can be mailed on its own)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = build_figure(frame, coords, title)
    tmp = path.with_suffix(".tmp")
    fig.write_html(tmp, include_plotlyjs=True if inline_js else plotly_js(path.parent), full_html=True)
    tmp.replace(path)
    return path
