"""Story scores, the average-linkage clustering, small windows, the synthetic stream and
``newsclust evaluate`` (run as users run it, in its own process)."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import pdist
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from newsclust_assets.artifacts import WindowGraph
from newsclust_assets.clustering.average_linkage import average_linkage, join_groups, news_time
from newsclust_assets.clustering.topic_words import story_names
from newsclust_assets.clustering.window_clustering import ClusterSettings, label_window
from newsclust_assets.evaluation import synthetic
from newsclust_assets.evaluation.cluster_quality import agreement
from newsclust_assets.evaluation.scores import adjusted_rand, noise_as_singletons, normalized_mutual_info, story_scores
from newsclust_assets.ingest.news_source import read_articles, read_labels
from newsclust_assets.settings import SAMPLE_PATH
from newsclust_assets.vectors.embedding_models import LocalSentenceTransformer
from newsclust_assets.vectors.exact_knn import exact_neighbours
from newsclust_assets.vectors.knn_graph import symmetric_graph

from .conftest import REPO


def test_scores_on_hand_made_labelings():
    perfect = story_scores(list("aabbc"), [0, 0, 1, 1, -1])
    assert (perfect.pairwise_f1, perfect.bcubed_f1, perfect.ari, perfect.ami) == (1.0, 1.0, 1.0, 1.0)
    assert (perfect.clusters, perfect.stories, perfect.noise_share) == (2, 3, 0.2)

    all_noise = story_scores(list("aab"), [-1, -1, -1])  # noise is singletons: the a-a pair is missed
    assert (all_noise.pairwise_precision, all_noise.pairwise_recall, all_noise.pairwise_f1) == (1.0, 0.0, 0.0)
    assert all_noise.bcubed_precision == 1.0 and all_noise.bcubed_recall == pytest.approx(2 / 3)
    assert all_noise.ari == pytest.approx(0.0) and all_noise.noise_share == 1.0

    one_cluster = story_scores(list("aabb"), [0, 0, 0, 0])  # 6 predicted pairs, 2 true
    assert one_cluster.pairwise_precision == pytest.approx(1 / 3) and one_cluster.pairwise_recall == 1.0
    assert one_cluster.pairwise_f1 == pytest.approx(0.5)
    assert one_cluster.bcubed_precision == pytest.approx(0.5) and one_cluster.bcubed_f1 == pytest.approx(2 / 3)
    assert one_cluster.ari == pytest.approx(0.0)

    singletons = story_scores(list("abc"), [-1, -1, -1])  # nothing to pair, nothing wrong
    assert (singletons.pairwise_f1, singletons.bcubed_f1, singletons.ari) == (1.0, 1.0, 1.0)

    split = story_scores(list("aaaa"), [0, 0, 1, 1])  # 2 of 6 pairs found, both right
    assert (split.pairwise_precision, split.pairwise_recall) == (1.0, pytest.approx(1 / 3))
    assert split.bcubed_recall == pytest.approx(0.5)

    unlabelled = story_scores(["a", "a", None, "", float("nan")], [0, 0, 0, 1, 1])
    assert (unlabelled.articles, unlabelled.unlabelled, unlabelled.pairwise_f1) == (2, 3, 1.0)
    assert noise_as_singletons(np.array([-1, 0, -1, 1])).tolist() == [2, 0, 3, 1]
    with pytest.raises(ValueError, match="3 story labels for 2"):
        story_scores(list("abc"), [0, 0])


def _unit(x):
    x = np.asarray(x, np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _complete_graph(n):
    rows, cols = np.nonzero(~np.eye(n, dtype=bool))
    return symmetric_graph(n, rows, cols, np.full(rows.size, 0.5))


def test_window_agreement_equals_scikit_learn():
    """The windows' ARI / NMI against the category (``agreement``) are computed from the
    contingency table without scikit-learn's checks; they must equal scikit-learn's scores on
    random labelings, noise and the degenerate ones included."""
    rng = np.random.default_rng(7)
    cases = [
        (np.zeros(5, int), np.zeros(5, int)),
        (np.arange(5), np.arange(5)),
        (np.zeros(5, int), np.arange(5)),
        (np.array(["a", "b", "a"]), np.array([1, 1, -1])),
        (np.array(["x"]), np.array([0])),
        (np.array(["x", "y"]), np.array([0, 0])),
    ]
    for _ in range(500):
        n = int(rng.integers(1, 300))
        truth = rng.integers(0, int(rng.integers(1, 30)), n)
        cases.append((np.array([f"c{t}" for t in truth], dtype=object), rng.integers(-1, int(rng.integers(1, 30)), n)))
    for a, b in cases:
        assert adjusted_rand(a, b) == pytest.approx(adjusted_rand_score(a, b), abs=1e-12)
        assert normalized_mutual_info(a, b) == pytest.approx(normalized_mutual_info_score(a, b), abs=1e-12)
    scores = agreement(["a", "a", "b", "", "b"], np.array([0, 0, 1, 1, -1]))
    assert scores["ari_all"] == pytest.approx(adjusted_rand_score(["a", "a", "b", "b"], [0, 0, 1, -1]))
    assert scores["nmi_clustered"] == pytest.approx(1.0)
    assert agreement(["", None], np.array([0, 0])) is None


@pytest.mark.parametrize("threshold", [0.2, 0.5, 0.8])
def test_average_linkage_equals_scipy_upgma_on_a_complete_graph(threshold):
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(4, 12))
    x = _unit(np.vstack([c + rng.normal(scale=0.6, size=(10, 12)) for c in centres]))
    ours = average_linkage(x, _complete_graph(len(x)), threshold).labels
    ref = fcluster(linkage(pdist(x.astype(np.float64), "cosine"), "average"), 1 - threshold, "distance")
    sizes = np.bincount(ref)
    ref = np.where(sizes[ref] >= 2, ref, -1)  # scipy's singletons are our noise
    assert adjusted_rand_score(noise_as_singletons(ref), noise_as_singletons(ours)) == 1.0
    assert ((ours >= 0) == (ref >= 0)).all()
    # one level up, from singletons (sums = the vectors, sizes 1) and with no graph: the same
    joined = join_groups(x, np.ones(len(x)), threshold)
    assert adjusted_rand_score(noise_as_singletons(ref), joined) == 1.0
    # and from the clusters as groups: they stay apart (no pair of them reaches the threshold)
    labels = ours.copy()
    labels[labels < 0] = labels.max() + 1 + np.arange((labels < 0).sum())
    sums = np.zeros((labels.max() + 1, x.shape[1]))
    np.add.at(sums, labels, x)
    assert join_groups(sums, np.bincount(labels), threshold).tolist() == list(range(labels.max() + 1))


def test_average_linkage_keeps_duplicates_and_respects_the_graph():
    x = _unit([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0.99, 0.1]])
    # exact duplicates are an explicit zero-distance edge; 2-3 are similar but not linked
    graph = symmetric_graph(4, [0], [1], [0.0])
    result = average_linkage(x, graph, 0.3)
    assert result.labels.tolist() == [0, 0, -1, -1]
    assert result.strength[:2] == pytest.approx([1.0, 1.0]) and result.strength[2:].tolist() == [0.0, 0.0]
    linked = average_linkage(x, symmetric_graph(4, [0, 2], [1, 3], [0.0, 0.005]), 0.3)
    assert sorted(np.bincount(linked.labels[linked.labels >= 0]).tolist()) == [2, 2]
    assert average_linkage(np.zeros((0, 3), np.float32), symmetric_graph(0, [], [], []), 0.3).labels.size == 0
    with pytest.raises(ValueError, match="lexical_weight > 0 needs the texts"):
        average_linkage(x, graph, 0.3, lexical_weight=0.5)


def test_news_time_counts_the_articles_published_before():
    # two on day 1 share the middle of their day; day 2's three come after both
    assert news_time(["2024-01-01", "2024-01-02", "2024-01-01", "2024-01-02", "2024-01-02"]).tolist() == [
        1.0,
        3.5,
        1.0,
        3.5,
        3.5,
    ]
    assert news_time([]).size == 0
    assert news_time(["2024-01-05"]).tolist() == [0.5]


def test_time_keeps_one_subject_on_far_apart_days_in_two_stories():
    # the same subject twice (cos > 0.99 within, about 0.63 across), 400 other articles apart in news time
    x = _unit([[1, 0.0, 0], [1, 0.1, 0], [1, 1.3, 0], [1, 1.4, 0]])
    cos = x @ x.T
    assert cos[0, 2] > 0.5 and cos[0, 3] > 0.5  # without time the subject is one group
    graph = _complete_graph(4)
    assert average_linkage(x, graph, 0.3).labels.tolist() == [0, 0, 0, 0]
    positions = np.array([10.0, 10.0, 410.0, 410.0])
    timed = average_linkage(x, graph, 0.3, positions=positions, time_weight=0.4, time_scale=300)
    assert sorted(np.bincount(timed.labels).tolist()) == [2, 2] and timed.labels[0] != timed.labels[2]
    # a short gap (20 articles) costs 0.4 * 20 / 300 = 0.027: the subject stays one story
    near = average_linkage(x, graph, 0.3, positions=np.array([10.0, 10.0, 30.0, 30.0]), time_weight=0.4, time_scale=300)
    assert near.labels.tolist() == [0, 0, 0, 0]
    # exactly the loss the docs state: the cross-pair mean of the two pairs minus the full 0.4
    mean_cross = float(cos[:2, 2:].mean())
    just_below = average_linkage(
        x, graph, mean_cross - 0.4 + 1e-6, positions=positions, time_weight=0.4, time_scale=300
    )
    just_above = average_linkage(
        x, graph, mean_cross - 0.4 - 1e-6, positions=positions, time_weight=0.4, time_scale=300
    )
    assert len(set(just_below.labels.tolist())) == 2 and len(set(just_above.labels.tolist())) == 1
    with pytest.raises(ValueError, match="needs one news-time position per vector"):
        average_linkage(x, graph, 0.3, time_weight=0.4)
    with pytest.raises(ValueError, match="time_weight must be in"):
        ClusterSettings(time_weight=1.5)


def test_word_veto_keeps_apart_big_groups_that_share_no_word():
    rng = np.random.default_rng(5)
    # two subjects 0.5 apart in embedding (they would merge at 0.3), 6 articles each
    base = _unit([[1, 0.0, 0], [1, 1.7, 0]])
    x = _unit(np.vstack([np.repeat(base[i : i + 1], 6, 0) + rng.normal(scale=0.02, size=(6, 3)) for i in (0, 1)]))
    graph = _complete_graph(12)
    lohan = [
        "Lohan reality show premiere",
        "Lohan show ratings",
        "Lohan opens up on show",
        "Lohan series debut",
        "Lohan reality series",
        "Lohan tells all on show",
    ]
    dunham = [
        "Dunham hosts SNL",
        "Dunham naked sketch SNL",
        "Dunham SNL monologue",
        "Dunham Girls creator hosts",
        "Dunham SNL review",
        "Dunham live from New York",
    ]
    assert average_linkage(x, graph, 0.3, lohan + dunham).labels.tolist() == [0] * 12
    vetoed = average_linkage(x, graph, 0.3, lohan + dunham, word_veto=0.1).labels
    assert len(set(vetoed[:6].tolist())) == 1 and len(set(vetoed[6:].tolist())) == 1 and vetoed[0] != vetoed[6]
    # groups that share their words still merge; groups under 5 articles are exempt
    shared = ["Lohan " + t for t in lohan[:6]] + ["Lohan " + t for t in dunham]
    assert average_linkage(x, graph, 0.3, shared, word_veto=0.1).labels.tolist() == [0] * 12
    small = average_linkage(x[[0, 1, 2, 6, 7, 8]], _complete_graph(6), 0.3, lohan[:3] + dunham[:3], word_veto=0.1)
    assert small.labels.tolist() == [0] * 6
    with pytest.raises(ValueError, match="word_veto > 0 needs the texts"):
        average_linkage(x, graph, 0.3, word_veto=0.1)


def test_noise_attach_rule_joins_only_close_articles():
    x = _unit([[1, 0, 0], [0.95, 0.05, 0], [0.9, 0.3, 0], [0, 0, 1]])
    # 0 and 1 merge; 2 is linked to 1 but the pair 0-1 / 2 stays below the merge threshold
    graph = symmetric_graph(4, [0, 1, 2], [1, 2, 3], [0.001, 0.05, 0.9])
    strict = average_linkage(x, graph, 0.99, attach_similarity=0.0)
    assert strict.labels.tolist() == [0, 0, -1, -1] and not strict.attached.any()
    attached = average_linkage(x, graph, 0.99, attach_similarity=0.9)
    assert attached.labels.tolist() == [0, 0, 0, -1] and attached.attached.tolist() == [False, False, True, False]


def test_story_names_use_the_most_central_headline():
    names = story_names(
        ["Side note", "The main event", "Other"],
        np.array([0, 0, -1]),
        np.array([0.5, 0.9, 0.0]),
        {0: ["main", "event", "news"]},
    )
    assert names == {0: "0: The main event [main / event / news]"}


@pytest.fixture(scope="module")
def model():
    return LocalSentenceTransformer()


def _window(texts, vectors, k=15):
    n = len(texts)
    rows, cols, dists = exact_neighbours(vectors, k)
    articles = pd.DataFrame(
        {
            "id": [f"a{i:04d}" for i in range(n)],
            "headline": texts,
            "text": texts,
            "date": ["2025-01-06"] * n,
            "category": [""] * n,
        }
    )
    return WindowGraph(
        articles, vectors, symmetric_graph(n, rows, cols, dists), k, "COSINE", "2025-01-06", "2025-01-06"
    )


def test_a_window_of_eight_finds_its_two_and_three_article_stories(model):
    texts = [
        "Old Mill Bridge collapses into Carver River during rush hour",
        "Investigators probe cause of Old Mill Bridge collapse",
        "Carver River bridge collapse: inspection reports flagged corrosion",
        "Meridian Bank agrees to buy Crestline Financial",
        "Crestline shareholders weigh Meridian Bank takeover offer",
        "Five easy weeknight soups for chilly evenings",
        "Runaway llama leads police on slow-speed chase",
        "How to build an emergency fund on a tight budget",
    ]
    frame = label_window(_window(texts, model.embed(texts).vectors)).frame
    labels = frame["label"].tolist()
    assert labels[0] == labels[1] == labels[2] >= 0
    assert labels[3] == labels[4] >= 0 and labels[3] != labels[0]
    assert labels[5:] == [-1, -1, -1]
    assert frame["cluster_name"].iloc[0].split(": ", 1)[1].split(" [")[0] in texts[:3]


def test_synthetic_stream_is_deterministic_and_realistic(tmp_path):
    rows = synthetic.generate([5, 3000, 30], seed=11)
    assert rows == synthetic.generate([5, 3000, 30], seed=11)
    days = pd.Series([r["date"] for r in rows]).value_counts()
    assert days["2025-01-06"] <= 7 and days["2025-01-07"] >= 2900  # a 5-article day and a 3,000-article day
    sizes = pd.Series([r["story"] for r in rows if not r["story"].startswith("one-off")]).value_counts()
    assert sizes.min() == 2 and sizes.max() >= 200
    heads = [r["headline"] for r in rows]
    assert any(h.startswith(tuple(synthetic.WIRE_PREFIX)) or h.endswith(tuple(synthetic.WIRE_SUFFIX)) for h in heads)
    assert sum(r["story"].startswith("one-off") for r in rows) >= 250
    path = synthetic.write(tmp_path / "stream.jsonl", rows)
    assert len(read_labels(path)) == len(read_articles(path)[0]) == len(rows)


def test_synthetic_stream_quality_floor(model):
    """Measured on this stream (seed 7, days 5 / 300 / 40) on 2026-11-26: average linkage pairwise
    F1 0.644 / ARI 0.622, UMAP + HDBSCAN with v1's settings 0.580 / 0.562. The floors sit a little
    below, so a regression fails; stories of one event type that only names tell apart are the
    hard case that keeps both well under the 0.90 target (see README, Story quality)."""
    rows = synthetic.generate([5, 300, 40], seed=7)
    texts = [r["headline"] + (". " + r["short_description"] if r["short_description"] else "") for r in rows]
    window = _window(texts, model.embed(texts).vectors)
    stories = [r["story"] for r in rows]
    ours = story_scores(stories, label_window(window).frame["label"])
    v1 = story_scores(
        stories, label_window(window, ClusterSettings(algorithm="umap_hdbscan", min_cluster_size=5)).frame["label"]
    )
    assert ours.pairwise_f1 >= 0.62 and ours.ari >= 0.60
    assert ours.pairwise_f1 > v1.pairwise_f1 + 0.03


def test_evaluate_command_scores_the_sample_through_the_whole_graph(tmp_path):
    config = tmp_path / "settings.yaml"
    config.write_text("cluster_labels:\n  similarity_threshold: 0.3\n  attach_similarity: 0.5\n")
    out = tmp_path / "scores.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "newsclust_assets.cli",
            "evaluate",
            str(SAMPLE_PATH),
            "--config",
            str(config),
            "--data-dir",
            str(tmp_path / "data"),
            "--json",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**__import__("os").environ, "NEWSCLUST_START_DATE": "1999-01-01"},  # evaluate ignores these
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "noise counts strictly" in proc.stdout and "pair F1" in proc.stdout
    scores = json.loads(out.read_text())
    last = scores["windows"][-1]
    assert scores["window_days"] == 14 and last["window"] == "2024-03-01..2024-03-14"
    assert last["articles"] == 211 and last["stories"] == 28
    assert last["pairwise_f1"] >= 0.95 and last["ari"] >= 0.95 and last["bcubed_f1"] >= 0.95
    # every setting in force is recorded, defaults included
    assert scores["settings"]["cluster_labels"]["similarity_threshold"] == 0.3  # the file's
    assert scores["settings"]["cluster_labels"]["day_cap"] == 75.0  # the default
    assert scores["settings"]["stories"]["similarity_threshold"] == 0.3
    assert scores["settings"]["stories"]["gate_new"] is False and scores["settings"]["stories"]["day_cap"] == 60.0
    lines = proc.stdout.splitlines()
    scored = next(i for i, line in enumerate(lines) if line.startswith("scored "))
    assert lines[scored + 1].startswith("stream (211 labelled articles")  # the stream line leads the scores
    csv = pd.read_csv(tmp_path / "data" / "labels" / "labels_2024-03-14.csv")
    assert len(csv) == 211 and set(csv.columns) >= {"id", "label", "cluster_name", "headline"}
    bad = subprocess.run(
        [sys.executable, "-m", "newsclust_assets.cli", "evaluate", str(tmp_path / "missing.jsonl")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode != 0 and "news source file not found" in bad.stderr and "Traceback" not in bad.stderr
