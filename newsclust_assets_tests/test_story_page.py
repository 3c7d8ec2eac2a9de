"""Story pages: one offline page per story with its articles by day, its size per day and its
lineage, built from the registry files; read in a real Chromium."""

from pathlib import Path

import pandas as pd

from newsclust_assets.stories.story_page import write_story_pages
from newsclust_assets.stories.tracking import STORY_COLUMNS

from .browser import browser_page


def _registry():
    """Two days of the registry (the columns the tracker writes): a story, and one that merges into it."""
    one, two = "20240501-1", "20240501-2"
    rows = [
        {"day": "2024-05-01", "story": one, "name": "Bridge closes [bridge]", "event": "born", "articles": 2},
        {"day": "2024-05-01", "story": two, "name": "Bridge repair vote [vote]", "event": "born", "articles": 1},
        {"day": "2024-05-02", "story": one, "name": "Bridge closes [bridge]", "event": "continued", "articles": 3},
        {"day": "2024-05-02", "story": two, "name": "Bridge repair vote [vote]", "status": "merged", "event": "merged"}
        | {"other": one, "merged_into": one, "articles": 0},
    ]
    frame = pd.DataFrame(rows).reindex(columns=["day", *STORY_COLUMNS])
    return frame.fillna({"status": "active"}).fillna("")


def _articles():
    rows = [
        ("2024-05-01", "a1", "20240501-1", "2024-05-01", "Bridge <b>closes</b>", "https://news.example/a1"),
        ("2024-05-01", "a2", "20240501-1", "2024-05-01", "Traffic diverted", "javascript:alert(1)"),
        ("2024-05-01", "b1", "20240501-2", "2024-05-01", "Council to vote on repair", ""),
        ("2024-05-02", "a1", "20240501-1", "2024-05-01", "Bridge <b>closes</b>", "https://news.example/a1"),
        ("2024-05-02", "a2", "20240501-1", "2024-05-01", "Traffic diverted", "javascript:alert(1)"),
        ("2024-05-02", "b1", "20240501-1", "2024-05-01", "Council to vote on repair", ""),
        ("2024-05-02", "a3", "20240501-1", "2024-05-02", "Repairs to take a month", "https://news.example/a3"),
    ]
    return pd.DataFrame(rows, columns=["day", "id", "story", "date", "headline", "link"])


def test_story_pages_list_the_articles_the_lineage_and_nothing_unsafe(tmp_path):
    pages = write_story_pages(_registry(), _articles(), ["20240501-1", "20240501-2", "19990101-1"], tmp_path)
    assert sorted(pages) == ["20240501-1", "20240501-2"]  # an id no registry day names gets no page
    main = pages["20240501-1"].read_text()
    assert main.count("<li data-id=") == 4  # a1, a2, b1 (merged in), a3: each once
    assert "Bridge &lt;b&gt;closes&lt;/b&gt;" in main and "<b>closes" not in main
    assert 'href="https://news.example/a1"' in main and "javascript:" not in main  # only http(s) links
    assert "2024-05-02 (1)" in main and "2024-05-01 (3)" in main  # by publication date
    merged = pages["20240501-2"].read_text()
    assert merged.count("<li data-id=") == 1 and '(now in <a href="story_20240501-1.html">' in merged
    assert "merged into" in merged and "1 now in other stories" in merged


def test_a_story_page_in_chromium(tmp_path):
    pages = write_story_pages(_registry(), _articles(), ["20240501-1", "20240501-2"], tmp_path)
    with browser_page(1000, 1200) as page:
        page.goto(pages["20240501-2"].as_uri())
        assert page.title() == "Bridge repair vote [vote] - newsclust story 20240501-2"
        assert page.locator("li[data-id]").count() == 1
        page.locator("li[data-id] a", has_text="20240501-1").click()  # now in: the story it merged into
        page.wait_for_url("**/story_20240501-1.html")
        assert page.locator("#story-id").text_content() == "20240501-1"
        ids = page.eval_on_selector_all("li[data-id]", "els => els.map(e => e.dataset.id)")
        assert sorted(ids) == ["a1", "a2", "a3", "b1"]
        bars = page.eval_on_selector_all("svg.per-day rect", "els => els.map(e => [e.dataset.day, +e.dataset.n])")
        assert bars == [["2024-05-01", 3], ["2024-05-02", 1]]
        page.screenshot(path=str(tmp_path / "story.png"))
        assert page.dialogs == []


def test_newsclust_story_page_writes_any_storys_page(tmp_path, monkeypatch, capsys):
    """``newsclust story-page ID`` reads the registry ``newsclust run`` left under the data
    directory, writes the page and prints its path; an unknown id is one line, exit 1."""
    from newsclust_assets.cli import main

    store = tmp_path / "data" / "stories"
    store.mkdir(parents=True)
    registry, articles = _registry(), _articles()
    for day in ("2024-05-01", "2024-05-02"):
        registry[registry["day"] == day].drop(columns="day").to_csv(store / f"stories_{day}.csv", index=False)
        articles[articles["day"] == day].drop(columns="day").to_csv(store / f"story_articles_{day}.csv", index=False)
    monkeypatch.setenv("NEWSCLUST_DATA_DIR", str(tmp_path / "data"))
    assert main(["story-page", "20240501-1"]) == 0
    path = capsys.readouterr().out.strip()
    assert path == str(store / "pages" / "story_20240501-1.html")
    assert Path(path).read_text().count("<li data-id=") == 4
    assert main(["story-page", "20990101-9"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"newsclust story-page: no story 20990101-9 in 2 registry days in {store} (ids look like 20240301-2; newsclust story-search finds them)"
    ]
