"""The interactive story map: a self-contained plotly HTML file. No Dagster imports.

One trace per cluster (so the legend toggles clusters), noise as a grey trace that
can be hidden, hover text with headline, date and cluster. Headlines are HTML-escaped
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
    return [
        f"<b>{_esc(h)}</b><br>{_esc(d)}<br>{_esc(c)}"
        for h, d, c in zip(frame["headline"], frame["date"], frame["cluster_name"])
    ]


def build_figure(frame: pd.DataFrame, coords: np.ndarray, title: str):
    """``frame``: one row per article with headline, date, label, cluster_name."""
    import plotly.graph_objects as go
    from plotly.colors import qualitative

    palette = qualitative.Dark24 + qualitative.Light24
    frame = frame.reset_index(drop=True).copy()
    frame["x"], frame["y"] = coords[:, 0], coords[:, 1]
    fig = go.Figure()
    labels = sorted(int(c) for c in frame["label"].unique())
    for label in [c for c in labels if c >= 0] + ([-1] if -1 in labels else []):
        part = frame[frame["label"] == label]
        noise = label < 0
        fig.add_trace(go.Scattergl(
            x=part["x"].round(4).tolist(), y=part["y"].round(4).tolist(), mode="markers",
            name=f"noise ({len(part)})" if noise else f"{_esc(part['cluster_name'].iloc[0])} ({len(part)})",
            marker={"size": 6 if noise else 8,
                    "color": NOISE_COLOUR if noise else palette[label % len(palette)]},
            text=_hover(part), hoverinfo="text",
            legendrank=1000 if noise else label,
        ))
    fig.update_layout(title=_esc(title), template="plotly_white", legend_title_text="clusters",
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
