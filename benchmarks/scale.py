"""Scale run of the stages after embedding (store, kNN graph, cluster, plot) at N vectors.

Construction: the real MiniLM vectors of the 10k set (saved by the newsclust 10k run) plus
deterministic perturbed copies. Copy c of article a is a's vector plus Gaussian noise of
norm ~0.35 (seed c), re-normalised: about 0.94 cosine similarity to its original, so each
copy lands inside its original's neighbourhood but is not a duplicate. Copies keep their
original's day, headline and category, so days hold N/10k times more articles and the
graph, UMAP and HDBSCAN see N distinct points with the real data's structure.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from newsclust_assets.numba_cache import enable_numba_cache
from newsclust_assets.resources import MilvusResource

from .data import day_frames, first_lines_file
from .measure import Stages
from .newsclust_path import cluster_and_plot, graph_of_all_days, store_days

NOISE_NORM = 0.35


def build(n: int, workdir: Path) -> tuple[list, list[pd.DataFrame], list[np.ndarray]]:
    base = np.load(workdir / "vectors_10000.npy")
    originals = pd.concat(day_frames(first_lines_file(10_000, workdir))[1], ignore_index=True)
    assert len(originals) == base.shape[0], "vectors_10000.npy does not match the 10k articles"
    copies = -(-n // len(originals))
    all_frames, all_vecs = [], []
    for c in range(copies):
        if c == 0:
            vecs = base
            frame = originals
        else:
            noise = np.random.default_rng(c).standard_normal(base.shape).astype(np.float32)
            noise *= NOISE_NORM / np.sqrt(base.shape[1])
            vecs = base + noise
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            frame = originals.assign(id=originals["id"] + f"-c{c}")
        all_frames.append(frame)
        all_vecs.append(vecs)
    frame = pd.concat(all_frames, ignore_index=True).iloc[:n]
    vecs = np.concatenate(all_vecs)[:n]
    groups = frame.groupby("date", sort=True).indices
    days = sorted(groups)
    return (
        [pd.Timestamp(d).date() for d in days],
        [frame.iloc[groups[d]].reset_index(drop=True) for d in days],
        [vecs[groups[d]] for d in days],
    )


def main(n: int, workdir: Path, out: Path) -> None:
    enable_numba_cache()
    days, frames, vectors = build(n, workdir)
    run_dir = workdir / f"scale_{n}"
    # a fresh collection for every run: trees run side by side share the workdir, and a store
    # into a collection the other tree filled is a re-run (replacing 100k rows), not a first run
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir()
    milvus = MilvusResource(uri=str(run_dir / "newsclust.db"))
    stages = Stages()
    with stages("store"):
        store_days(milvus, days, frames, vectors, "all-MiniLM-L6-v2")
    with stages("knn"):
        graph, method = graph_of_all_days(milvus, days)
    quality = cluster_and_plot(stages, graph, run_dir / "map.html")
    out.write_text(
        json.dumps(
            {
                "n": graph.n,
                "days": len(days),
                "knn_method": method,
                "stages": stages.results,
                "process_peak_rss_mib": stages.process_peak(),
                "edges": int(graph.distances.nnz // 2),
                **quality,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
