import datetime as dt
import time

import dagster as dg
import numpy as np
import pydantic

from ..artifacts import WindowGraph
from ..ranges import config_digest, day_asset, days_of, output, window_days
from ..resources import MilvusResource
from ..vectors.approx_knn import APPROX_ABOVE
from ..vectors.knn_graph import connected_components
from ..vectors.window_graph import window_graphs


class KnnConfig(dg.Config):
    k: int = pydantic.Field(15, description="neighbours per article (UMAP's n_neighbors is k + 1, counting itself)")
    method: str = pydantic.Field(
        "auto",
        description="auto, milvus, exact or approx; auto: exact up to approx_above vectors, then milvus (a server) or "
        "approx (Lite)",
    )
    approx_above: int = pydantic.Field(
        APPROX_ABOVE,
        description="windows with more vectors use an index: the server's search, or on Lite an in-process HNSW "
        "index (0: never, exact at any size)",
    )


def graph_metadata(value: WindowGraph, window_days: int) -> dict:
    graph, n = value.distances, value.n
    degrees = np.diff(graph.indptr)
    return {
        "window_first_day": value.first_day,
        "window_last_day": value.last_day,
        "window_days": window_days,
        "articles": n,
        "k": value.k,
        "metric": value.metric,
        "edges": int(graph.nnz // 2),
        "zero_distance_edges": int((graph.data == 0).sum() // 2),
        "mean_degree": float(degrees.mean()) if n else 0.0,
        "isolated_articles": int((degrees == 0).sum()),
        "connected_components": connected_components(graph),
        "knn_method": value.method,
    }


@day_asset(
    lambda calendar: {
        "kinds": {"milvus", "scipy"},
        "deps": [dg.AssetDep("milvus_collection", partition_mapping=calendar.window_mapping)],
        "description": f"Sparse symmetric kNN graph (true distances) of the articles of the {calendar.window_days} "
        "days ending on the partition day, from the window's vectors read back from Milvus: exact up to "
        f"{APPROX_ABOVE:,} vectors, above that by the server's search filtered to the window (Milvus Lite: an "
        "in-process HNSW index). A range run reads the range's rows once.",
    },
    runs="window",
)
def knn_distances(context: dg.AssetExecutionContext, config: KnnConfig, milvus: MilvusResource):
    keys = days_of(context)
    days = window_days(context)
    started = time.perf_counter()
    last_seen = [started]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last_seen[0] > 5 or done == total and total > 1:
            last_seen[0] = now
            context.log.info(f"knn_distances: {done}/{total} windows in {now - started:.1f} s")

    graphs = window_graphs(
        milvus,
        [dt.date.fromisoformat(k) for k in keys],
        days,
        config.k,
        config.method,
        config.approx_above,
        on_window=progress,
    )
    values = dict(zip(keys, graphs.values()))
    for key, value in values.items():
        context.add_asset_metadata(
            {**graph_metadata(value, days), "settings_digest": config_digest(config)}, partition_key=key
        )
    empty = [v for v in values.values() if v.n == 0]
    if empty:
        context.log.warning(
            f"{len(empty)} of {len(keys)} windows hold no articles in Milvus "
            f"(first: {empty[0].first_day}..{empty[0].last_day})"
        )
    seconds = time.perf_counter() - started
    return dg.MaterializeResult(
        value=output(context, values), metadata={"knn_seconds": round(seconds, 3), "run_windows": len(keys)}
    )
