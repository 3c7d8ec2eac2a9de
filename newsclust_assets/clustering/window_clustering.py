"""One window's articles -> story label, strength and name per article. No Dagster imports.

Two algorithms, chosen by ``ClusterSettings.algorithm``:

- ``"average_linkage"`` (default): average linkage along the window's kNN graph, stopped
  at a mean cosine similarity less a penalty for the news published between two groups
  (news time, ``average_linkage.py``). Deterministic; one threshold in cosine units fits
  a 5-article and a 5,000-article window alike.
- ``"umap_hdbscan"``: UMAP to ``n_components`` on the same graph, then HDBSCAN with
  ``min_cluster_size`` / ``min_samples`` (the v1 default, kept for comparison).

Then each cluster gets a name: its most central headline (closest to the centroid)
plus its top class-based TF-IDF words.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ..artifacts import WindowGraph
from .average_linkage import average_linkage, centroid_strength, news_time
from .hdbscan_clustering import cluster_embedding
from .topic_words import cluster_top_words, story_names
from .umap_reduction import reduce_with_knn

LABEL_COLUMNS = ["id", "label", "probability", "cluster_name", "headline", "date", "category"]
ALGORITHMS = ("average_linkage", "umap_hdbscan")


@dataclass(frozen=True)
class ClusterSettings:
    algorithm: str = "average_linkage"
    similarity_threshold: float = 0.3  # average_linkage: mean cosine at which two groups still merge
    lexical_weight: float = 0.0  # average_linkage: weight of TF-IDF cosine in the similarity
    time_weight: float = 0.4  # average_linkage: similarity lost by groups far apart in news time
    time_scale: float = 300.0  # average_linkage: news-time gap (in articles) of the full loss
    word_veto: float = 0.1  # average_linkage: groups of 5+ whose TF-IDF centroids' cosine is below never merge
    day_cap: float = 60.0  # average_linkage: a day counts as at most this many articles of news time; 0 = no cap
    min_cluster_size: int = 2  # smaller groups are noise (both algorithms)
    attach_similarity: float = 0.5  # noise joins a neighbouring cluster at this centroid cosine; 0 = off
    n_components: int = 5  # umap_hdbscan: UMAP dimensions
    min_samples: int = 3  # umap_hdbscan
    seed: int = 42  # umap_hdbscan: UMAP's random_state
    top_words: int = 5

    def __post_init__(self):
        if self.algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {ALGORITHMS}, got {self.algorithm!r}")
        if not -1.0 <= self.similarity_threshold <= 1.0:
            raise ValueError(f"similarity_threshold is a cosine in [-1, 1], got {self.similarity_threshold}")
        if not 0.0 <= self.time_weight <= 1.0:
            raise ValueError(f"time_weight must be in [0, 1], got {self.time_weight}")
        if not 0.0 <= self.word_veto <= 1.0:
            raise ValueError(f"word_veto is a cosine in [0, 1], got {self.word_veto}")
        if self.day_cap < 0:
            raise ValueError(f"day_cap is a number of articles >= 0 (0 = no cap), got {self.day_cap}")
        if self.time_scale <= 0:
            raise ValueError(f"time_scale is a number of articles > 0, got {self.time_scale}")
        if self.min_cluster_size < 2:
            raise ValueError(f"min_cluster_size must be at least 2, got {self.min_cluster_size}")

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class WindowLabels:
    frame: pd.DataFrame  # LABEL_COLUMNS plus strength, attached, central
    top_words: dict[int, list[str]]
    attached: int  # noise articles that joined a cluster by the attach rule
    seconds: float


def label_window(graph: WindowGraph, settings: ClusterSettings | None = None) -> WindowLabels:
    settings = settings or ClusterSettings()
    started = time.perf_counter()
    arts = graph.articles
    texts = list(arts["text"])
    vectors = np.asarray(graph.vectors, np.float32)
    if settings.algorithm == "average_linkage":
        result = average_linkage(
            vectors,
            graph.distances,
            settings.similarity_threshold,
            texts,
            settings.lexical_weight,
            settings.min_cluster_size,
            settings.attach_similarity,
            news_time(arts["date"], settings.day_cap),
            settings.time_weight,
            settings.time_scale,
            settings.word_veto,
        )
        labels, strength, attached = result.labels, result.strength, result.attached
    else:
        embedding = reduce_with_knn(
            graph.distances, vectors, graph.k, settings.n_components, min_dist=0.0, seed=settings.seed
        )
        clustering = cluster_embedding(embedding, settings.min_cluster_size, settings.min_samples)
        labels = clustering.labels
        strength = clustering.probabilities if len(labels) else np.zeros(0)
        attached = np.zeros(len(labels), bool)
    words = cluster_top_words(texts, labels, settings.top_words)
    central = centroid_strength(vectors, labels) if len(labels) else np.zeros(0)
    names = story_names(list(arts["headline"]), labels, central, words)
    frame = pd.DataFrame(
        {
            "id": arts["id"].astype(object),
            "label": np.asarray(labels, np.int64),
            "probability": np.asarray(strength, np.float64),
            "cluster_name": [names.get(int(label), "noise") for label in labels],
            "headline": arts["headline"],
            "date": arts["date"],
            "category": arts["category"],
            "centrality": central,
            "attached": np.asarray(attached, bool),
        }
    )
    return WindowLabels(frame, words, int(np.asarray(attached).sum()), time.perf_counter() - started)
