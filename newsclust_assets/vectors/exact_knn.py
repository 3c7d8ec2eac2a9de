"""Exact k nearest neighbours of a window's vectors in numpy blocks. No Dagster imports.

Milvus Lite is pure Python: its search costs about 2 ms per query vector, so the kNN
graph of 10,000 articles through Lite search takes longer than embedding them. The
window's vectors are read back from Milvus anyway (UMAP needs them), so for Lite the
neighbours are computed here: one float32 matrix product per block of ``block`` query
rows, ``argpartition`` for the k best, then a sort by (distance, index). Memory is the
O(N k) result plus the work arrays of one block of query rows against all N (16 bytes a
pair: the scores, their order and argpartition's indices), the block cut so that they stay
under ``WORK_BYTES`` (512 rows up to N = 16,384; 81 rows, 128 MB, at N = 100,000), never N x N.

The output is the same as :func:`milvus_store.search_neighbours` gives: COO arrays
(row, col, distance) of true distances, self excluded, ties broken by index (the window
is sorted by id, so by id as Milvus's path does), distances rounded to float32.
"""

from __future__ import annotations

import numpy as np

from .milvus_store import similarity_to_distance

# below this, 1 - cosine is float32 rounding noise of identical vectors: an exact duplicate
DUPLICATE_EPS = 1e-6
WORK_BYTES = 128 * 2**20  # one block's work arrays


def exact_neighbours(
    vectors: np.ndarray, k: int, metric: str = "COSINE", block: int = 512
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The k nearest other rows of every row of ``vectors`` (unit rows for COSINE/IP), in
    blocks of at most ``block`` rows (fewer where N is large: ``WORK_BYTES``)."""
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    n = x.shape[0]
    block = min(block, max(16, WORK_BYTES // (16 * max(n, 1))))
    k = min(k, n - 1)
    if n < 2 or k < 1:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64)
    sq = (x * x).sum(axis=1) if metric == "L2" else None
    rows, cols, dists = [], [], []
    for start in range(0, n, block):
        q = x[start : start + block]
        sims = q @ x.T  # (b, n)
        if sq is not None:  # L2
            scores = sq[start : start + block, None] + sq[None, :] - 2.0 * sims  # squared, as Milvus returns
        else:
            scores = sims
        local = np.arange(q.shape[0])
        worst = np.inf if metric == "L2" else -np.inf
        scores[local, start + local] = worst  # never one's own neighbour
        # k + 1 candidates with argpartition, so that ties at the k-th place can be resolved by index
        take = min(k + 1, n - 1)
        order = -scores if metric != "L2" else scores
        cand = np.argpartition(order, take - 1, axis=1)[:, :take]
        cand_scores = np.take_along_axis(scores, cand, axis=1)
        d = similarity_to_distance(cand_scores, metric)
        if metric in ("COSINE", "IP"):
            d = np.where(d < DUPLICATE_EPS, 0.0, d)
        best = np.lexsort((cand, d), axis=1)[:, :k]
        rows.append(np.repeat(start + local, k))
        cols.append(np.take_along_axis(cand, best, axis=1).ravel())
        dists.append(np.take_along_axis(d, best, axis=1).ravel())
    return (
        np.concatenate(rows).astype(np.int64),
        np.concatenate(cols).astype(np.int64),
        np.concatenate(dists).astype(np.float64),
    )
