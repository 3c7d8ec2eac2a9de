"""UMAP on a precomputed kNN graph. No Dagster imports.

The same sparse kNN graph that Milvus produced feeds UMAP through ``precomputed_knn``,
so UMAP never recomputes neighbours. Used twice: to ~5 dimensions for clustering, and
to 2 for the map. Deterministic for a fixed ``seed``.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp

from ..numba_cache import enable_numba_cache
from ..vectors.knn_graph import knn_arrays

# Below this many points UMAP's optimisation is meaningless; points are laid out trivially.
MIN_POINTS_FOR_UMAP = 8


def trivial_layout(n: int, n_components: int) -> np.ndarray:
    """Points on a small circle (or at the origin): a defined layout for tiny windows."""
    out = np.zeros((n, n_components), np.float32)
    if n > 1 and n_components >= 2:
        angle = 2 * np.pi * np.arange(n) / n
        out[:, 0], out[:, 1] = np.cos(angle), np.sin(angle)
    return out


def reduce_with_knn(
    graph: sp.csr_matrix, data: np.ndarray, k: int, n_components: int = 5, min_dist: float = 0.0, seed: int = 42
) -> np.ndarray:
    """Embed the points of ``graph`` in ``n_components`` dimensions with UMAP.

    ``data`` (n x dim) is only used by UMAP to place disconnected components relative to
    each other; the neighbourhoods come from ``graph``.
    """
    n = graph.shape[0]
    if data.shape[0] != n:
        raise ValueError(f"graph has {n} points but data has {data.shape[0]} rows")
    if n < MIN_POINTS_FOR_UMAP or graph.nnz == 0:
        return trivial_layout(n, n_components)
    enable_numba_cache()
    import umap

    k_eff = max(1, min(k, n - 1))
    indices, distances = knn_arrays(graph, k_eff)
    init = "spectral" if n > n_components + 2 else "random"
    reducer = umap.UMAP(
        n_neighbors=k_eff + 1,
        n_components=n_components,
        metric="cosine",
        min_dist=min_dist,
        init=init,
        random_state=seed,
        n_jobs=1,
        precomputed_knn=(indices, distances),
        verbose=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        embedding = reducer.fit_transform(np.asarray(data, np.float32))
    return np.asarray(embedding, np.float32)
