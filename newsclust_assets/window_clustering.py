"""One window's articles -> cluster label, probability and topic name per article.
UMAP (on the window's kNN graph) -> HDBSCAN -> class-based TF-IDF words. No Dagster imports."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .artifacts import WindowGraph
from .hdbscan_clustering import cluster_embedding
from .topic_words import cluster_name, cluster_top_words
from .umap_reduction import reduce_with_knn

LABEL_COLUMNS = ["id", "label", "probability", "cluster_name", "headline", "date", "category"]


def label_window(graph: WindowGraph, n_components: int = 5, min_cluster_size: int = 5,
                 min_samples: int = 3, seed: int = 42,
                 top_words: int = 5) -> tuple[pd.DataFrame, dict[int, list[str]]]:
    embedding = reduce_with_knn(graph.distances, graph.vectors, graph.k, n_components, min_dist=0.0, seed=seed)
    clustering = cluster_embedding(embedding, min_cluster_size, min_samples)
    arts = graph.articles
    words = cluster_top_words(list(arts["text"]), clustering.labels, top_words)
    frame = pd.DataFrame({
        "id": arts["id"].astype(object),
        "label": clustering.labels.astype(np.int64),
        "probability": clustering.probabilities.astype(np.float64),
        "cluster_name": [cluster_name(int(l), words.get(int(l), [])) for l in clustering.labels],
        "headline": arts["headline"],
        "date": arts["date"],
        "category": arts["category"],
    }, columns=LABEL_COLUMNS)
    return frame, words
