"""Compile UMAP's and fast_hdbscan's numba kernels into the on-disk cache once per
environment (``make setup``), so the first real run does not pay for it."""

from __future__ import annotations

from ..numba_cache import enable_numba_cache


def warm() -> float:
    """Compile the numba kernels newsclust uses (UMAP to 2 and 5 dimensions on a kNN graph,
    fast_hdbscan) on a small random window, so they land in the cache before the first real
    run. numba keys its cache by the package's path, so a new virtual environment starts
    cold: ``make setup`` calls this once. Returns the seconds it took."""
    import time

    import numpy as np

    enable_numba_cache()
    from ..vectors.exact_knn import exact_neighbours
    from ..vectors.knn_graph import symmetric_graph
    from .hdbscan_clustering import cluster_embedding
    from .umap_reduction import reduce_with_knn

    started = time.perf_counter()
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(120, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows, cols, dists = exact_neighbours(vectors, 15)
    graph = symmetric_graph(len(vectors), rows, cols, dists)
    for dims in (2, 5):
        embedding = reduce_with_knn(graph, vectors, 15, dims, min_dist=0.1 if dims == 2 else 0.0, seed=42)
    for dtype in (np.float32, np.float64):  # UMAP's output, and arrays given directly
        cluster_embedding(embedding.astype(dtype), 5, 3)
    return time.perf_counter() - started
