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
    frame = pd.DataFrame({
        "headline": ["Strike day 1", "Strike day 2", "<script>alert(1)</script>", "Lander"],
        "date": ["2024-03-01", "2024-03-02", "2024-03-02", "2024-03-03"],
        "label": [0, 0, -1, 1],
        "cluster_name": ["0: strike", "0: strike", "noise", "1: lander"],
    })
    path = write_map(frame, np.arange(8, dtype=float).reshape(4, 2), tmp_path / "m" / "map.html", "t <b>")
    html = path.read_text()
    traces = plotly_traces(html)
    assert [t["name"] for t in traces] == ["0: strike (2)", "1: lander (1)", "noise (1)"]
    assert sum(len(t["x"]) for t in traces) == 4
    assert traces[2]["marker"]["color"].startswith("rgba(150,150,150")
    assert "Strike day 2<" in traces[0]["text"][1] and "2024-03-02" in traces[0]["text"][1]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in traces[2]["text"][0]
    assert "<script>alert(1)</script>" not in html
    assert path.stat().st_size > 1_000_000  # plotly.js is inlined: the file works offline
    assert not (tmp_path / "m" / "map.tmp").exists()
