"""Windows' kNN graphs from what Milvus holds. No Dagster imports.

Reads the rows and vectors of all the windows asked for back from Milvus in one query
(consecutive windows share W-1 days, so a range of windows reads each row once), then
finds each window's k nearest neighbours: exactly in numpy blocks ("exact": what "auto"
picks up to ``APPROX_ABOVE`` vectors on any Milvus; Lite's pure-Python search costs
milliseconds per query vector, and on a server one search call per window cost more than
the exact work), by the server's own search ("milvus": "auto" above ``APPROX_ABOVE`` on a
server, where exact work grows as N^2), or with an in-process HNSW index ("approx": "auto"
above ``APPROX_ABOVE`` on Lite). The in-process paths run after the client is
closed, so Lite's lock is held only while reading. Used by the ``knn_distances`` asset
and the benchmarks alike.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from ..artifacts import WindowGraph
from .approx_knn import APPROX_ABOVE, hnsw_neighbours
from .exact_knn import exact_neighbours
from .knn_graph import symmetric_graph
from .milvus_store import AFTER_STRONG_READ, QUERY_FIELDS, day_number, query_window_vectors, search_neighbours

KNN_METHODS = ("auto", "milvus", "exact", "approx")


def resolve_method(method: str, is_lite: bool, n: int = 0, approx_above: int = APPROX_ABOVE) -> str:
    """The method for a window of ``n`` vectors. "auto": exact in numpy up to ``approx_above``
    vectors on any Milvus (the window's vectors are read back anyway, and a small window's
    exact neighbours cost less than a search call: 0.9 s at 10,000), then an index: the
    server's own search, or on Lite an in-process HNSW index (0: exact at any size)."""
    if method not in KNN_METHODS:
        raise ValueError(f"method must be one of {KNN_METHODS}, got {method!r}")
    if method == "auto":
        if approx_above and n > approx_above:
            return "approx" if is_lite else "milvus"
        return "exact"
    return method


def window_graph(milvus, first: dt.date, last: dt.date, k: int, method: str) -> WindowGraph:
    """The graph of the rows with first <= day <= last (one window)."""
    days = (last - first).days + 1
    return window_graphs(milvus, [last], days, k, method)[last]


def window_graphs(
    milvus,
    last_days: list[dt.date],
    window_days: int,
    k: int,
    method: str,
    approx_above: int = APPROX_ABOVE,
    on_window=None,
) -> dict[dt.date, WindowGraph]:
    """{D: graph of the rows with D - window_days + 1 <= day <= D} for each D in ``last_days``.

    ``milvus`` is anything with the MilvusResource attributes used here (``client()``,
    ``collection_name``, ``metric``, ``queries_per_search``, ``index_type``,
    ``display_uri``, ``is_lite``). ``on_window(i, n_windows)`` is called after each window."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if not last_days:
        return {}
    span = dt.timedelta(days=window_days - 1)
    lo, hi = day_number(min(last_days) - span), day_number(max(last_days))
    name = milvus.collection_name
    out: dict[dt.date, WindowGraph] = {}
    searched: dict[dt.date, tuple] = {}
    methods: dict[dt.date, str] = {}
    with milvus.client() as client:
        if not client.has_collection(name):
            raise ValueError(
                f"Milvus collection {name!r} does not exist at {milvus.display_uri}: "
                "materialize milvus_collection for the window's days first"
            )
        client.load_collection(name)
        rows, all_vectors = query_window_vectors(client, name, lo, hi, fields=QUERY_FIELDS)
        day_numbers = rows["day"].to_numpy(np.int64) if len(rows) else np.zeros(0, np.int64)
        windows = {}
        for last in last_days:
            a, b = day_number(last - span), day_number(last)
            windows[last] = np.flatnonzero((day_numbers >= a) & (day_numbers <= b))  # rows stay in id order
            methods[last] = resolve_method(method, milvus.is_lite, len(windows[last]), approx_above)
            if methods[last] == "milvus":
                idx = windows[last]
                ids = list(rows["id"].iloc[idx])
                searched[last] = search_neighbours(
                    client,
                    name,
                    ids,
                    all_vectors[idx],
                    k,
                    a,
                    b,
                    milvus.metric,
                    milvus.queries_per_search,
                    milvus.index_type,
                    consistency=AFTER_STRONG_READ,
                )  # query_window read them
    articles_all = rows.drop(columns=["day"])
    for i, last in enumerate(last_days):
        idx = windows[last]
        vectors = (
            all_vectors[idx]
            if len(idx)
            else np.zeros((0, all_vectors.shape[1] if all_vectors.ndim == 2 else 0), np.float32)
        )
        if methods[last] == "milvus":
            r, c, d = searched[last]
        elif methods[last] == "approx":
            r, c, d = hnsw_neighbours(vectors, k, milvus.metric)
        else:
            r, c, d = exact_neighbours(vectors, k, milvus.metric)
        graph = symmetric_graph(len(idx), r, c, d)
        articles = articles_all.iloc[idx].reset_index(drop=True)
        first = last - span
        out[last] = WindowGraph(
            articles, vectors, graph, k, milvus.metric, first.isoformat(), last.isoformat(), methods[last]
        )
        if on_window:
            on_window(i + 1, len(last_days))
    return out
