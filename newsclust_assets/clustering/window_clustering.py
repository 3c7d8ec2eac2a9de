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
from ..knobs import check, knob
from .average_linkage import average_linkage, centroid_strength, news_time
from .hdbscan_clustering import cluster_embedding
from .topic_words import cluster_top_words, story_names
from .umap_reduction import reduce_with_knn

LABEL_COLUMNS = ["id", "label", "probability", "cluster_name", "headline", "date", "category"]
ALGORITHMS = ("average_linkage", "umap_hdbscan")


@dataclass(frozen=True)
class ClusterSettings:
    """How one window is clustered: each field is the declaration of one ``cluster_labels``
    setting (its Dagster config, ``--`` option and docs/settings.md row come from here)."""

    algorithm: str = knob(
        "average_linkage", "clustering algorithm: average_linkage, or umap_hdbscan (v1)", choices=ALGORITHMS
    )
    similarity_threshold: float = knob(
        0.27, "mean cosine similarity at which two groups of articles still merge", lo=-1, hi=1, what="a cosine"
    )
    lexical_weight: float = knob(0.0, "weight of TF-IDF cosine blended into the similarity, 0..1", lo=0, hi=1)
    time_weight: float = knob(0.4, "similarity two groups lose when far apart in news time, 0..1; 0 = off", lo=0, hi=1)
    time_scale: float = knob(
        300.0,
        "news-time gap of the full loss, in articles published between",
        lo=0,
        lo_open=True,
        what="a number of articles",
    )
    word_veto: float = knob(
        0.1,
        "groups of 5+ articles whose TF-IDF centroids' cosine is below this never merge; 0 = off",
        lo=0,
        hi=1,
        what="a cosine",
    )
    day_cap: float = knob(
        75.0,
        "a day counts as at most this many articles of news time, so that a dense "
        "stream's stories may run over days; 0 = no cap",
        lo=0,
        what="a number of articles",
    )
    min_cluster_size: int = knob(2, "smaller groups are noise (both algorithms)", lo=2)
    attach_similarity: float = knob(
        0.5, "centroid cosine at which a noise article joins a neighbouring cluster; 0 = off", lo=0, hi=1
    )
    n_components: int = knob(5, "umap_hdbscan only: UMAP dimensions that HDBSCAN clusters in", lo=1)
    min_samples: int = knob(3, "umap_hdbscan only: HDBSCAN's min_samples", lo=1)
    seed: int = knob(42, "umap_hdbscan only: UMAP's random_state")
    top_words: int = knob(5, "top c-TF-IDF words in a story's name", lo=0)

    def __post_init__(self):
        check(self)

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
