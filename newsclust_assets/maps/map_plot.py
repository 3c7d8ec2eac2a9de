"""The interactive story map: a self-contained plotly HTML file. No Dagster imports.

One trace per story (so the legend toggles stories), noise as a grey trace that can be
hidden, hover text with headline, date and story; the largest stories named at their
centre (as datamapplot labels clusters), a dropdown that highlights one story, neighbours
in distinct colours, and a subtitle with the window's counts. With a ``story`` column (from the
``stories`` asset) a story keeps its id, colour and legend entry on every day's map, and
the hover shows its id and the day it was first seen; without one, traces are the
window's cluster labels. Headlines are HTML-escaped
before they reach plotly: a headline holding markup or script shows as text.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import files
from .label_layout import label_box, place_labels
from .page_parts import colour_difference, shorten, story_colour, write_page
from .page_parts import esc as _esc
from .page_parts import headline_part as _headline_part

NOISE_COLOUR = "rgba(150,150,150,0.45)"


def _hover(frame: pd.DataFrame) -> list[str]:
    if "story" in frame:
        return [
            f"<b>{_esc(h)}</b><br>{_esc(d)}<br>{_esc(c)}" + (f"<br>story {_esc(s)}, first seen {_esc(b)}" if s else "")
            for h, d, c, s, b in zip(
                frame["headline"], frame["date"], frame["cluster_name"], frame["story"], frame["story_born"]
            )
        ]
    return [
        f"<b>{_esc(h)}</b><br>{_esc(d)}<br>{_esc(c)}"
        for h, d, c in zip(frame["headline"], frame["date"], frame["cluster_name"])
    ]


CLICK_HINT = "<br><i>click: the story's page</i>"
LABELLED = 12  # the largest stories are named on the map itself
HIGHLIGHT = 40  # stories in the "highlight" dropdown
LEGEND_CHARS = 70  # legend entries are cut here (the hover has the whole name)


MIN_COLOUR_DIFFERENCE = 25.0  # CIE76 delta E between the colours of stories drawn close together


def _gap(colour: str, others: set) -> float:
    """The smallest colour difference between ``colour`` and any of ``others`` (inf: none)."""
    return min((colour_difference(colour, c) for c in others), default=float("inf"))


def assign_colours(
    groups: list, centres: dict, preferred: dict, palette: list, min_distance: float, min_difference: float = 0.0
) -> dict:
    """Each group keeps its preferred colour (for a story: the hash of its id, the same on
    every day's map) unless a group placed before it within ``min_distance`` on the map has a
    colour less than ``min_difference`` apart from it (CIE76 delta E; 0: only the same colour
    counts); then it takes the first palette colour at least that far from every colour that
    close, or, when none is, the one farthest from them. ``groups`` in priority order (older
    stories first keep theirs)."""
    out: dict = {}
    for g in groups:
        near = {out[h] for h in out if float(np.hypot(*(centres[g] - centres[h]))) < min_distance}
        colour = preferred[g]
        if colour in near or _gap(colour, near) < min_difference:
            gap = {c: _gap(c, near) for c in palette}
            fits = [c for c in palette if c not in near and gap[c] >= min_difference]
            colour = fits[0] if fits else max(palette, key=gap.__getitem__)
        out[g] = colour
    return out


def build_figure(frame: pd.DataFrame, coords: np.ndarray, title: str, subtitle: str = "", clickable: bool = False):
    """``frame``: one row per article with headline, date, label, cluster_name, and
    optionally story, story_name, story_born (empty for noise). One trace per story (the
    legend toggles it), noise last in grey; the largest stories are named at their centre
    (``clickable``: the hover says a click opens the story's page);
    a dropdown highlights one story."""
    import plotly.graph_objects as go
    from plotly.colors import qualitative

    palette = qualitative.Dark24 + qualitative.Alphabet
    frame = frame.reset_index(drop=True).copy()
    frame["x"], frame["y"] = coords[:, 0], coords[:, 1]
    by_story = "story" in frame
    noise_key = "" if by_story else -1
    if by_story:
        frame["story"] = frame["story"].fillna("").astype(str)
        key = frame["story"].where(frame["label"] >= 0, "")
    else:
        key = frame["label"].astype(int)
    name_col = "story_name" if by_story else "cluster_name"
    sizes = key[key != noise_key].value_counts()
    groups = sorted(sizes.index, key=lambda g: (-sizes[g], str(g)))
    centres = {g: np.median(coords[(key == g).to_numpy()], axis=0) for g in groups}
    names = {g: str(frame.loc[key == g, name_col].iloc[0]) for g in groups}
    lo = coords.min(0) if len(coords) else np.zeros(2)
    hi = coords.max(0) if len(coords) else np.ones(2)
    span = float(np.hypot(*(hi - lo))) if len(coords) else 1.0
    preferred = {g: story_colour(g) if by_story else palette[int(g) % len(palette)] for g in groups}
    colours = assign_colours(sorted(groups, key=str), centres, preferred, palette, 0.15 * span, MIN_COLOUR_DIFFERENCE)
    fig = go.Figure()
    for rank, group in enumerate(groups + ([noise_key] if (key == noise_key).any() else [])):
        part = frame[key == group]
        noise = group == noise_key
        fig.add_trace(
            go.Scattergl(
                x=part["x"].round(4).tolist(),
                y=part["y"].round(4).tolist(),
                mode="markers",
                name=f"noise ({len(part)})" if noise else f"{_esc(shorten(names[group], LEGEND_CHARS))} ({len(part)})",
                marker={"size": 6 if noise else 8, "color": NOISE_COLOUR if noise else colours[group], "opacity": 0.85},
                text=_hover(part) if noise or not clickable else [t + CLICK_HINT for t in _hover(part)],
                customdata=None if noise or not by_story else [str(group)] * len(part),
                hoverinfo="text",
                legendrank=1000 if noise else rank,
            )
        )
    # the axes' ranges are fixed (the data's bounds and a margin), so that labels moved off their
    # stories neither stretch the axes nor land elsewhere than place_labels computed
    pad = np.where(hi - lo > 0, (hi - lo) * 0.04, 1.0)
    ranges = (float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1]))
    labelled = groups[:LABELLED]
    texts = [shorten(_headline_part(names[g]), 42) for g in labelled]
    offsets = place_labels(
        np.array([centres[g] for g in labelled]).reshape(-1, 2),
        [label_box(t) for t in texts],
        np.array([centres[g] for g in groups[LABELLED:]]).reshape(-1, 2),
        ranges,
    )
    for group, text, (dx, dy) in zip(labelled, texts, offsets):
        moved = bool(dx or dy)
        fig.add_annotation(
            x=float(centres[group][0]),
            y=float(centres[group][1]),
            text=_esc(text),
            showarrow=moved,  # a label moved off its story is joined to it by a leader line
            ax=round(dx),
            ay=round(-dy),
            arrowhead=0,
            arrowwidth=1,
            arrowcolor=colours[group],
            standoff=4 if moved else 0,
            font={"size": 11, "color": "#222"},
            bgcolor="rgba(255,255,255,0.85)",
            bordercolor=colours[group],
            borderwidth=1,
            borderpad=2,
        )
    n = len(fig.data)
    buttons = [{"label": "all stories", "method": "restyle", "args": [{"marker.opacity": [0.85] * n}]}]
    for k, group in enumerate(groups[:HIGHLIGHT]):
        buttons.append(
            {
                "label": _esc(shorten(_headline_part(names[group]), 36)) + f" ({sizes[group]})",
                "method": "restyle",
                "args": [{"marker.opacity": [1.0 if i == k else 0.07 for i in range(n)]}],
            }
        )
    heading = _esc(title) + (f"<br><sup>{_esc(subtitle)}</sup>" if subtitle else "")
    fig.update_layout(
        title={"text": heading},
        template="plotly_white",
        legend_title_text="stories",
        xaxis={"visible": False, "range": list(ranges[:2])},
        yaxis={"visible": False, "range": list(ranges[2:])},
        height=800,
        margin={"t": 120, "b": 80},
        updatemenus=[
            {
                "buttons": buttons,
                "direction": "down",
                "x": 1.0,
                "xanchor": "right",
                "y": 1.02,
                "yanchor": "bottom",
                "showactive": True,
                "active": 0,
                "pad": {"b": 4},
                "bgcolor": "white",
            }
        ]
        if groups
        else [],
    )
    if groups:
        fig.add_annotation(
            text="highlight a story:",
            xref="paper",
            yref="paper",
            x=1.0,
            y=1.10,
            xanchor="right",
            yanchor="bottom",
            showarrow=False,
            font={"size": 12, "color": "#555"},
        )
    return fig


# a click on a story's point opens its page (story_<id>.html in the pages directory)
CLICK_TO_PAGE = """<script>(function () {
  var gd = document.querySelector('.js-plotly-plot'), pages = %s;
  (function attach() {
    if (!gd || !gd.on) { return setTimeout(attach, 50); }
    gd.on('plotly_click', function (e) {
      var p = e.points && e.points[0];
      if (p && p.customdata) { window.location.href = pages + '/story_' + encodeURIComponent(p.customdata) + '.html'; }
    });
  })();
})();</script>"""


def write_map(
    frame: pd.DataFrame,
    coords: np.ndarray,
    path: str | Path,
    title: str,
    inline_js: bool = False,
    subtitle: str = "",
    pages_dir: str | Path | None = None,
) -> Path:
    """Write the map as an HTML file that works offline: plotly.js is written once beside it
    (``plotly-<version>.min.js``, shared by every map of the directory, so a map of a few
    hundred points is tens of kilobytes), or inlined with ``inline_js`` (one 4.8 MB file
    that can be mailed on its own). The page's ``<title>`` is ``title``. With ``pages_dir``
    (where the story pages are) a click on a story's point opens its page."""
    import json

    page_path = files.at(path)
    footer = ""
    if pages_dir is not None and "story" in frame:
        footer = CLICK_TO_PAGE % json.dumps(files.relative(files.at(pages_dir), page_path.parent)).replace(
            "<", "\\u003c"
        )
    figure = build_figure(frame, coords, title, subtitle, clickable=bool(footer))
    return write_page(figure, page_path, title, inline_js=inline_js, footer=footer)
