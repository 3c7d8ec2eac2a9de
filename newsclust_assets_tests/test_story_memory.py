"""Stories that hold up over time: new articles continue a story only when they match its
whole history, with the clustering's time rule; every story is remembered (in memory and
in the Milvus story store, Lite and server), so a story can return after any gap."""

import datetime as dt

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from newsclust_assets.runs.planning import resolved
from newsclust_assets.stories import story_memory
from newsclust_assets.stories.tracking import MemoryArchive, TrackSettings, advance, news_positions
from newsclust_assets.vectors.milvus_store import open_client

from .conftest import ALL_ASSETS, make_resources, sample_rows, write_jsonl
from .servers import STANDALONE

DIM = 16


def _axis(i: int) -> np.ndarray:
    v = np.zeros(DIM)
    v[i] = 1.0
    return v


def _around(axis: np.ndarray, n: int, seed: int, spread: float = 0.15) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = axis + rng.normal(scale=spread, size=(n, DIM))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _tilted(cos: float) -> np.ndarray:
    """A unit axis at cosine ``cos`` to axis 0."""
    return cos * _axis(0) + np.sqrt(1 - cos**2) * _axis(1)


def _window(day: str, groups: list[tuple[list[str], np.ndarray, str]], noise: int = 0, seed: int = 0):
    """A window frame and vectors: each group (ids, vectors, date) one cluster; ``noise``
    unclustered background articles dated ``day``."""
    rows, vecs = [], []
    for label, (ids, v, date) in enumerate(groups):
        rows += [{"id": a, "label": label, "cluster_name": f"{label}: g", "date": date, "headline": a} for a in ids]
        vecs.append(v)
    if noise:
        rows += [
            {"id": f"bg-{day}-{i}", "label": -1, "cluster_name": "noise", "date": day, "headline": "bg"}
            for i in range(noise)
        ]
        vecs.append(_around(_axis(5), noise, seed + 99, spread=2.0))
    return pd.DataFrame(rows), np.vstack(vecs)


def _first(report) -> dict:
    return dict(zip(report.articles["id"], report.articles["first_story"]))


def test_news_positions_count_a_dense_day_as_at_most_the_cap():
    assert news_positions({"2024-01-01": 10, "2024-01-02": 4}) == {"2024-01-01": 5.0, "2024-01-02": 12.0}
    assert news_positions({"2024-01-01": 4000, "2024-01-02": 3000}, day_cap=60) == {
        "2024-01-01": 30.0,
        "2024-01-02": 90.0,
    }


def test_the_history_gate_keeps_new_articles_that_do_not_match_the_story_apart():
    """The window put five new articles with story A's five, but they are another subject
    (cosine 0.2 to A): with the history gate on they get a story of their own, recorded as
    split from A; off (the default since 2026-12-07: it cost recall on every stream with
    overlapping windows) the window's decision stands and they take A's id."""
    gate = TrackSettings(gate_new=True)
    a = [f"a{i}" for i in range(5)]
    b = [f"b{i}" for i in range(5)]
    va, vb = _around(_axis(0), 5, 1), _around(_tilted(0.2), 5, 2)
    state, day1 = advance(None, "2024-05-01", *_window("2024-05-01", [(a, va, "2024-05-01")]), gate)
    story_a = _first(day1)["a0"]
    frame, vectors = _window("2024-05-02", [(a + b, np.vstack([va, vb]), "2024-05-01")])
    frame.loc[frame["id"].isin(b), "date"] = "2024-05-02"
    _, day2 = advance(state, "2024-05-02", frame, vectors, gate)
    first = _first(day2)
    assert {first[x] for x in a} == {story_a}
    assert len({first[x] for x in b}) == 1 and first["b0"] != story_a
    assert ("split", first["b0"], story_a) in {(e["event"], e["story"], e["other"]) for e in day2.events}
    _, default = advance(state, "2024-05-02", frame, vectors)
    assert not TrackSettings().gate_new and _first(default)["b0"] == story_a


@pytest.mark.parametrize(("days_apart", "continues"), [(1, True), (9, False)])
def test_the_tracker_keeps_the_clusterings_time_rule(days_apart, continues):
    """One subject (cosine 0.6) in a dense stream (1,000 articles a day): a day later it is
    the same story (loss 0.08); nine days later it is another (loss 0.4, as in one window)."""
    a = [f"a{i}" for i in range(6)]
    b = [f"b{i}" for i in range(6)]
    state, day1 = advance(
        None, "2024-05-01", *_window("2024-05-01", [(a, _around(_axis(0), 6, 1), "2024-05-01")], noise=1000)
    )
    later = (dt.date(2024, 5, 1) + dt.timedelta(days=days_apart)).isoformat()
    for d in range(2, days_apart):  # the days between: other news only
        day = (dt.date(2024, 5, 1) + dt.timedelta(days=d - 1)).isoformat()
        state, _ = advance(state, day, *_window(day, [], noise=1000, seed=d))
    _, report = advance(
        state, later, *_window(later, [(b, _around(_tilted(0.6), 6, 2, spread=0.05), later)], noise=1000)
    )
    assert (_first(report)["b0"] == _first(day1)["a0"]) is continues


def test_a_story_returns_after_any_gap_from_the_archive():
    """A story unseen for 90 days (beyond return_days = 30) returns with its id from the
    archive; without one it is born again."""
    a = [f"a{i}" for i in range(5)]
    b = [f"b{i}" for i in range(5)]
    va, vb = _around(_axis(0), 5, 1), _around(_axis(0), 5, 2)
    for archive, returns in ((MemoryArchive(), True), (None, False)):
        state, day1 = advance(None, "2024-01-01", *_window("2024-01-01", [(a, va, "2024-01-01")]), archive=archive)
        state, _ = advance(state, "2024-02-15", *_window("2024-02-15", [], noise=3), archive=archive)
        assert _first(day1)["a0"] not in state.stories  # gone from the state
        state, back = advance(state, "2024-03-31", *_window("2024-03-31", [(b, vb, "2024-03-31")]), archive=archive)
        assert (_first(back)["b0"] == _first(day1)["a0"]) is returns
        if returns:
            assert ("returned", _first(day1)["a0"], "") in {(e["event"], e["story"], e["other"]) for e in back.events}


STORY_DAYS = ["2024-03-01", "2024-03-02"]


def _materialize_stories(resources, instance):
    for day in STORY_DAYS:
        for selection in (
            ["raw_news", "embeddings", "milvus_collection"],
            ["knn_distances", "cluster_labels"],
            ["stories"],
        ):
            assert dg.materialize(
                ALL_ASSETS, selection=selection, partition_key=day, instance=instance, resources=resources
            ).success


def _check_store(resources, instance):
    _materialize_stories(resources, instance)
    with resolved(resources["milvus"]) as milvus:  # a token as dagster.EnvVar, resolved
        where = (milvus.uri, milvus.token, milvus.db_name)
        name = story_memory.collection_for(milvus.collection_name)
    articles = pd.read_csv(resources["story_store"].articles_path(STORY_DAYS[-1]), dtype=str)
    with open_client(*where) as client:
        client.load_collection(name)
        latest = story_memory.latest_before(client, name, "2024-03-03")
        assert set(articles["story"]) <= set(latest)  # every story of the last day is stored
        # a story's own article finds it first
        sid = articles["story"].value_counts().index[0]
        headline = articles.loc[articles["story"] == sid, "headline"].iloc[0]
        vector = resources["embedder"].embed([headline]).vectors[0]
        hits = story_memory.search(client, name, vector, 3)
        assert hits[0]["story"] == sid and hits[0]["members"] == latest[sid].history_n
        # re-running the last day replaces its rows: one row per story and day, never more
        before = client.query(name, filter="day >= 0", output_fields=["id"], limit=16384)
    again = dg.materialize(
        ALL_ASSETS, selection=["stories"], partition_key=STORY_DAYS[-1], instance=instance, resources=resources
    )
    assert again.success
    with open_client(*where) as client:
        client.load_collection(name)
        after = client.query(name, filter="day >= 0", output_fields=["id"], limit=16384)
    assert sorted(r["id"] for r in after) == sorted(r["id"] for r in before)
    return sid, headline


def test_story_store_on_milvus_lite_and_story_search(tmp_path, instance, monkeypatch, capsys):
    from newsclust_assets.cli import main

    source = write_jsonl(tmp_path / "news.jsonl", sample_rows(STORY_DAYS[0], STORY_DAYS[-1]))
    resources = make_resources(tmp_path, source)
    sid, headline = _check_store(resources, instance)
    monkeypatch.setenv("NEWSCLUST_DATA_DIR", str(tmp_path))  # where make_resources put Milvus Lite
    monkeypatch.setenv("NEWSCLUST_SOURCE", str(source))
    capsys.readouterr()
    assert main(["story-search", headline, "--top", "2"]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines()[0].startswith(f"{sid}  cosine ") and len(out.out.splitlines()) == 2
    assert "Traceback" not in out.out + out.err
    monkeypatch.setenv("NEWSCLUST_DATA_DIR", str(tmp_path / "empty"))
    assert main(["story-search", headline]) == 1
    assert "no story store in" in capsys.readouterr().err


@pytest.mark.xdist_group(STANDALONE)
def test_story_store_on_a_milvus_server(tmp_path, instance, monkeypatch):
    """The story store on Milvus 2.3.5 standalone with authorization on: its collection, its
    reads right after its writes (strong consistency) and its searches."""
    from newsclust_assets.resources import MilvusResource

    from .servers import MilvusStandalone

    server = MilvusStandalone(tmp_path / "milvus_data", auth=True).start()
    monkeypatch.setenv("NEWSCLUST_TEST_MILVUS_TOKEN", server.token)
    try:
        source = write_jsonl(tmp_path / "news.jsonl", sample_rows(STORY_DAYS[0], STORY_DAYS[-1]))
        resources = make_resources(tmp_path, source)
        resources["milvus"] = MilvusResource(uri=server.uri, token=dg.EnvVar("NEWSCLUST_TEST_MILVUS_TOKEN"))
        _check_store(resources, instance)
    finally:
        server.kill()
