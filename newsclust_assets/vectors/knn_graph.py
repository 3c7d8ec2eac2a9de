"""Sparse, symmetric k-nearest-neighbour graphs. No Dagster imports.

The graph is a scipy CSR matrix of true distances, O(N k) memory, never N x N dense.
An edge i-j exists when j is among i's k nearest or i among j's ("either direction"),
with the smaller of the two measured distances. Exact duplicates have distance 0 and are
kept as *explicit* zeros, so ``graph.nnz`` counts them; nothing here calls
``eliminate_zeros``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def symmetric_graph(n: int, rows: np.ndarray, cols: np.ndarray, dists: np.ndarray) -> sp.csr_matrix:
    """CSR (n x n) with edges from both directions, min distance on conflict, no self-loops."""
    rows = np.asarray(rows, np.int64)
    cols = np.asarray(cols, np.int64)
    dists = np.asarray(dists, np.float64)
    if not (rows.shape == cols.shape == dists.shape):
        raise ValueError("rows, cols and dists must have the same length")
    if rows.size and (rows.min() < 0 or cols.min() < 0 or rows.max() >= n or cols.max() >= n):
        raise ValueError(f"edge index out of range for a graph of {n} points")
    if dists.size and (not np.isfinite(dists).all() or dists.min() < 0):
        raise ValueError("distances must be finite and non-negative")
    keep = rows != cols
    r = np.concatenate([rows[keep], cols[keep]])
    c = np.concatenate([cols[keep], rows[keep]])
    d = np.concatenate([dists[keep], dists[keep]])
    order = np.lexsort((d, c, r))  # by row, then col, then distance
    r, c, d = r[order], c[order], d[order]
    first = np.ones(r.size, bool)
    first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
    r, c, d = r[first], c[first], d[first]
    indptr = np.zeros(n + 1, np.int64)
    np.add.at(indptr, r + 1, 1)
    indptr = np.cumsum(indptr)
    return sp.csr_matrix((d, c, indptr), shape=(n, n))


def knn_arrays(graph: sp.csr_matrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(indices, distances), each n x (k + 1), for UMAP's ``precomputed_knn``.

    Column 0 is the point itself at distance 0 (UMAP's convention); then the k nearest
    graph neighbours by distance. Rows with fewer than k neighbours are padded with
    index -1, which UMAP skips, and a finite distance (the graph's largest): an
    infinite one would make UMAP's bandwidth search infinite for the whole row.
    """
    n = graph.shape[0]
    pad = float(graph.data.max()) if graph.nnz and graph.data.max() > 0 else 1.0
    indices = np.full((n, k + 1), -1, np.int64)
    distances = np.full((n, k + 1), pad, np.float32)
    indices[:, 0] = np.arange(n)
    distances[:, 0] = 0.0
    indptr, cols, data = graph.indptr, graph.indices, graph.data
    for i in range(n):
        lo, hi = indptr[i], indptr[i + 1]
        if hi == lo:
            continue
        order = np.lexsort((cols[lo:hi], data[lo:hi]))[:k]
        m = order.size
        indices[i, 1 : 1 + m] = cols[lo:hi][order]
        distances[i, 1 : 1 + m] = data[lo:hi][order]
    return indices, distances


def connected_components(graph: sp.csr_matrix) -> int:
    if graph.shape[0] == 0:
        return 0
    return int(sp.csgraph.connected_components(graph, directed=False)[0])
