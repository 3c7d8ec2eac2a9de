"""The map in a real headless Chromium: legend, noise toggle, hover, highlight, labels.
Screenshots are saved under the test's temp dir (``map.png``, ``map_highlight.png``)."""

import numpy as np
import pandas as pd

from newsclust_assets.maps.map_plot import write_map

from .browser import browser_page

EVIL = "<script>alert('x')</script> Rates & <b>bold</b> claims"


def _map(tmp_path, pages_dir=None):
    rng = np.random.default_rng(0)
    rows, coords = [], []
    for s, (cx, cy, n) in enumerate([(0, 0, 6), (10, 0, 4), (0, 10, 3)]):
        for i in range(n):
            rows.append(
                {
                    "id": f"s{s}-{i}",
                    "label": s,
                    "headline": EVIL if (s, i) == (0, 0) else f"Story {s} item {i}",
                    "date": "2024-03-14",
                    "cluster_name": f"{s}: Story {s} [w{s}]",
                    "story": f"2024030{s + 1}-1",
                    "story_name": f"Story {s} headline [w{s}]",
                    "story_born": f"2024-03-0{s + 1}",
                }
            )
            coords.append((cx + rng.normal(), cy + rng.normal()))
    for i in range(2):
        rows.append(
            {
                "id": f"n{i}",
                "label": -1,
                "headline": f"Noise {i}",
                "date": "2024-03-14",
                "cluster_name": "noise",
                "story": "",
                "story_name": "",
                "story_born": "",
            }
        )
        coords.append((5 + i, 5))
    return write_map(
        pd.DataFrame(rows),
        np.array(coords),
        tmp_path / "maps" / "map.html",
        "newsclust test map",
        subtitle="15 articles, 3 stories, 13% noise",
        pages_dir=pages_dir,
    )


def test_map_legend_noise_toggle_hover_and_highlight(tmp_path):
    path = _map(tmp_path)
    with browser_page() as page:
        page.goto(path.as_uri())
        page.wait_for_selector(".legend .traces")
        legend = page.locator(".legend .traces")
        assert legend.count() == 4  # one entry per story, plus noise
        texts = [legend.nth(i).text_content() for i in range(4)]
        assert texts[-1] == "noise (2)" and texts[0].startswith("Story 0 headline")
        assert "3 stories" in page.locator(".gtitle").text_content()
        labels = page.locator(".annotation-text").all_text_contents()
        assert {"Story 0 headline", "Story 1 headline", "Story 2 headline"} <= set(labels)
        page.screenshot(path=str(tmp_path / "map.png"))

        # a click on "noise" in the legend hides the grey points
        legend.nth(3).click()
        page.wait_for_function("document.querySelector('.js-plotly-plot')._fullData[3].visible === 'legendonly'")
        visible = page.evaluate("document.querySelector('.js-plotly-plot')._fullData.map(t => t.visible)")
        assert visible == [True, True, True, "legendonly"]

        # hovering the point with markup in its headline shows it as text; no script runs
        x, y = page.evaluate("""() => {
            const gd = document.querySelector('.js-plotly-plot'), box = gd.getBoundingClientRect();
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            return [box.left + xa._offset + xa.l2p(gd.data[0].x[0]), box.top + ya._offset + ya.l2p(gd.data[0].y[0])];
        }""")
        page.mouse.move(x, y)
        hover = page.locator(".hoverlayer .hovertext").first.text_content()
        assert "<script>alert('x')</script> Rates & <b>bold</b> claims" in hover
        assert "story 20240301-1, first seen 2024-03-01" in hover
        assert page.dialogs == []

        # the dropdown highlights one story and fades the others
        page.locator(".updatemenu-header-group").click()
        page.locator(".updatemenu-dropdown-button").nth(2).click()  # all stories, Story 0, Story 1, ...
        page.wait_for_function("document.querySelector('.js-plotly-plot').data[1].marker.opacity === 1")
        opacity = page.evaluate("document.querySelector('.js-plotly-plot').data.map(t => t.marker.opacity)")
        assert opacity == [0.07, 1.0, 0.07, 0.07]
        page.screenshot(path=str(tmp_path / "map_highlight.png"))
    assert (tmp_path / "map.png").stat().st_size > 10_000


def _crowded_map(tmp_path):
    """16 stories with long names, most of them crowded into one corner of the map."""
    rng = np.random.default_rng(7)
    rows, coords = [], []
    centres = [(rng.uniform(0, 3), rng.uniform(0, 3)) for _ in range(12)] + [(20, 20), (20, 0), (0, 20), (10, 10)]
    for s, (cx, cy) in enumerate(centres):
        for i in range(20 - s):
            rows.append(
                {
                    "id": f"s{s}-{i}",
                    "label": s,
                    "headline": f"Story {s} item {i}",
                    "date": "2024-03-14",
                    "cluster_name": f"{s}: c",
                    "story": f"20240301-{s + 1}",
                    "story_name": f"Story number {s} with a rather long central headline [w{s}]",
                    "story_born": "2024-03-01",
                }
            )
            coords.append((cx + 0.05 * rng.normal(), cy + 0.05 * rng.normal()))
    return write_map(pd.DataFrame(rows), np.array(coords), tmp_path / "maps" / "crowded.html", "crowded")


def test_map_labels_never_overlap_or_hide_a_story(tmp_path):
    path = _crowded_map(tmp_path)
    with browser_page() as page:
        page.goto(path.as_uri())
        page.wait_for_selector(".legend .traces")
        boxes = page.evaluate("""() => [...document.querySelectorAll('g.annotation')]
            .filter(g => g.textContent.startsWith('Story number'))
            .map(g => { const r = g.querySelector('rect.bg').getBoundingClientRect();
                        return [r.left, r.top, r.right, r.bottom, g.textContent]; })""")
        centres = page.evaluate("""() => {
            const gd = document.querySelector('.js-plotly-plot'), box = gd.getBoundingClientRect();
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            const med = v => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
            return gd.data.map(t => [box.left + xa._offset + xa.l2p(med(t.x)), box.top + ya._offset + ya.l2p(med(t.y)), t.name]);
        }""")
        page.screenshot(path=str(tmp_path / "crowded.png"))
    assert len(boxes) == 12  # the 12 largest stories are named
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert min(a[2], b[2]) <= max(a[0], b[0]) or min(a[3], b[3]) <= max(a[1], b[1]), (a[4], b[4])
    for left, top, right, bottom, text in boxes:
        number = text.split()[2]
        for x, y, name in centres:
            if name.split()[2] != number:  # "Story number N ..." (N)
                assert not (left < x < right and top < y < bottom), (text, name)
    assert (tmp_path / "crowded.png").stat().st_size > 10_000


def test_a_click_on_a_story_opens_its_page(tmp_path):
    pages = tmp_path / "stories" / "pages"
    pages.mkdir(parents=True)
    (pages / "story_20240302-1.html").write_text("<html><title>story page</title><body>Story 1</body></html>")
    path = _map(tmp_path, pages_dir=pages)
    with browser_page() as page:
        page.goto(path.as_uri())
        page.wait_for_selector(".legend .traces")
        x, y = page.evaluate("""() => {
            const gd = document.querySelector('.js-plotly-plot'), box = gd.getBoundingClientRect();
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            const t = gd.data.findIndex(d => d.customdata && d.customdata[0] === '20240302-1');
            return [box.left + xa._offset + xa.l2p(gd.data[t].x[0]), box.top + ya._offset + ya.l2p(gd.data[t].y[0])];
        }""")
        page.mouse.move(x, y)
        assert "click: the story's page" in page.locator(".hoverlayer .hovertext").first.text_content()
        page.mouse.click(x, y)
        page.wait_for_url("**/stories/pages/story_20240302-1.html")
        assert page.title() == "story page"
