"""Values passed between assets (pickled by Dagster's IO manager). No Dagster imports."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp


@dataclass
class EmbeddedDay:
    """One day's articles and their vectors, row i of ``vectors`` for row i of ``articles``."""

    articles: pd.DataFrame
    vectors: np.ndarray  # (n, dim) float32, unit rows
    model: str

    @property
    def dimension(self) -> int:
        return int(self.vectors.shape[1])


@dataclass
class WindowGraph:
    """The kNN graph of the articles of a window of days, as read back from Milvus.

    ``distances`` is a symmetric scipy CSR matrix of true distances over the rows of
    ``articles`` (sorted by id); ``vectors`` are the same rows' stored vectors.
    """

    articles: pd.DataFrame
    vectors: np.ndarray
    distances: sp.csr_matrix
    k: int
    metric: str
    first_day: str
    last_day: str
    method: str = "exact"  # how the neighbours were found: exact, approx (HNSW) or milvus (search)

    @property
    def n(self) -> int:
        return len(self.articles)

    def labels_in_order(self, labels: pd.DataFrame) -> pd.DataFrame:
        """The window's ``cluster_labels`` in this graph's row order (row i for vector i);
        a clear error when they do not cover every article of the graph."""
        frame = labels.set_index("id").reindex(self.articles["id"])
        if frame["label"].isna().any():
            raise ValueError(
                "cluster_labels does not cover every article of knn_distances: re-materialize cluster_labels"
            )
        return frame.reset_index()
