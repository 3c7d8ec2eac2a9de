"""Approximate k nearest neighbours for large windows: an HNSW index in-process (faiss).
No Dagster imports.

The exact numpy path (``exact_knn.py``) is O(N^2) work: 2 s at 10k vectors, 106 s at
100k. Above ``APPROX_ABOVE`` vectors a window on Milvus Lite uses faiss's HNSW graph
instead (faiss-cpu comes with Milvus Lite), the same index family a Milvus server builds
with ``index_type: HNSW``. Same output as the exact path: COO arrays (row, col, distance)
of true distances, self excluded, rounded to float32. ``recall_at_k`` measures it
against the exact graph.
"""

from __future__ import annotations

import numpy as np

from .exact_knn import DUPLICATE_EPS
from .milvus_store import similarity_to_distance

APPROX_ABOVE = 30_000  # vectors in a window from which "auto" picks this path on Lite


def hnsw_neighbours(
    vectors: np.ndarray,
    k: int,
    metric: str = "COSINE",
    m: int = 32,
    ef_construction: int = 80,
    ef_search: int | None = None,
    threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (approximately) k nearest other rows of every row of ``vectors``."""
    import faiss

    x = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = x.shape if x.ndim == 2 else (0, 0)
    k = min(k, n - 1)
    if n < 2 or k < 1:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64)
    if threads:
        faiss.omp_set_num_threads(threads)
    space = faiss.METRIC_L2 if metric == "L2" else faiss.METRIC_INNER_PRODUCT
    index = faiss.IndexHNSWFlat(dim, m, space)
    index.hnsw.efConstruction = ef_construction
    index.hnsw.efSearch = ef_search or max(64, 4 * k)
    index.add(x)
    take = min(k + 1, n)
    scores, cand = index.search(x, take)  # L2: squared distances, as Milvus returns
    d = similarity_to_distance(scores, metric)
    if metric in ("COSINE", "IP"):
        d = np.where(d < DUPLICATE_EPS, 0.0, d)
    own = np.arange(n)[:, None]
    d = np.where((cand == own) | (cand < 0), np.inf, d)  # drop self-matches and empty slots
    best = np.lexsort((cand, d), axis=1)[:, :k]
    cols = np.take_along_axis(cand, best, axis=1)
    dist = np.take_along_axis(d, best, axis=1)
    keep = np.isfinite(dist)
    rows = np.repeat(np.arange(n), k).reshape(n, k)
    return rows[keep].astype(np.int64), cols[keep].astype(np.int64), dist[keep].astype(np.float64)


def recall_at_k(exact_cols: np.ndarray, approx_rows: np.ndarray, approx_cols: np.ndarray, n: int, k: int) -> float:
    """Share of the exact k neighbours (``exact_cols`` as n x k) that the approximate graph found."""
    exact = np.asarray(exact_cols).reshape(n, k)
    found = 0
    order = np.argsort(approx_rows, kind="stable")
    rows, cols = approx_rows[order], approx_cols[order]
    bounds = np.searchsorted(rows, np.arange(n + 1))
    for i in range(n):
        found += len(set(exact[i].tolist()) & set(cols[bounds[i] : bounds[i + 1]].tolist()))
    return found / float(n * k) if n else 1.0
