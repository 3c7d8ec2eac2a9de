"""The interactive story map: a self-contained plotly HTML file. No Dagster imports.

One trace per cluster (so the legend toggles clusters), noise as a grey trace that
can be hidden, hover text with headline, date and cluster. Headlines are HTML-escaped
before they reach plotly: a headline holding markup or script shows as text.
"""

from __future__ import annotations

import html
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


def write_map(frame: pd.DataFrame, coords: np.ndarray, path: str | Path, title: str) -> Path:
    """Write the map as one HTML file with plotly.js inlined (works offline)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = build_figure(frame, coords, title)
    tmp = path.with_suffix(".tmp")
    fig.write_html(tmp, include_plotlyjs=True, full_html=True)
    tmp.replace(path)
    return path
