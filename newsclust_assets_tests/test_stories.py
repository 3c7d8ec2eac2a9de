"""Stories over time: the tracker on a scripted stream with known transitions, the stream
scores and the timeline page (the stories asset itself: test_assets_sample.py, test_ranges.py)."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from newsclust_assets.evaluation import story_stream
from newsclust_assets.evaluation.stream import read_first_ids, stream_scores
from newsclust_assets.maps.page_parts import shorten
from newsclust_assets.stories.timeline import LEGEND_CHARS, build_timeline, story_colour, write_timeline
from newsclust_assets.stories.tracking import TrackSettings, advance


def _frame(ids, labels, names=None):
    return pd.DataFrame(
        {
            "id": ids,
            "label": labels,
            "cluster_name": names or [f"{lab}: story {lab}" for lab in labels],
            "date": "2024-05-01",
            "headline": [f"headline {i}" for i in ids],
        }
    )


def _unit(rows):
    rows = np.asarray(rows, float)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_scripted_stream_finds_every_transition_on_its_day():
    reports, letter_of = story_stream.track()
    for number, (day, report) in enumerate(reports, 1):
        assert story_stream.letter_events(report.events, letter_of) == story_stream.EXPECTED[number], day
    # ids: one per story of the script, never reused, named by birth day
    born = [e["story"] for _, r in reports for e in r.events if e["event"] in ("born", "split")]
    assert len(born) == len(set(born)) == 6
    assert sorted(letter_of.values()) == ["A", "A2", "B", "C", "D", "E"]
    assert all(re.fullmatch(r"2024050[1-7]-\d+", sid) for sid in born)
    # C returned with its old id; B's articles now carry A's id and the lineage says so
    day3 = reports[2][1]
    a_id = next(s for s, letter in letter_of.items() if letter == "A")
    b_id = next(s for s, letter in letter_of.items() if letter == "B")
    assert set(day3.articles.loc[day3.articles["id"].str.startswith("B-"), "story"]) == {a_id}
    assert set(day3.articles.loc[day3.articles["id"].str.startswith("B-"), "first_story"]) == {b_id}
    b_row = day3.stories.set_index("story").loc[b_id]
    assert (b_row["status"], b_row["merged_into"]) == ("merged", a_id)
    day7 = reports[6][1].stories.set_index("story")
    c_id = next(s for s, letter in letter_of.items() if letter == "C")
    assert (day7.loc[c_id, "event"], day7.loc[c_id, "born"], day7.loc[c_id, "status"]) == (
        "returned",
        "2024-05-01",
        "active",
    )
    a2 = next(s for s, letter in letter_of.items() if letter == "A2")
    assert reports[3][1].stories.set_index("story").loc[a2, "parents"] == a_id
    # merges and splits are not counted as unstable ids
    assert all(r.changed_ids == 0 for _, r in reports)
    assert reports[1][1].compared_ids == 12 + 3 - 3  # A 5, B 4, C 3 clustered on both days 1 and 2


def test_tracking_is_deterministic_and_days_must_go_forward():
    first, _ = story_stream.track()
    second, _ = story_stream.track()
    for (_, a), (_, b) in zip(first, second):
        pd.testing.assert_frame_equal(a.articles, b.articles)
        pd.testing.assert_frame_equal(a.stories, b.stories)
    state, _ = advance(None, "2024-05-02", _frame(["a", "b"], [0, 0]), _unit([[1, 0], [1, 0.1]]))
    with pytest.raises(ValueError, match="days must go forward"):
        advance(state, "2024-05-02", _frame(["a", "b"], [0, 0]), _unit([[1, 0], [1, 0.1]]))


def test_first_day_all_born_and_noise_gets_no_story():
    state, report = advance(
        None,
        "2024-05-01",
        _frame(["a", "b", "c", "d"], [0, 0, -1, 1]),
        _unit([[1, 0, 0], [1, 0.1, 0], [0, 0, 1], [0, 1, 0]]),
    )
    assert report.counts["born"] == 2 and report.counts["active"] == 2
    assert set(report.articles["id"]) == {"a", "b", "d"}  # c is noise
    assert state.current == {"a": "20240501-1", "b": "20240501-1", "d": "20240501-2"}  # the larger cluster first


def test_name_is_kept_until_a_third_of_the_story_is_new():
    vec = _unit([[1, 0.01 * i] for i in range(12)])
    ids = [f"a{i}" for i in range(12)]
    state, r1 = advance(None, "2024-05-01", _frame(ids[:6], [0] * 6, ["0: First name"] * 6), vec[:6])
    assert r1.stories["name"].tolist() == ["First name"]  # the window's label number is not part of a story name
    state, r2 = advance(state, "2024-05-02", _frame(ids[:8], [0] * 8, ["0: Second name"] * 8), vec[:8])
    assert r2.stories["name"].tolist() == ["First name"]  # 2 of 8 new: kept
    state, r3 = advance(state, "2024-05-03", _frame(ids, [0] * 12, ["0: Third name"] * 12), vec)
    assert r3.stories["name"].tolist() == ["Third name"]  # 6 of 12 new since it was named: renamed


def test_changed_ids_count_articles_moved_outside_merges_and_splits():
    vec = _unit([[1, 0], [1, 0.05], [0.8, 0.6], [0, 1], [0.05, 1], [0.1, 1]])
    ids = list("abcdef")
    state, _ = advance(None, "2024-05-01", _frame(ids, [0, 0, 0, 1, 1, 1]), vec)
    # c (between the two subjects) moves to the other story, whose articles stay together;
    # the clusters stay two subjects on both days (mean cross cosine about 0.25)
    state, report = advance(state, "2024-05-02", _frame(ids, [0, 0, 1, 1, 1, 1]), vec)
    assert (report.changed_ids, report.compared_ids) == (1, 6)
    assert report.counts["continued"] == 2 and report.counts["born"] == 0


def test_one_subject_in_two_window_clusters_is_one_story():
    """The window's news time keeps one subject on far-apart days in two clusters (0, 1):
    with join_clusters they are one story; a third subject (2) stays its own."""
    from newsclust_assets.artifacts import WindowGraph
    from newsclust_assets.clustering.window_clustering import ClusterSettings, label_window
    from newsclust_assets.vectors.knn_graph import symmetric_graph

    vec = _unit([[1, 0, 0], [1, 0.1, 0], [1, 1.3, 0], [1, 1.4, 0], [0, 0, 1], [0, 0.1, 1]])  # a-d: cos 0.63
    ids = list("abcdef")
    dates = ["2024-05-01", "2024-05-01", "2024-05-20", "2024-05-20", "2024-05-20", "2024-05-20"]
    rows, cols = np.nonzero(~np.eye(6, dtype=bool))
    graph = WindowGraph(
        pd.DataFrame({"id": ids, "headline": ids, "text": ids, "date": dates, "category": "x"}),
        vec,
        symmetric_graph(6, rows, cols, np.full(rows.size, 0.5)),
        5,
        "COSINE",
        "",
        "",
    )
    # time_scale 1: a gap of one article costs the full 0.4 here, as a day of a dense stream does
    timed = label_window(graph, ClusterSettings(time_scale=1.0)).frame["label"].tolist()
    assert len(set(timed[:4])) == 2 and timed[4] == timed[5] != timed[0]
    frame = _frame(ids, timed)
    frame["date"] = dates
    _, report = advance(None, "2024-05-20", frame, vec, TrackSettings(join_clusters=True))
    story = dict(zip(report.articles["id"], report.articles["story"]))
    assert story["a"] == story["c"] and story["e"] == story["f"] != story["a"]
    assert report.counts["joined"] == 1 and report.counts["born"] == 2 and report.counts["active"] == 2
    _, apart = advance(None, "2024-05-20", frame, vec)  # the default: one story per cluster
    assert apart.counts["joined"] == 0 and apart.counts["born"] == 3


def test_windows_that_share_no_days_continue_by_content():
    """Daily windows (W = 1): no shared articles, so a story continues by mean cosine."""
    state, _ = advance(
        None,
        "2024-05-01",
        _frame(["a", "b", "x", "y"], [0, 0, 1, 1]),
        _unit([[1, 0, 0], [1, 0.1, 0], [0, 1, 0], [0, 1, 0.1]]),
    )
    state, report = advance(
        state, "2024-05-02", _frame(["c", "d", "z"], [0, 0, -1]), _unit([[1, 0.05, 0], [1, 0, 0.05], [0, 0, 1]])
    )
    assert [(e["event"], e["story"]) for e in report.events] == [("continued", "20240501-1"), ("ended", "20240501-2")]
    strict = TrackSettings(similarity_threshold=0.999)
    state2, _ = advance(None, "2024-05-01", _frame(["a", "b"], [0, 0]), _unit([[1, 0], [1, 0.1]]), strict)
    _, report = advance(state2, "2024-05-02", _frame(["c", "d"], [0, 0]), _unit([[1, 0.3], [1, 0.2]]), strict)
    assert report.counts["born"] == 1 and report.counts["continued"] == 0


def test_stream_scores_exact_on_hand_made_ids():
    truth = {"a": "S", "b": "S", "c": "S", "d": "T", "e": "T", "f": ""}
    first = {"a": "1", "b": "1", "c": "2", "d": "3", "e": "3"}
    s = stream_scores(truth, first, {"2": "1"})
    # causal pairs: (a,b), (d,e) predicted; true pairs: ab, ac, bc, de
    assert s["pairwise_precision"] == 1.0 and s["pairwise_recall"] == pytest.approx(0.5)
    assert s["pairwise_f1"] == pytest.approx(2 / 3)
    assert s["pairwise_f1_merges_followed"] == pytest.approx(1.0)  # 2 merged into 1
    assert (s["ids_per_story"], s["stories_per_id"]) == (1.5, 1.0)
    assert (s["articles"], s["stories"], s["story_ids"]) == (5, 2, 3)
    never = stream_scores({"a": "S", "b": "S"}, {}, {})
    assert never["pairwise_recall"] == 0.0 and never["clustered"] == 0


def test_timeline_page_has_top_stories_escaped_and_colours_stable(tmp_path):
    days = pd.DataFrame(
        [
            {
                "day": "2024-05-01",
                "story": "s1",
                "name": "<b>Big</b> story",
                "articles": 5,
                "event": "born",
                "other": "",
            },
            {
                "day": "2024-05-02",
                "story": "s1",
                "name": "<b>Big</b> story",
                "articles": 9,
                "event": "continued",
                "other": "",
            },
            {"day": "2024-05-02", "story": "s2", "name": "Small", "articles": 2, "event": "split", "other": "s1"},
            {"day": "2024-05-02", "story": "s3", "name": "Tiny", "articles": 1, "event": "born", "other": ""},
        ]
    )
    path = write_timeline(days, tmp_path / "t" / "timeline.html", top=2)
    html = path.read_text()
    traces = json.loads(re.search(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*(\[.*?\]),\s*\{", html, re.S).group(1))
    lines = [t for t in traces if t.get("type") == "bar"]
    assert [t["name"] for t in lines] == ["&lt;b&gt;Big&lt;/b&gt; story (s1)", "Small (s2)", "other stories (1)"]
    assert lines[0]["y"] == [5, 9] and lines[0]["marker"]["color"] == story_colour("s1")
    assert "<b>Big</b>" not in html  # the name reaches the page escaped (the parsed names above)
    assert len(list((tmp_path / "t").glob("plotly-*.min.js"))) == 1  # offline: plotly.js beside the page
    assert story_colour("s1") == story_colour("s1") and story_colour("s1") != story_colour("s2")


def test_evaluate_reads_the_stream_files(tmp_path):
    (tmp_path / "story_articles_2024-05-01.csv").write_text("id,first_story\na,1\nb,1\n")
    (tmp_path / "story_articles_2024-05-02.csv").write_text("id,first_story\na,1\nc,2\n")
    (tmp_path / "stories_2024-05-02.csv").write_text("story,merged_into\n1,\n2,1\n")
    first, merged = read_first_ids(tmp_path)
    assert first == {"a": "1", "b": "1", "c": "2"} and merged == {"2": "1"}


def test_timeline_draws_articles_per_day_over_exactly_the_days_shown(tmp_path):
    rows = [
        ("2024-05-01", "s1", "A long story name about the harbour bridge reopening after repairs", 40, 12, "born"),
        ("2024-05-02", "s1", "A long story name about the harbour bridge reopening after repairs", 46, 6, "continued"),
        ("2024-05-04", "s1", "A long story name about the harbour bridge reopening after repairs", 47, 1, "continued"),
        ("2024-05-02", "s2", "Storm warning", 3, 3, "born"),
        ("2024-05-04", "s2", "Storm warning", 0, 0, "ended"),
    ]
    days = pd.DataFrame(rows, columns=["day", "story", "name", "articles", "new_articles", "event"]).assign(other="")
    path = write_timeline(days, tmp_path / "timeline.html", top=5, title="stories to 2024-05-05", last_day="2024-05-05")
    html = path.read_text()
    traces = json.loads(re.search(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*(\[.*?\]),\s*\{", html, re.S).group(1))
    lines = {t["name"]: t for t in traces if t.get("type") == "bar"}
    bridge = next(t for n, t in lines.items() if n.endswith("(s1)"))
    # the articles each day brought, not the window's running count (40, 46, 47)
    assert bridge["x"] == ["2024-05-01", "2024-05-02", "2024-05-03", "2024-05-04", "2024-05-05"]
    assert bridge["y"] == [12, 6, 0, 1, 0]
    # a long name is cut at a word with "…", the legend has every story, the page a <title>
    name = bridge["name"].rsplit(" (", 1)[0]
    assert name.endswith("\u2026") and len(name) <= LEGEND_CHARS and name[:-1] in rows[0][2]
    assert not name[:-1].endswith(("harbo", "bri", "reo"))  # not mid-word
    assert {n.rsplit(" (", 1)[1] for n in lines} == {"s1)", "s2)"}
    assert "<title>stories to 2024-05-05</title>" in html
    layout = build_timeline(days, 5, "stories to 2024-05-05", "2024-05-05").layout
    assert tuple(layout.xaxis.range) == ("2024-04-30 12:00", "2024-05-05 12:00")  # whole first and last bars
    assert "2024-05-01 to 2024-05-05 (5 days)" in layout.title.text
    assert layout.height >= 190 + 30 * 2 and layout.barmode == "stack"
    # the birth of s2 on 05-02 is marked on top of its block, above s1's 6 of that day
    events = next(t for t in traces if t.get("mode") == "markers")
    assert ("2024-05-02", 6 + 3) in list(zip(events["x"], events["y"]))


def test_shorten_cuts_at_a_word_with_an_ellipsis():
    assert shorten("short", 10) == "short"
    assert shorten("Fifth-Largest Lottery Jackpot Won In Ohio", 16) == "Fifth-Largest\u2026"
    assert shorten("abcdefghijklmnop", 8) == "abcdefg\u2026"  # one word: cut it, still marked
