"""HDBSCAN on the UMAP embedding, with fast_hdbscan. No Dagster imports.

Clustering runs in the ~5-d UMAP space (Euclidean), not on the raw kNN graph: on the
raw graph HDBSCAN left most articles as noise around one giant cluster. Windows with
fewer points than ``min_cluster_size`` are all noise, by definition, without calling
HDBSCAN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..numba_cache import enable_numba_cache


@dataclass
class Clustering:
    labels: np.ndarray  # int64, -1 = noise, clusters numbered 0.. by decreasing size
    probabilities: np.ndarray  # float64 in [0, 1], 0 for noise

    @property
    def n_clusters(self) -> int:
        return int(self.labels.max() + 1) if self.labels.size else 0

    @property
    def noise_share(self) -> float:
        return float((self.labels < 0).mean()) if self.labels.size else 0.0


def renumber_by_size(labels: np.ndarray) -> np.ndarray:
    """Clusters renamed 0, 1, ... by decreasing size (ties: by first occurrence); -1 kept."""
    labels = np.asarray(labels, np.int64)
    out = np.full_like(labels, -1)
    ids = [c for c in dict.fromkeys(labels.tolist()) if c >= 0]
    sizes = {c: int((labels == c).sum()) for c in ids}
    for new, old in enumerate(sorted(ids, key=lambda c: (-sizes[c], ids.index(c)))):
        out[labels == old] = new
    return out


def cluster_embedding(embedding: np.ndarray, min_cluster_size: int = 5, min_samples: int | None = 3) -> Clustering:
    n = embedding.shape[0]
    if n < max(min_cluster_size, 2):
        return Clustering(np.full(n, -1, np.int64), np.zeros(n))
    enable_numba_cache()
    import fast_hdbscan

    model = fast_hdbscan.HDBSCAN(
        min_cluster_size=min_cluster_size, min_samples=min(min_samples or min_cluster_size, n - 1), reproducible=True
    )
    model.fit(np.asarray(embedding, np.float64))
    labels = renumber_by_size(model.labels_)
    probs = np.where(labels >= 0, np.nan_to_num(model.probabilities_, nan=0.0), 0.0)
    return Clustering(labels, np.clip(probs.astype(np.float64), 0.0, 1.0))
