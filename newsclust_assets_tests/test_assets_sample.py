"""The real assets, materialized with dagster.materialize on real partitions of the
shipped sample, with Milvus Lite under a temp dir and the real offline model."""

import json
import re
from collections import Counter
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from newsclust_assets.assets.knn import KnnConfig
from newsclust_assets.maps.map_plot import LEGEND_CHARS
from newsclust_assets.maps.page_parts import shorten
from newsclust_assets.stories.timeline import story_colour
from newsclust_assets.vectors.milvus_store import open_client

from .conftest import AFTER_DAILY, ALL_ASSETS, CALENDAR, DAILY, make_resources, md, quiet_instance, sample_rows
from .test_map_plot import plotly_traces

LAST = "2024-03-14"


def checks(result):
    return {(e.asset_key.path[-1], e.check_name): e for e in result.get_asset_check_evaluations()}


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sample")
    resources = make_resources(tmp)
    (tmp / "home").mkdir()
    with quiet_instance(tmp / "home") as instance:
        daily = {}
        for key in CALENDAR.daily.get_partition_keys():
            daily[key] = dg.materialize(
                ALL_ASSETS, selection=DAILY, partition_key=key, instance=instance, resources=resources
            )
        window = dg.materialize(
            ALL_ASSETS, selection=AFTER_DAILY, partition_key=LAST, instance=instance, resources=resources
        )
        yield {"tmp": tmp, "resources": resources, "instance": instance, "daily": daily, "window": window}


def test_partitions_cover_the_sample():
    keys = CALENDAR.daily.get_partition_keys()
    assert keys[0] == "2024-03-01" and keys[-1] == LAST and len(keys) == 14


def test_daily_assets_store_every_article_once(sample_run):
    expected = Counter(r["date"] for r in sample_rows())
    for key, result in sample_run["daily"].items():
        assert result.success
        raw = result.output_for_node("raw_news")
        assert len(raw) == expected[key]
        assert md(result, "raw_news")["dagster/row_count"] == expected[key]
        assert md(result, "raw_news")["skipped_malformed"] == 0
        emb = result.output_for_node("embeddings")
        assert emb.vectors.shape == (expected[key], 384) and str(emb.vectors.dtype) == "float32"
        assert list(emb.articles["id"]) == list(raw["id"])
        meta = md(result, "embeddings")
        assert (meta["model"], meta["dimension"], meta["dagster/row_count"]) == ("all-MiniLM-L6-v2", 384, expected[key])
        assert meta["docs_per_second"] > 0
        assert md(result, "milvus_collection")["dagster/row_count"] == expected[key]
        assert all(c.passed for c in checks(result).values())
        assert set(checks(result)) == {
            ("embeddings", "dimension_matches_collection"),
            ("milvus_collection", "no_duplicate_ids_for_day"),
        }
    last = md(sample_run["daily"][LAST], "milvus_collection")
    assert last["collection_total_rows"] == 211


def test_rematerializing_days_never_duplicates(sample_run):
    for key in ("2024-03-05", "2024-03-06"):
        result = dg.materialize(
            ALL_ASSETS,
            selection=DAILY,
            partition_key=key,
            instance=sample_run["instance"],
            resources=sample_run["resources"],
        )
        meta = md(result, "milvus_collection")
        assert meta["collection_total_rows"] == 211
        assert meta["rows_new"] == 0 and meta["rows_replaced"] == meta["dagster/row_count"]
    with open_client(sample_run["resources"]["milvus"].uri) as c:
        c.load_collection("news")
        assert c.query("news", filter="day >= 0", output_fields=["count(*)"])[0]["count(*)"] == 211


def test_window_graph_labels_and_metadata(sample_run):
    result = sample_run["window"]
    assert result.success
    graph = result.output_for_node("knn_distances")
    assert graph.n == 211 and graph.distances.shape == (211, 211)
    assert (graph.distances != graph.distances.T).nnz == 0
    assert graph.vectors.shape == (211, 384)
    knn_md = md(result, "knn_distances")
    assert knn_md["articles"] == 211 and knn_md["window_first_day"] == "2024-02-14"
    assert knn_md["edges"] == graph.distances.nnz // 2 and knn_md["isolated_articles"] == 0
    assert knn_md["knn_method"] == "exact"  # the default for Milvus Lite
    labels = result.output_for_node("cluster_labels")
    assert labels.shape == (211, 9)
    assert sorted(labels["id"]) == sorted(graph.articles["id"])
    n_clusters = labels["label"].max() + 1
    assert n_clusters > 5
    assert set(labels["label"]) <= set(range(-1, n_clusters))
    assert labels.loc[labels["label"] < 0, "probability"].eq(0).all()
    meta = md(result, "cluster_labels")
    assert meta["clusters"] == n_clusters
    assert meta["noise_share"] == pytest.approx((labels["label"] < 0).mean(), abs=1e-4)
    assert meta["ari_all_vs_category"] > 0.3 and meta["nmi_all_vs_category"] > 0.5
    table = meta["clusters_table"]  # a metadata table: the UI shows it in place
    assert [c.name for c in table.schema.columns] == [
        "cluster",
        "size",
        "central_headline",
        "top_words",
        "other_headlines",
    ]
    assert len(table.records) == n_clusters + 1  # one row per cluster, then the noise row
    assert [r.data["cluster"] for r in table.records] == [*map(str, range(n_clusters)), "noise"]
    assert sum(r.data["size"] for r in table.records) == 211
    assert all(c.passed for c in checks(result).values())
    # the sample carries a story field: the window is scored against it, noise as singletons
    assert meta["story_articles"] == 211 and meta["story_stories"] == 28
    assert meta["story_pairwise_f1"] >= 0.95 and meta["story_ari"] >= 0.95
    assert "singleton" in meta["story_noise_convention"]
    assert meta["algorithm"] == "average_linkage" and meta["noise_attached"] >= 0
    exported = pd.read_csv(meta["labels_csv"])
    assert exported["id"].tolist() == labels["id"].tolist()
    assert exported["label"].tolist() == labels["label"].tolist()
    # a multi-day story ends up in one cluster: the transit strike headlines share a label
    strike = labels[labels["headline"].str.contains("Harbor City Transit")]
    assert len(strike) >= 5 and strike["label"].value_counts().iloc[0] >= 0.8 * len(strike)


def test_map_file_contents(sample_run):
    meta = md(sample_run["window"], "umap_plot")
    labels = sample_run["window"].output_for_node("cluster_labels")
    html = Path(meta["path"]).read_text()
    traces = plotly_traces(html)
    assert sum(len(t["x"]) for t in traces) == 211 == meta["points"]
    names = {t["name"] for t in traces}
    stories = sample_run["window"].output_for_node("stories").articles
    for _, group in stories.groupby("story"):
        name = group["story_name"].iloc[0]
        shown = shorten(name, LEGEND_CHARS)  # long names cut at a word, with "…"
        assert len(shown) <= LEGEND_CHARS and (shown == name or shown.endswith("\u2026"))
        assert f"{shown} ({len(group)})" in names  # one legend entry per story
    assert f"noise ({(labels['label'] < 0).sum()})" in names
    assert len(names) == stories["story"].nunique() + 1
    assert meta["url"].startswith("file://") and meta["path"].endswith(f"newsclust_map_{LAST}.html")


def test_rerun_is_deterministic(sample_run):
    again = dg.materialize(
        ALL_ASSETS,
        selection=AFTER_DAILY,
        partition_key=LAST,
        instance=sample_run["instance"],
        resources=sample_run["resources"],
    )
    first = sample_run["window"].output_for_node("cluster_labels")
    second = again.output_for_node("cluster_labels")
    assert first["id"].tolist() == second["id"].tolist()
    assert first["label"].tolist() == second["label"].tolist()
    assert json.dumps(md(again, "cluster_labels")["clusters"]) == json.dumps(
        md(sample_run["window"], "cluster_labels")["clusters"]
    )


def test_milvus_search_and_exact_knn_give_the_same_graph(sample_run):
    searched = dg.materialize(
        ALL_ASSETS,
        selection=["knn_distances"],
        partition_key=LAST,
        instance=sample_run["instance"],
        resources=sample_run["resources"],
        run_config=dg.RunConfig({"knn_distances": KnnConfig(method="milvus")}),
    )
    assert md(searched, "knn_distances")["knn_method"] == "milvus"
    by_search = searched.output_for_node("knn_distances").distances
    exact = sample_run["window"].output_for_node("knn_distances").distances
    assert (by_search != by_search.T).nnz == 0
    assert by_search.nnz == exact.nnz
    # The same edges, up to ties between exact duplicates (the sample re-runs some features
    # word for word): at the k-th place Milvus and numpy may pick different copies of one
    # text, at distances equal to float rounding. So edges are compared with every article
    # replaced by the first of its identical copies, and the distances as sorted lists.
    vectors = sample_run["window"].output_for_node("knn_distances").vectors
    _, first_copy = np.unique(vectors, axis=0, return_inverse=True)

    # Near-ties too: two neighbours of one article at distances within float32 rounding of each
    # other may swap at the k-th place (float32 in Milvus, float64 in numpy). Any edge that
    # differs must have such a twin in the same row on the other side.

    def edges(graph):
        coo = graph.tocoo()
        return Counter(zip(first_copy[coo.row].tolist(), first_copy[coo.col].tolist()))

    def distance(graph, i, j):
        coo = graph.tocoo()
        hit = (first_copy[coo.row] == i) & (first_copy[coo.col] == j)
        return float(coo.data[hit].min())

    only_search, only_exact = edges(by_search) - edges(exact), edges(exact) - edges(by_search)
    assert sum(only_search.values()) == sum(only_exact.values()) <= 4
    for i, j in only_search:
        twins = [distance(exact, a, b) for a, b in only_exact if {i, j} & {a, b}]
        assert twins and min(abs(distance(by_search, i, j) - d) for d in twins) <= 1e-5, (i, j)
    np.testing.assert_allclose(np.sort(by_search.data), np.sort(exact.data), atol=1e-5)
    with pytest.raises(Exception, match="method must be one of"):
        dg.materialize(
            ALL_ASSETS,
            selection=["knn_distances"],
            partition_key=LAST,
            instance=sample_run["instance"],
            resources=sample_run["resources"],
            run_config=dg.RunConfig({"knn_distances": KnnConfig(method="faiss")}),
        )


def test_hnsw_above_the_threshold_gives_nearly_the_exact_graph(sample_run):
    approx = dg.materialize(
        ALL_ASSETS,
        selection=["knn_distances", "cluster_labels"],
        partition_key=LAST,
        instance=sample_run["instance"],
        resources=sample_run["resources"],
        run_config=dg.RunConfig({"knn_distances": KnnConfig(approx_above=100)}),
    )
    assert md(approx, "knn_distances")["knn_method"] == "approx"  # 211 articles > 100: HNSW on Lite
    by_hnsw = approx.output_for_node("knn_distances").distances
    exact = sample_run["window"].output_for_node("knn_distances").distances
    assert (by_hnsw != by_hnsw.T).nnz == 0
    found = set(zip(*[a.tolist() for a in by_hnsw.tocoo().coords]))
    truth = set(zip(*[a.tolist() for a in exact.tocoo().coords]))
    assert len(found & truth) / len(truth) >= 0.98
    labels = approx.output_for_node("cluster_labels").set_index("id")["label"]
    exact_labels = sample_run["window"].output_for_node("cluster_labels").set_index("id")["label"]
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(exact_labels, labels.reindex(exact_labels.index)) >= 0.95


def test_stories_asset_on_the_sample(sample_run):
    window = sample_run["window"]
    meta = md(window, "stories")
    assert meta["previous_day"].startswith("none")  # the fixture materializes the last day alone
    assert meta["born"] == meta["active"] == md(window, "cluster_labels")["clusters"]
    top = meta["top_stories"]
    assert [c.name for c in top.schema.columns] == ["story", "name", "articles", "trend", "event", "born"]
    assert [r.data["articles"] for r in top.records] == sorted((r.data["articles"] for r in top.records), reverse=True)
    assert {r.data["trend"] for r in top.records} == {"new"}  # the fixture's day starts a registry
    articles = pd.read_csv(meta["articles_csv"])
    labels = window.output_for_node("cluster_labels")
    assert len(articles) == (labels["label"] >= 0).sum() == meta["dagster/row_count"]
    check = {c.check_name: c for c in window.get_asset_check_evaluations()}["story_ids_stable"]
    assert check.passed and check.metadata["articles_compared"].value == 0
    # the map is coloured and named by story id
    plot = md(window, "umap_plot")
    assert plot["stories"] == meta["active"]
    html = Path(plot["path"]).read_text()
    sid = min(articles["story"])  # placed first, so it keeps its own colour (no neighbour took it)
    assert f"story {sid}, first seen" in html and story_colour(sid) in html
    assert "<title>newsclust: the stories of 2024-03-" in html and "new articles," in html and "new stories" in html
    timeline = md(window, "story_timeline")
    assert timeline["path"].endswith(".html") and timeline["born_in_period"] == meta["born"]
    # one copy of plotly.js in the data directory: the timeline loads the maps' own
    page = Path(timeline["path"]).read_text()
    assert "<title>newsclust stories to 2024-03-14</title>" in page and 'src="../maps/plotly-' in page
    assert list(Path(timeline["path"]).parent.glob("plotly-*.js")) == []
    assert len(list(Path(plot["path"]).parent.glob("plotly-*.min.js"))) == 1
    # a page for every story of the day, listing exactly its articles, with their links
    assert timeline["story_pages_written"] == articles["story"].nunique()
    assert "[open](file://" in timeline["story_pages"]
    # short enough for the Dagster UI to draw in place (under 1,000 characters), the largest
    # stories first, and a line saying how many more the timeline page links
    listed = timeline["story_pages"]
    assert len(listed) < 1000 and listed.count("[open](") >= 2
    assert re.search(r"\| \.\.\. \| \d+ more stories: the timeline page links them all \|", listed)
    assert listed.count("[open](") + int(re.search(r"(\d+) more stories", listed).group(1)) == timeline["stories_shown"]
    pages = Path(timeline["path"]).parent / "pages"
    for sid, part in articles.groupby("story"):
        story_html = (pages / f"story_{sid}.html").read_text()
        listed = re.findall(r'<li data-id="([0-9a-f]+)">', story_html)
        assert sorted(listed) == sorted(part["id"]), sid
        assert f'<dd id="story-id">{sid}</dd>' in story_html
    assert 'href="https://' in story_html  # the sample's articles carry links
    assert 'href="pages/story_' in page  # the timeline links its stories' pages


def test_ui_links_open_over_http_where_the_data_is_served(sample_run, monkeypatch):
    """Browsers do not open file:// links from the Dagster UI's http:// page. With
    NEWSCLUST_FILES_URL saying where the data directory is served (``make dev`` serves it),
    the map's, the timeline's and the story pages' links point there, and open."""
    import functools
    import threading
    import urllib.request
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from newsclust_assets.environment import default_resources

    tmp = sample_run["tmp"]
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        monkeypatch.setenv("NEWSCLUST_DATA_DIR", str(tmp))
        monkeypatch.setenv("NEWSCLUST_FILES_URL", base + "/")
        served = {k: default_resources()[k] for k in ("maps", "story_store")}
        assert served["maps"].served_at == f"{base}/maps" and served["maps"].directory == str(tmp / "maps")
        result = dg.materialize(
            ALL_ASSETS,
            selection=["umap_plot", "story_timeline"],  # one value each: the latest day's, no partition key
            instance=sample_run["instance"],
            resources={**sample_run["resources"], **served},
        )
        assert result.success
        map_url = md(result, "umap_plot")["url"]
        timeline = md(result, "story_timeline")
        assert map_url == f"{base}/maps/newsclust_map_{LAST}.html"
        assert timeline["url"] == f"{base}/stories/story_timeline_{LAST}.html"
        links = re.findall(r"\[open\]\(([^)]+)\)", timeline["story_pages"])
        assert links and all(link.startswith(f"{base}/stories/pages/story_") for link in links)
        assert timeline["top_story_page_url"] == links[0]
        for url in (map_url, timeline["url"], links[0]):
            with urllib.request.urlopen(url, timeout=10) as page:
                assert page.status == 200 and b"<title>" in page.read()
        # a file outside the served directory keeps its file:// link
        assert served["maps"].url_for(tmp / "elsewhere.html").startswith("file://")
    finally:
        server.shutdown()
