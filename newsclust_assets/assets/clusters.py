import dagster as dg

from ..artifacts import WindowGraph
from ..cluster_quality import agreement, clusters_markdown
from ..milvus_store import day_number, query_window
from ..partitions import daily_partitions
from ..resources import MilvusResource
from ..window_clustering import label_window

LABELLED_CHECK = "every_article_labelled"
NOISE_CHECK = "noise_share_below_bound"


class ClusterConfig(dg.Config):
    n_components: int = 5       # UMAP dimensions that HDBSCAN clusters in
    min_cluster_size: int = 5
    min_samples: int = 3
    seed: int = 42
    max_noise_share: float = 0.6  # above this the noise check warns
    top_words: int = 5


@dg.asset(
    partitions_def=daily_partitions,
    group_name="newsclust",
    kinds={"umap", "hdbscan"},
    description="Cluster label (-1 = noise) and membership probability for every article of the window: "
                "UMAP to ~5-d on the kNN graph, then HDBSCAN.",
    check_specs=[
        dg.AssetCheckSpec(LABELLED_CHECK, asset="cluster_labels",
                          description="Every article that Milvus holds for the window got exactly one label."),
        dg.AssetCheckSpec(NOISE_CHECK, asset="cluster_labels",
                          description="Share of noise articles is at most max_noise_share (warning)."),
    ],
)
def cluster_labels(context: dg.AssetExecutionContext, config: ClusterConfig, knn_distances: WindowGraph,
                   milvus: MilvusResource):
    frame, words = label_window(knn_distances, config.n_components, config.min_cluster_size,
                                config.min_samples, config.seed, config.top_words)
    lo, hi = day_number(knn_distances.first_day), day_number(knn_distances.last_day)
    with milvus.client() as client:
        if client.has_collection(milvus.collection_name):
            client.load_collection(milvus.collection_name)
            stored = set(query_window(client, milvus.collection_name, lo, hi, fields=["id"])["id"])
        else:
            stored = set()
    labelled = frame["id"]
    unlabelled = stored - set(labelled)
    dup_labels = int(labelled.duplicated().sum())
    n_clusters = int(frame["label"].max() + 1) if len(frame) else 0
    noise = float((frame["label"] < 0).mean()) if len(frame) else 0.0
    checks = [
        dg.AssetCheckResult(
            check_name=LABELLED_CHECK,
            passed=not unlabelled and dup_labels == 0 and len(frame) == knn_distances.n
                   and bool(frame["label"].notna().all()),
            metadata={"articles_in_milvus_window": len(stored), "labelled": len(frame),
                      "unlabelled": len(unlabelled), "duplicate_labels": dup_labels},
            description=(f"{len(unlabelled)} articles of the window in Milvus have no label: knn_distances is "
                         "stale, re-materialize it") if unlabelled else None,
        ),
        dg.AssetCheckResult(
            check_name=NOISE_CHECK,
            passed=noise <= config.max_noise_share,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"noise_share": round(noise, 4), "max_noise_share": config.max_noise_share},
        ),
    ]
    metadata = {
        "dagster/row_count": len(frame),
        "clusters": n_clusters,
        "noise_share": round(noise, 4),
        "window": f"{knn_distances.first_day}..{knn_distances.last_day}",
        "clusters_table": dg.MetadataValue.md(clusters_markdown(frame, words)) if len(frame) else "no articles",
    }
    scores = agreement(frame["category"], frame["label"].to_numpy()) if len(frame) else None
    if scores:
        metadata.update({f"{k}_vs_category": round(v, 4) for k, v in scores.items()})
    return dg.MaterializeResult(value=frame, metadata=metadata, check_results=checks)
