"""One window's kNN graph from what Milvus holds. No Dagster imports.

Reads the window's rows and vectors back from Milvus, then finds each article's k nearest
neighbours: by Milvus search ("milvus": server-side, the default for a server uri), or
exactly in numpy blocks ("exact": the default for Milvus Lite, whose pure-Python search
costs milliseconds per query vector). The exact path runs after the client is closed, so
Lite's lock is held only while reading. Used by the ``knn_distances`` asset and the
benchmarks alike.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from ..artifacts import WindowGraph
from .exact_knn import exact_neighbours
from .knn_graph import symmetric_graph
from .milvus_store import QUERY_FIELDS, day_number, query_window, search_neighbours

KNN_METHODS = ("auto", "milvus", "exact")


def resolve_method(method: str, is_lite: bool) -> str:
    if method not in KNN_METHODS:
        raise ValueError(f"method must be one of {KNN_METHODS}, got {method!r}")
    if method == "auto":
        return "exact" if is_lite else "milvus"
    return method


def window_graph(milvus, first: dt.date, last: dt.date, k: int, method: str) -> WindowGraph:
    """The graph of the rows with first <= day <= last. ``milvus`` is anything with the
    MilvusResource attributes used here (``client()``, ``collection_name``, ``metric``,
    ``queries_per_search``, ``index_type``, ``display_uri``); ``method`` is resolved."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    lo, hi = day_number(first), day_number(last)
    name = milvus.collection_name
    with milvus.client() as client:
        if not client.has_collection(name):
            raise ValueError(
                f"Milvus collection {name!r} does not exist at {milvus.display_uri}: "
                "materialize milvus_collection for the window's days first"
            )
        client.load_collection(name)
        window = query_window(client, name, lo, hi, fields=[*QUERY_FIELDS, "vector"])
        vectors = (np.asarray(window["vector"].tolist(), np.float32) if len(window)
                   else np.zeros((0, 0), np.float32))
        ids = list(window["id"])
        if method == "milvus":
            rows, cols, dists = search_neighbours(client, name, ids, vectors, k, lo, hi, milvus.metric,
                                                  milvus.queries_per_search, milvus.index_type)
    if method == "exact":
        rows, cols, dists = exact_neighbours(vectors, k, milvus.metric)
    graph = symmetric_graph(len(ids), rows, cols, dists)
    articles = window.drop(columns=["vector", "day"]).reset_index(drop=True)
    return WindowGraph(articles, vectors, graph, k, milvus.metric, first.isoformat(), last.isoformat())
