import dagster as dg
import pandas as pd

from ..artifacts import WindowGraph
from ..maps.map_plot import write_map
from ..partitions import daily_partitions
from ..resources import MapStorageResource
from ..clustering.umap_reduction import reduce_with_knn


class PlotConfig(dg.Config):
    seed: int = 42
    min_dist: float = 0.1


@dg.asset(
    partitions_def=daily_partitions,
    group_name="newsclust",
    kinds={"plotly", "umap"},
    description="2-D UMAP of the window as a self-contained interactive HTML map: one colour per cluster, "
                "noise greyed and toggleable, hover shows headline, date and cluster.",
)
def umap_plot(context: dg.AssetExecutionContext, config: PlotConfig, knn_distances: WindowGraph,
              cluster_labels: pd.DataFrame, maps: MapStorageResource) -> dg.MaterializeResult:
    labels = cluster_labels.set_index("id").reindex(knn_distances.articles["id"])
    if labels["label"].isna().any():
        raise ValueError("cluster_labels does not cover every article of knn_distances: re-materialize cluster_labels")
    frame = labels.reset_index()
    coords = reduce_with_knn(knn_distances.distances, knn_distances.vectors,
                             knn_distances.k, 2, min_dist=config.min_dist, seed=config.seed)
    n_clusters = int(frame["label"].max() + 1) if len(frame) else 0
    title = (f"newsclust: {len(frame)} articles, {knn_distances.first_day} to {knn_distances.last_day}, "
             f"{n_clusters} clusters")
    path = write_map(frame, coords, maps.path_for(context.partition_key), title)
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(path)),
        "url": dg.MetadataValue.url(path.as_uri()),
        "points": len(frame),
        "clusters": n_clusters,
        "noise_points": int((frame["label"] < 0).sum()),
        "size_bytes": path.stat().st_size,
    })
