"""Story quality side by side: ``python -m benchmarks.story_quality`` (``make bench-quality``).

One process, one sitting, on the same MiniLM vectors for every method:

- data: the UCI dev set (dense, 6,366 headlines in 87 stories, one window), the shipped
  sample (one window), the synthetic stream (``evaluation/synthetic.py``, default days
  5 / 3,000 / 40 / 5 / 300), and three sparse sets drawn from the UCI set by a fixed
  rule (69 stories, geometric sizes around 5.5, about 380 articles: the shape of a sparse
  real set of 383 articles in 69 stories that the project is scored on), and the same three
  re-dated so that each story starts on a random day of five years and runs over up to a
  week (UCI's stories each fall on one day: these check that the news-time rule does not
  split stories that last several days);
- methods: newsclust's default (average linkage on the kNN graph at mean cosine 0.3, with
  the news-time rule: ``time_weight`` 0.4, ``time_scale`` 300 articles, and the word veto
  0.1), the same without either (the default before 2026-12-01), v1's UMAP 5-d +
  HDBSCAN (min_cluster_size 5, min_samples 3) over 3 UMAP seeds (mean and spread), scipy's
  full agglomerative average linkage at its best cosine-distance threshold for *each*
  set (an oracle-tuned baseline), and HDBSCAN on the raw vectors (min_cluster_size 2);
- the cost: the cluster stage on one 10,000-article window of the shared HuffPost set,
  newsclust vs v1.

Scores: pairwise F1 and ARI, noise as singletons (``evaluation/scores.py``). Results go to
``benchmarks/results/story_quality.{md,json}`` with date, cores and versions.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import time
from dataclasses import asdict
from importlib import metadata
from pathlib import Path

import numpy as np

from newsclust_assets.artifacts import WindowGraph
from newsclust_assets.clustering.window_clustering import ClusterSettings, label_window
from newsclust_assets.evaluation import synthetic
from newsclust_assets.evaluation.scores import story_scores
from newsclust_assets.ingest.news_source import read_articles, read_labels
from newsclust_assets.settings import SAMPLE_PATH
from newsclust_assets.stories.tracking import TrackSettings
from newsclust_assets.vectors.embedding_models import LocalSentenceTransformer
from newsclust_assets.vectors.exact_knn import exact_neighbours
from newsclust_assets.vectors.knn_graph import symmetric_graph

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
RESULTS = Path(__file__).resolve().parent / "results"
K = 15
AGGLO_THRESHOLDS = [0.4, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8]


def window_of(articles: list[dict], vectors: np.ndarray) -> WindowGraph:
    import pandas as pd

    rows, cols, dists = exact_neighbours(vectors, K)
    frame = pd.DataFrame(
        {
            "id": [a["id"] for a in articles],
            "headline": [a["headline"] for a in articles],
            "text": [a["text"] for a in articles],
            "date": [str(a["date"]) for a in articles],
            "category": [a["category"] for a in articles],
        }
    )
    return WindowGraph(frame, vectors, symmetric_graph(len(articles), rows, cols, dists), K, "COSINE", "", "")


def sparse_subsets(articles, vectors, stories, n=3, n_stories=69, mean_size=383 / 69):
    """Sparse sets drawn from a dense labelled set: ``n_stories`` stories, geometric sizes."""
    out = []
    for seed in range(n):
        rng = np.random.default_rng(seed)
        names = sorted(set(stories))
        rng.shuffle(names)
        idx = []
        for name, size in zip(names[:n_stories], rng.geometric(1 / mean_size, n_stories)):
            members = [i for i, s in enumerate(stories) if s == name]
            idx += rng.choice(members, min(int(min(size, 40)), len(members)), replace=False).tolist()
        idx = sorted(idx)
        out.append((f"sparse {seed} (from UCI)", [articles[i] for i in idx], vectors[idx], [stories[i] for i in idx]))
    return out


def spread_over_days(name, articles, stories, seed, days=5 * 365, length=7):
    """The same set, each story starting on a random day of ``days`` and lasting up to ``length`` days."""
    rng = np.random.default_rng(seed)
    start = {s: int(rng.integers(0, days)) for s in sorted(set(stories))}
    first = dt.date(2018, 1, 1)
    dated = [
        dict(a, date=first + dt.timedelta(days=start[s] + int(rng.integers(0, length))))
        for a, s in zip(articles, stories)
    ]
    return f"{name.split(' (')[0]}, a story over up to {length} days in 5 years", dated


def score(stories, labels) -> dict:
    s = story_scores(stories, labels)
    return {
        "f1": round(s.pairwise_f1, 3),
        "ari": round(s.ari, 3),
        "clusters": s.clusters,
        "noise": round(s.noise_share, 3),
    }


def methods(window: WindowGraph, stories: list[str]) -> dict:
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    out = {}
    t = time.perf_counter()
    out["newsclust"] = score(stories, label_window(window).frame["label"])
    out["newsclust"]["seconds"] = round(time.perf_counter() - t, 2)
    earlier = ClusterSettings(similarity_threshold=0.3, day_cap=60)
    out["newsclust 2026-12-04 (0.3, cap 60)"] = score(stories, label_window(window, earlier).frame["label"])
    before = ClusterSettings(similarity_threshold=0.3, time_weight=0.0, word_veto=0.0)
    out["newsclust before (0.3, no time, no veto)"] = score(stories, label_window(window, before).frame["label"])
    v1 = [
        score(
            stories,
            label_window(window, ClusterSettings(algorithm="umap_hdbscan", min_cluster_size=5, seed=seed)).frame[
                "label"
            ],
        )
        for seed in (42, 7, 123)
    ]
    f1s = [r["f1"] for r in v1]
    out["v1 UMAP+HDBSCAN"] = {
        "f1": round(float(np.mean(f1s)), 3),
        "f1_min": min(f1s),
        "f1_max": max(f1s),
        "ari": round(float(np.mean([r["ari"] for r in v1])), 3),
    }
    z = linkage(pdist(window.vectors.astype(np.float64), "cosine"), "average")
    best = max(((th, score(stories, fcluster(z, th, "distance"))) for th in AGGLO_THRESHOLDS), key=lambda x: x[1]["f1"])
    out["agglomerative (best threshold)"] = {**best[1], "threshold": best[0]}
    import hdbscan

    raw = hdbscan.HDBSCAN(min_cluster_size=2).fit(window.vectors.astype(np.float64)).labels_
    out["HDBSCAN raw mcs 2"] = score(stories, raw)
    return out


def versions() -> dict:
    out = {}
    for p in [
        "numpy",
        "scipy",
        "scikit-learn",
        "umap-learn",
        "fast_hdbscan",
        "hdbscan",
        "torch",
        "sentence-transformers",
    ]:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            pass
    return out


STREAM_RULES = {  # name -> (clustering settings, tracking settings, archive of every story)
    "newsclust": (ClusterSettings(), TrackSettings(), True),
    "no day cap": (ClusterSettings(day_cap=0), TrackSettings(day_cap=0), True),
    "before (2026-12-07)": (
        ClusterSettings(similarity_threshold=0.3, day_cap=60),
        TrackSettings(similarity_threshold=0.3, day_cap=60, gate_new=True),
        True,
    ),
    "before (2026-12-01)": (
        ClusterSettings(similarity_threshold=0.3, day_cap=0),
        TrackSettings(similarity_threshold=0.3, day_cap=0, time_weight=0, gate_new=False),
        False,
    ),
}


def stream_rows(names: list[str] | None = None) -> list[dict]:
    """Every variant of ``benchmarks.streams``: one window over everything and the causal
    stream of story ids with the window a user would run, for each rule set side by side."""
    import tempfile

    from . import stream_path, streams

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = streams.write(tmp, names)
        for name, path in paths.items():
            frame, vectors, labels = stream_path.load(path)
            window = streams.VARIANTS[name][1]
            per_day = frame.groupby("date").size()
            row = {
                "set": name,
                "articles": len(frame),
                "labelled": len(labels),
                "stories": len(set(labels.values())),
                "days": int(per_day.size),
                "max_per_day": int(per_day.max()),
                "window_days": window,
                "rules": {},
            }
            print(f"{name}: {len(frame)} articles, {row['stories']} stories, window {window} days", flush=True)
            cache: dict = {}
            for rule, (cluster, track, archive) in STREAM_RULES.items():
                started = time.perf_counter()
                one = stream_path.one_window(frame, vectors, labels, cluster)
                flow = stream_path.stream(frame, vectors, labels, window, cluster, track, cache, archive)
                row["rules"][rule] = {
                    "one_window": one,
                    "stream": flow,
                    "seconds": round(time.perf_counter() - started, 1),
                }
            rows.append(row)
    return rows


def streams_markdown(rows: list[dict], date: str) -> str:
    rules = list(rows[0]["rules"])
    lines = [
        f"Stories over time, {date}, {os.cpu_count()} cores: pairwise F1 (P / R) of one window over the "
        "whole set and of the stream of story ids (each article scored by its id at first assignment; "
        "noise as singletons), every day's window clustered and tracked as `newsclust run --windows all` "
        "does (function path, exact kNN k = 15, MiniLM).",
        "",
        "| set | articles (labelled) / stories | days (max a day) | window | "
        + " | ".join(f"{r}: one window | {r}: stream" for r in rules)
        + " |",
        "|---|---|---|---|" + "---|---|" * len(rules),
    ]
    for row in rows:
        cells = []
        for r in rules:
            for part in ("one_window", "stream"):
                m = row["rules"][r][part]
                cells.append(f"{m['f1']:.3f} ({m['p']:.2f} / {m['r']:.2f})")
        lines.append(
            f"| {row['set']} | {row['articles']} ({row['labelled']}) / {row['stories']} | "
            f"{row['days']} ({row['max_per_day']}) | {row['window_days']} d | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines) + "\n"


def write_streams(rows: list[dict]) -> str:
    date = dt.datetime.now().isoformat(timespec="minutes")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "story_streams.json").write_text(
        json.dumps(
            {
                "date": date,
                "cores": os.cpu_count(),
                "python": platform.python_version(),
                "versions": versions(),
                "rules": {
                    k: {"cluster": v[0].as_dict(), "track": asdict(v[1]), "archive": v[2]}
                    for k, v in STREAM_RULES.items()
                },
                "sets": rows,
            },
            indent=2,
            default=str,
        )
    )
    md = streams_markdown(rows, date)
    (RESULTS / "story_streams.md").write_text(md)
    return md


def main() -> int:
    import sys

    if "--streams" in sys.argv[1:]:  # only the streams (benchmarks/results/story_streams.*)
        print(write_streams(stream_rows()))
        return 0
    windows_only = "--windows" in sys.argv[1:]  # only one window per set (story_quality.*)
    model = LocalSentenceTransformer()
    embed = lambda arts: model.embed([a["text"] for a in arts]).vectors  # noqa: E731
    sets = []
    uci = SHARED / "uci_stories_dev.jsonl"
    if not uci.exists():
        raise SystemExit(f"benchmarks.story_quality needs {uci}")
    arts, _ = read_articles(uci)
    labels = read_labels(uci)
    vecs = embed(arts)
    stories = [labels.get(a["id"]) for a in arts]
    sets.append(("UCI dev set (dense)", arts, vecs, stories))
    sparse = sparse_subsets(arts, vecs, stories)
    sets += sparse
    for seed, (name, a, v, s) in enumerate(sparse):
        label, dated = spread_over_days(name, a, s, seed)
        sets.append((label, dated, v, s))
    sample, _ = read_articles(SAMPLE_PATH)
    sample_labels = read_labels(SAMPLE_PATH)
    sets.append(("shipped sample", sample, embed(sample), [sample_labels.get(a["id"]) for a in sample]))
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = synthetic.write(Path(tmp) / "stream.jsonl", synthetic.generate([5, 3000, 40, 5, 300], seed=7))
        syn, _ = read_articles(path)
        syn_labels = read_labels(path)
    sets.append(("synthetic stream", syn, embed(syn), [syn_labels.get(a["id"]) for a in syn]))
    rows = []
    for name, a, v, s in sets:
        print(f"{name}: {len(a)} articles, {len(set(s))} stories", flush=True)
        rows.append(
            {"set": name, "articles": len(a), "stories": len(set(s)), **{"methods": methods(window_of(a, v), s)}}
        )
    # the cost of quality: the cluster stage on one 10k window
    huff = SHARED / "news_category_10k.jsonl"
    cost = {}
    if huff.exists():
        h, _ = read_articles(huff)
        w = window_of(h, embed(h))
        for label, settings in [
            ("newsclust", ClusterSettings()),
            ("v1 UMAP+HDBSCAN", ClusterSettings(algorithm="umap_hdbscan", min_cluster_size=5)),
        ]:
            label_window(w, settings)  # warm-up (numba compile for v1)
            t = time.perf_counter()
            label_window(w, settings)
            cost[label] = round(time.perf_counter() - t, 2)
    result = {
        "date": dt.datetime.now().isoformat(timespec="minutes"),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "versions": versions(),
        "k": K,
        "sets": rows,
        "cluster_stage_10k_seconds": cost,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "story_quality.json").write_text(json.dumps(result, indent=2))
    md = to_markdown(result)
    (RESULTS / "story_quality.md").write_text(md)
    print(md)
    if not windows_only:
        print(write_streams(stream_rows()))
    return 0


def to_markdown(result: dict) -> str:
    names = list(result["sets"][0]["methods"])
    lines = [
        f"Story quality, {result['date']}, {result['cores']} cores, Python {result['python']}; "
        f"pairwise F1 / ARI, noise as singletons; kNN k = {result['k']}.",
        "",
        "| set | articles / stories | " + " | ".join(names) + " |",
        "|---|---|" + "---|" * len(names),
    ]
    for row in result["sets"]:
        cells = []
        for n in names:
            m = row["methods"][n]
            cell = f"{m['f1']:.3f} / {m['ari']:.3f}"
            if "f1_min" in m:
                cell += f" (F1 {m['f1_min']:.2f}-{m['f1_max']:.2f} over 3 seeds)"
            if "threshold" in m:
                cell += f" (at {m['threshold']})"
            cells.append(cell)
        lines.append(f"| {row['set']} | {row['articles']} / {row['stories']} | " + " | ".join(cells) + " |")
    if result["cluster_stage_10k_seconds"]:
        lines += [
            "",
            "Cluster stage on one 10,000-article window (shared HuffPost set, after a warm-up): "
            + ", ".join(f"{k} {v} s" for k, v in result["cluster_stage_10k_seconds"].items()),
        ]
    lines += ["", "Versions: " + ", ".join(f"{k} {v}" for k, v in result["versions"].items())]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
