import json
import re

import numpy as np
import pandas as pd

from newsclust_assets.maps.map_plot import write_map


def plotly_traces(html: str) -> list[dict]:
    """The trace list that plotly embedded in the page."""
    match = re.search(r'Plotly\.newPlot\(\s*"[^"]+",\s*(\[.*?\])\s*,\s*\{', html, re.S)
    assert match, "no Plotly.newPlot call in the HTML"
    return json.loads(match.group(1))


def test_map_traces_hover_and_escaping(tmp_path):
    frame = pd.DataFrame(
        {
            "headline": ["Strike day 1", "Strike day 2", "<script>alert(1)</script>", "Lander"],
            "date": ["2024-03-01", "2024-03-02", "2024-03-02", "2024-03-03"],
            "label": [0, 0, -1, 1],
            "cluster_name": ["0: strike", "0: strike", "noise", "1: lander"],
        }
    )
    path = write_map(frame, np.arange(8, dtype=float).reshape(4, 2), tmp_path / "m" / "map.html", "t <b>")
    html = path.read_text()
    traces = plotly_traces(html)
    assert [t["name"] for t in traces] == ["0: strike (2)", "1: lander (1)", "noise (1)"]
    assert sum(len(t["x"]) for t in traces) == 4
    assert traces[2]["marker"]["color"].startswith("rgba(150,150,150")
    assert "Strike day 2<" in traces[0]["text"][1] and "2024-03-02" in traces[0]["text"][1]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in traces[2]["text"][0]
    assert "<script>alert(1)</script>" not in html
    assert not (tmp_path / "m" / "map.tmp").exists()
    # plotly.js is written once beside the maps and referenced relatively: small files that open offline
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert len(scripts) == 1 and re.fullmatch(r"plotly-[\d.]+\.min\.js", scripts[0]), scripts
    js = tmp_path / "m" / scripts[0]
    assert js.stat().st_size > 1_000_000 and "://" not in scripts[0]
    assert path.stat().st_size < 50_000
    stamp = js.stat().st_mtime_ns
    second = write_map(frame, np.zeros((4, 2)), tmp_path / "m" / "map2.html", "t")
    assert js.stat().st_mtime_ns == stamp and second.stat().st_size < 50_000  # shared, not rewritten
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == sorted(["map.html", "map2.html", js.name])


def test_map_with_inlined_plotly_is_one_file(tmp_path):
    frame = pd.DataFrame(
        {"headline": ["a", "b"], "date": ["2024-03-01"] * 2, "label": [0, 0], "cluster_name": ["0: a", "0: a"]}
    )
    path = write_map(frame, np.zeros((2, 2)), tmp_path / "map.html", "t", inline_js=True)
    assert path.stat().st_size > 1_000_000 and "<script src=" not in path.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["map.html"]


def test_colour_difference_is_cie76_in_lab():
    from newsclust_assets.maps.page_parts import colour_difference, lab

    assert [round(v, 1) for v in lab("#ffffff")] == [100.0, 0.0, 0.0]
    assert [round(v, 1) for v in lab("#ff0000")] == [53.2, 80.1, 67.2]
    assert abs(colour_difference("#000000", "#ffffff") - 100.0) < 1e-4
    assert colour_difference("#FC0080", "#FA0087") < 5  # two palette entries nobody tells apart


def test_stories_drawn_close_together_get_clearly_different_colours(tmp_path):
    """40 stories over the map, each within the colour radius of several others, with ids
    whose hashed colours collide: every pair drawn that close differs by at least the bound
    (CIE76 delta E). A story with no close neighbour keeps its own hashed colour."""
    from newsclust_assets.maps.map_plot import MIN_COLOUR_DIFFERENCE, assign_colours
    from newsclust_assets.maps.page_parts import colour_difference, story_colour

    rng = np.random.default_rng(3)
    stories = [f"20240301-{i}" for i in range(40)]
    centres = rng.uniform(0, 100, size=(40, 2))
    rows, coords = [], []
    for i, sid in enumerate(stories):
        for j in range(3):
            rows.append(
                {
                    "headline": f"h{i}-{j}",
                    "date": "2024-03-01",
                    "label": i,
                    "cluster_name": f"{i}: c",
                    "story": sid,
                    "story_name": f"Story {i} [w]",
                    "story_born": "2024-03-01",
                }
            )
            coords.append(centres[i] + rng.normal(0, 0.5, 2))
    coords = np.array(coords)
    path = write_map(pd.DataFrame(rows), coords, tmp_path / "map.html", "t")
    traces = [t for t in plotly_traces(path.read_text()) if not t["name"].startswith("noise")]
    colour = {t["name"]: t["marker"]["color"] for t in traces}
    middle = {t["name"]: np.median(np.c_[t["x"], t["y"]], axis=0) for t in traces}
    span = float(np.hypot(*(coords.max(0) - coords.min(0))))
    close = [(a, b) for a in colour for b in colour if a < b and np.hypot(*(middle[a] - middle[b])) < 0.15 * span]
    hashed = sum(
        colour_difference(story_colour(stories[int(a.split()[1])]), story_colour(stories[int(b.split()[1])]))
        < MIN_COLOUR_DIFFERENCE
        for a, b in close
    )
    assert len(close) > 60 and hashed > 0  # the bound is exercised: hashed colours alone would break it
    worst = min(colour_difference(colour[a], colour[b]) for a, b in close)
    assert worst >= MIN_COLOUR_DIFFERENCE, worst
    # far from everything: the story's own colour, the same as on every other map
    placed = assign_colours(
        ["a", "b"], {"a": np.zeros(2), "b": np.full(2, 50.0)}, {"a": "#FC0080", "b": "#FA0087"}, ["#000000"], 10.0, 25.0
    )
    assert placed == {"a": "#FC0080", "b": "#FA0087"}
