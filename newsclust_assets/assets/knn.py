import time

import dagster as dg
import numpy as np

from ..artifacts import WindowGraph
from ..vectors.knn_graph import connected_components
from ..partitions import WINDOW_DAYS, daily_partitions, window_bounds, window_mapping
from ..resources import MilvusResource
from ..vectors.window_graph import resolve_method, window_graph


class KnnConfig(dg.Config):
    k: int = 15  # neighbours per article (UMAP's n_neighbors is k + 1, counting the article itself)
    method: str = "auto"  # "milvus" (Milvus search), "exact" (numpy blocks) or "auto": see window_graph.py


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
    method = resolve_method(config.method, milvus.is_lite)
    first, last = window_bounds(context.partition_key)
    start = time.perf_counter()
    value = window_graph(milvus, first, last, config.k, method)
    seconds = time.perf_counter() - start
    graph, n = value.distances, value.n
    degrees = np.diff(graph.indptr)
    if n == 0:
        context.log.warning(f"window {first}..{last} holds no articles in Milvus")
    return dg.MaterializeResult(value=value, metadata={
        "window_first_day": first.isoformat(),
        "window_last_day": last.isoformat(),
        "window_days": WINDOW_DAYS,
        "articles": n,
        "k": config.k,
        "metric": milvus.metric,
        "edges": int(graph.nnz // 2),
        "zero_distance_edges": int((graph.data == 0).sum() // 2),
        "mean_degree": float(degrees.mean()) if n else 0.0,
        "isolated_articles": int((degrees == 0).sum()),
        "connected_components": connected_components(graph),
        "knn_method": method,
        "knn_seconds": round(seconds, 3),
    })
