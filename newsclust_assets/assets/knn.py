import time

import dagster as dg
import numpy as np

from ..artifacts import WindowGraph
from ..knn_graph import connected_components, symmetric_graph
from ..exact_knn import exact_neighbours
from ..milvus_store import QUERY_FIELDS, day_number, query_window, search_neighbours
from ..partitions import WINDOW_DAYS, daily_partitions, window_bounds, window_mapping
from ..resources import MilvusResource


KNN_METHODS = ("auto", "milvus", "exact")


class KnnConfig(dg.Config):
    k: int = 15  # neighbours per article (UMAP's n_neighbors is k + 1, counting the article itself)
    # "milvus": Milvus search (server-side C++; the default for a server uri);
    # "exact": numpy blocks over the window's vectors read back from Milvus (the default for
    # Milvus Lite, whose pure-Python search costs ~2 ms per query); "auto" picks by uri.
    method: str = "auto"


@dg.asset(
    partitions_def=daily_partitions,
    group_name="newsclust",
    kinds={"milvus", "scipy"},
    deps=[dg.AssetDep("milvus_collection", partition_mapping=window_mapping)],
    description=f"Sparse symmetric kNN graph (true distances) of the articles of the {WINDOW_DAYS} days "
                "ending on the partition day: Milvus searches filtered to that window (servers), or exact "
                "neighbours of the window's vectors read back from Milvus (Milvus Lite).",
)
def knn_distances(context: dg.AssetExecutionContext, config: KnnConfig, milvus: MilvusResource) -> dg.MaterializeResult[WindowGraph]:
    if config.k < 1:
        raise ValueError(f"k must be at least 1, got {config.k}")
    if config.method not in KNN_METHODS:
        raise ValueError(f"method must be one of {KNN_METHODS}, got {config.method!r}")
    method = config.method
    if method == "auto":
        method = "exact" if milvus.is_lite else "milvus"
    first, last = window_bounds(context.partition_key)
    lo, hi = day_number(first), day_number(last)
    start = time.perf_counter()
    with milvus.client() as client:
        if not client.has_collection(milvus.collection_name):
            raise ValueError(
                f"Milvus collection {milvus.collection_name!r} does not exist at {milvus.display_uri}: "
                "materialize milvus_collection for the window's days first"
            )
        client.load_collection(milvus.collection_name)
        window = query_window(client, milvus.collection_name, lo, hi, fields=[*QUERY_FIELDS, "vector"])
        vectors = (np.asarray(window["vector"].tolist(), np.float32) if len(window)
                   else np.zeros((0, 0), np.float32))
        ids = list(window["id"])
        if method == "milvus":
            rows, cols, dists = search_neighbours(client, milvus.collection_name, ids, vectors, config.k, lo, hi,
                                                  milvus.metric, milvus.queries_per_search, milvus.index_type)
    if method == "exact":
        rows, cols, dists = exact_neighbours(vectors, config.k, milvus.metric)
    seconds = time.perf_counter() - start
    graph = symmetric_graph(len(ids), rows, cols, dists)
    articles = window.drop(columns=["vector", "day"]).reset_index(drop=True)
    value = WindowGraph(articles, vectors, graph, config.k, milvus.metric, first.isoformat(), last.isoformat())
    degrees = np.diff(graph.indptr)
    if len(ids) == 0:
        context.log.warning(f"window {first}..{last} holds no articles in Milvus")
    return dg.MaterializeResult(value=value, metadata={
        "window_first_day": first.isoformat(),
        "window_last_day": last.isoformat(),
        "window_days": WINDOW_DAYS,
        "articles": len(ids),
        "k": config.k,
        "metric": milvus.metric,
        "edges": int(graph.nnz // 2),
        "zero_distance_edges": int((graph.data == 0).sum() // 2),
        "mean_degree": float(degrees.mean()) if len(ids) else 0.0,
        "isolated_articles": int((degrees == 0).sum()),
        "connected_components": connected_components(graph),
        "knn_method": method,
        "knn_seconds": round(seconds, 3),
    })
