"""The product's window clustering and story tracking as plain functions, over a labelled
stream: one window over everything, and the stream of story ids day by day (each article
scored by its id at first assignment, noise as singletons). Used by ``benchmarks.story_quality``
to compare rules side by side on every variant of ``benchmarks.streams``; the figures a
user sees come from ``newsclust evaluate``, which runs the same functions through Dagster.

Vectors come from the bundled MiniLM and are cached under ``benchmarks/.cache`` by text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from newsclust_assets.artifacts import WindowGraph
from newsclust_assets.clustering.window_clustering import ClusterSettings, label_window
from newsclust_assets.evaluation.scores import story_scores
from newsclust_assets.ingest.news_source import articles_for_days, read_articles, read_labels
from newsclust_assets.stories.tracking import MemoryArchive, TrackSettings, advance
from newsclust_assets.vectors.exact_knn import exact_neighbours
from newsclust_assets.vectors.knn_graph import symmetric_graph

CACHE = Path(__file__).resolve().parent / ".cache"
K = 15
_MODEL = None


def vectors_for(texts: list[str]) -> np.ndarray:
    """MiniLM vectors of ``texts``, cached by each text's digest in one file."""
    global _MODEL
    CACHE.mkdir(exist_ok=True)
    store = CACHE / "minilm.npz"
    known: dict[str, np.ndarray] = {}
    if store.exists():
        with np.load(store) as z:
            known = dict(zip(z["keys"].tolist(), z["vectors"]))
    keys = [hashlib.sha1(t.encode("utf-8", "surrogatepass")).hexdigest() for t in texts]
    missing = sorted({k: t for k, t in zip(keys, texts) if k not in known}.items())
    if missing:
        if _MODEL is None:
            from newsclust_assets.vectors.embedding_models import LocalSentenceTransformer

            _MODEL = LocalSentenceTransformer()
        vecs = _MODEL.embed([t for _, t in missing]).vectors
        known.update({k: v for (k, _), v in zip(missing, vecs)})
        np.savez(store, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
    return np.stack([known[k] for k in keys]).astype(np.float32)


def window_graph(frame: pd.DataFrame, vectors: np.ndarray) -> WindowGraph:
    order = np.argsort(frame["id"].to_numpy(), kind="stable")  # the product sorts a window by id
    frame, vectors = frame.iloc[order].reset_index(drop=True), vectors[order]
    if len(frame) > 1:
        rows, cols, dists = exact_neighbours(vectors, min(K, len(frame) - 1))
        graph = symmetric_graph(len(frame), rows, cols, dists)
    else:
        import scipy.sparse as sp

        graph = sp.csr_matrix((len(frame), len(frame)))
    return WindowGraph(frame, vectors, graph, K, "COSINE", "", "")


def load(path: str | Path) -> tuple[pd.DataFrame, np.ndarray, dict[str, str]]:
    """The stream's articles (one row per id, on its earliest day, as the product stores them),
    their vectors, and the labels."""
    articles, _ = read_articles(path)
    days = sorted({a["date"] for a in articles})
    span = [days[0] + dt.timedelta(days=i) for i in range((days[-1] - days[0]).days + 1)]
    frames = [d.articles for d in articles_for_days(path, span).values() if len(d.articles)]
    frame = pd.concat(frames, ignore_index=True)
    return frame, vectors_for(list(frame["text"])), read_labels(path)


def one_window(frame, vectors, labels, settings: ClusterSettings | None = None) -> dict:
    out = label_window(window_graph(frame, vectors), settings).frame
    return _score(labels, dict(zip(out["id"], out["label"].astype(str))))


def _score(labels: dict[str, str], assigned: dict[str, str]) -> dict:
    """Every labelled article scored; one never assigned (or noise, "-1") is a singleton."""
    ids = list(labels)
    truth = [labels[a] for a in ids]
    codes: dict[str, int] = {}
    pred = []
    for a in ids:
        sid = assigned.get(a)
        pred.append(-1 if sid is None or sid == "-1" else codes.setdefault(sid, len(codes)))
    s = story_scores(truth, pred)
    return {
        "f1": round(s.pairwise_f1, 4),
        "p": round(s.pairwise_precision, 4),
        "r": round(s.pairwise_recall, 4),
        "ari": round(s.ari, 4),
        "clusters": s.clusters,
    }


def stream(
    frame,
    vectors,
    labels,
    window: int,
    settings: ClusterSettings | None = None,
    track: TrackSettings | None = None,
    cache: dict | None = None,
    archive: bool = True,
) -> dict:
    """Every day's window clustered and tracked, as ``newsclust run --windows all`` does."""
    dates = pd.to_datetime(frame["date"]).dt.date.to_numpy()
    first, last = dates.min(), dates.max()
    state, firsts = None, {}
    store = MemoryArchive() if archive else None
    day = first
    while day <= last:
        lo = day - dt.timedelta(days=window - 1)
        rows = np.flatnonzero((dates >= lo) & (dates <= day))
        if rows.size:
            key = (day, window, settings)
            if cache is not None and key in cache:
                graph, labelled = cache[key]
            else:
                graph = window_graph(frame.iloc[rows].reset_index(drop=True), vectors[rows])
                labelled = label_window(graph, settings).frame
                if cache is not None:
                    cache[key] = (graph, labelled)
            state, report = advance(state, day.isoformat(), labelled, graph.vectors, track, store)
            for a, sid in zip(report.articles["id"], report.articles["first_story"]):
                firsts.setdefault(a, sid)
        day += dt.timedelta(days=1)
    return _score(labels, firsts)
