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
