"""What stories over time cost, and how well they track: ``python -m benchmarks.stories_cost``.

1. Cost at 10k: the first 10,000 shared HuffPost articles as one window (day D), and the
   same window less its newest 1 % (day D-1). Timed side by side in one process: the
   window's work (exact kNN + clustering, what knn_distances and cluster_labels do) and
   ``stories.tracking.advance`` carrying D-1's stories to D. Target: stories <= 10 % of the
   window time.
2. Tracking on the UCI dev set with daily windows (W = 1: no shared articles, so every
   continuation is by content): stream pairwise F1 / ARI at first assignment, ids per
   labelled story, stories per id; and the same on the scripted stream (exact events).

Results go to ``benchmarks/results/stories.{md,json}`` with date, cores and versions.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import tempfile
import time
from importlib import metadata
from pathlib import Path

import numpy as np

from newsclust_assets.artifacts import WindowGraph
from newsclust_assets.clustering.window_clustering import label_window
from newsclust_assets.evaluation import story_stream
from newsclust_assets.evaluation.stream import stream_scores
from newsclust_assets.ingest.news_source import read_articles, read_labels
from newsclust_assets.stories.tracking import MemoryArchive, advance
from newsclust_assets.vectors.embedding_models import LocalSentenceTransformer

from .data import first_articles
from .story_quality import window_of

RESULTS = Path(__file__).resolve().parent / "results"
UCI = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "uci_stories_dev.jsonl"
K = 15


def window(articles: list[dict], vectors: np.ndarray) -> tuple[WindowGraph, float]:
    started = time.perf_counter()
    graph = window_of(articles, vectors)
    return graph, time.perf_counter() - started


def cost_at_10k(embedder) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        articles = first_articles(10_000, Path(tmp))
    vectors = embedder.embed([a["text"] for a in articles]).vectors
    order = np.argsort([str(a["date"]) for a in articles], kind="stable")
    articles, vectors = [articles[i] for i in order], vectors[order]
    cut = int(len(articles) * 0.99)
    out = {"articles": len(articles)}
    g0, _ = window(articles[:cut], vectors[:cut])
    labels0 = label_window(g0).frame
    archive = MemoryArchive()  # the product's story store, as a run holds it in memory
    state, _ = advance(None, "2024-01-01", labels0, g0.vectors, archive=archive)
    runs = []
    for _ in range(3):
        g1, knn_s = window(articles, vectors)
        started = time.perf_counter()
        labels1 = label_window(g1).frame
        cluster_s = time.perf_counter() - started
        started = time.perf_counter()
        _, report = advance(state, "2024-01-02", labels1, g1.vectors, archive=archive)
        runs.append((knn_s, cluster_s, time.perf_counter() - started))
    knn_s, cluster_s, stories_s = (float(np.median([r[i] for r in runs])) for i in range(3))
    out.update(
        knn_seconds=round(knn_s, 3),
        cluster_seconds=round(cluster_s, 3),
        stories_seconds=round(stories_s, 3),
        stories_share_of_window=round(stories_s / (knn_s + cluster_s), 4),
        counts=report.counts,
    )
    return out


def uci_daily(embedder) -> dict:
    articles, _ = read_articles(UCI)
    truth = read_labels(UCI)
    vectors = embedder.embed([a["text"] for a in articles]).vectors
    days = sorted({a["date"] for a in articles})
    state, first, merged, per_day = None, {}, {}, []
    archive = MemoryArchive()
    for day in days:
        idx = [i for i, a in enumerate(articles) if a["date"] == day]
        graph, _ = window([articles[i] for i in idx], vectors[idx])
        labels = label_window(graph).frame
        state, report = advance(state, day.isoformat(), labels, graph.vectors, archive=archive)
        for a, sid in zip(report.articles["id"], report.articles["first_story"]):
            first.setdefault(a, sid)
        merged.update({s: m for s, m in zip(report.stories["story"], report.stories["merged_into"]) if m})
        per_day.append({"day": day.isoformat(), "articles": len(idx), **report.counts})
    s = stream_scores(truth, first, merged)
    return {"days": per_day, "stream": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in s.items()}}


def scripted() -> dict:
    reports, letter_of = story_stream.track()
    found = {n: story_stream.letter_events(r.events, letter_of) for n, (_, r) in enumerate(reports, 1)}
    return {"days": len(reports), "all_events_on_their_day": found == story_stream.EXPECTED}


def main() -> None:
    embedder = LocalSentenceTransformer()
    result = {
        "date": dt.datetime.now().isoformat(timespec="minutes"),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "versions": {p: metadata.version(p) for p in ("numpy", "scipy", "pandas", "dagster", "torch")},
        "cost_10k": cost_at_10k(embedder),
        "uci_daily": uci_daily(embedder),
        "scripted": scripted(),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "stories.json").write_text(json.dumps(result, indent=2, default=str))
    c, u = result["cost_10k"], result["uci_daily"]["stream"]
    md = [
        f"Stories over time, {result['date']}, {result['cores']} cores, Python {result['python']}; "
        f"versions {result['versions']}.",
        "",
        "| measurement | result |",
        "|---|---|",
        f"| 10k-article window: exact kNN + clustering | {c['knn_seconds'] + c['cluster_seconds']:.2f} s |",
        f"| stories (carry D-1's stories to D) | {c['stories_seconds']:.3f} s = "
        f"{c['stories_share_of_window']:.1%} of the window (target <= 10 %) |",
        f"| UCI, daily windows: stream pairwise P / R / F1 | {u['pairwise_precision']:.3f} / "
        f"{u['pairwise_recall']:.3f} / {u['pairwise_f1']:.3f} (target F1 >= 0.85) |",
        f"| UCI, daily windows: stream ARI, B-cubed F1 | {u['ari']:.3f}, {u['bcubed_f1']:.3f} |",
        f"| UCI: story ids per labelled story / labelled stories per id | {u['ids_per_story']:.2f} / "
        f"{u['stories_per_id']:.2f} (target ids per story <= 1.2) |",
        f"| UCI: {u['stories']} labelled stories, {u['story_ids']} story ids | merges followed: F1 "
        f"{u['pairwise_f1_merges_followed']:.3f} |",
        f"| scripted stream: every birth, merge, split, end and return on its day | "
        f"{result['scripted']['all_events_on_their_day']} |",
        "",
        "Scores count noise strictly (each noise article a singleton) and score each article by the story id it got "
        "when first clustered (causal).",
    ]
    (RESULTS / "stories.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
