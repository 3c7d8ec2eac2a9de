"""newsclust's own path, through the same functions the assets call, with their defaults:
per day (raw_news -> embeddings -> milvus_collection), then one window over all the days
(knn_distances -> cluster_labels -> umap_plot)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from newsclust_assets.artifacts import WindowGraph
from newsclust_assets.assets.knn import KnnConfig
from newsclust_assets.assets.plot import PlotConfig
from newsclust_assets.clustering.umap_reduction import reduce_with_knn
from newsclust_assets.clustering.window_clustering import label_window
from newsclust_assets.evaluation.cluster_quality import agreement
from newsclust_assets.maps.map_plot import write_map
from newsclust_assets.numba_cache import enable_numba_cache
from newsclust_assets.resources import MilvusResource
from newsclust_assets.vectors.embedding_models import LocalSentenceTransformer
from newsclust_assets.vectors.milvus_store import ensure_collection, write_days
from newsclust_assets.vectors.window_graph import resolve_method, window_graph

from .data import day_frames, first_lines_file
from .measure import Stages


def store_days(milvus: MilvusResource, days: list, frames: list, vectors: list, model: str) -> None:
    """milvus_collection for a range of days: ensure the collection, upsert every day by id
    in bulk, delete each day's stale ids, flush once."""
    spec = milvus.spec(vectors[0].shape[1], model)
    with milvus.client() as client:
        ensure_collection(client, spec)
        write_days(
            client, spec, {day: (frame, vecs) for day, frame, vecs in zip(days, frames, vectors)}, flush=milvus.is_lite
        )


def graph_of_all_days(milvus: MilvusResource, days: list) -> tuple[WindowGraph, str]:
    """knn_distances over one window holding every day, with its default method."""
    method = resolve_method(KnnConfig().method, milvus.is_lite)
    return window_graph(milvus, days[0], days[-1], KnnConfig().k, method), method


def cluster_and_plot(stages: Stages, graph: WindowGraph, map_path: Path) -> dict:
    with stages("cluster"):  # cluster_labels: average linkage on the graph -> names
        frame = label_window(graph).frame
    with stages("plot"):  # umap_plot: UMAP 2-d on the same graph -> HTML map
        plot = PlotConfig()
        coords = reduce_with_knn(graph.distances, graph.vectors, graph.k, 2, min_dist=plot.min_dist, seed=plot.seed)
        write_map(frame, coords, map_path, f"newsclust: {graph.n} articles")
    labels = frame["label"].to_numpy()
    return {
        "clusters": int(labels.max() + 1) if len(labels) else 0,
        "noise_share": float((labels < 0).mean()),
        **(agreement(list(frame["category"]), labels) or {}),
    }


def main(n: int, workdir: Path, out: Path) -> None:
    enable_numba_cache()
    stages = Stages()
    with stages("load"):  # raw_news for every day of the file
        days, frames = day_frames(first_lines_file(n, workdir))
    with stages("embed"):  # embeddings of a range run: every day's texts in one call (full batches of 32)
        model = LocalSentenceTransformer()
        run = model.embed([t for f in frames for t in f["text"]])
        bounds = np.cumsum([0] + [len(f) for f in frames])
        vectors = [run.vectors[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    stages.results["embed"]["encode_seconds"] = round(run.seconds, 3)  # without the model load
    milvus = MilvusResource(uri=str(workdir / f"newsclust_{n}.db"))
    with stages("store"):
        store_days(milvus, days, frames, vectors, model.model_name)
    with stages("knn"):
        graph, method = graph_of_all_days(milvus, days)
    quality = cluster_and_plot(stages, graph, workdir / f"newsclust_map_{n}.html")
    np.save(workdir / f"vectors_{n}.npy", np.concatenate(vectors))  # for the scale run
    result = {
        "approach": "newsclust",
        "n": n,
        "articles": graph.n,
        "days": len(days),
        "knn_method": method,
        "stages": stages.results,
        "process_peak_rss_mib": stages.process_peak(),
        "outcome": "ok",
        "edges": int(graph.distances.nnz // 2),
        **quality,
    }
    out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
