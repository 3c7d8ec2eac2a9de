import dagster as dg

from ..artifacts import WindowGraph
from ..clustering.window_clustering import ClusterSettings, label_window
from ..evaluation.cluster_quality import agreement, clusters_markdown
from ..evaluation.scores import NOISE_CONVENTION, story_scores
from ..ingest.news_source import read_labels
from ..partitions import daily_partitions
from ..resources import LabelExportResource, MilvusResource, NewsSourceResource
from ..vectors.milvus_store import day_number, query_window

LABELLED_CHECK = "every_article_labelled"
NOISE_CHECK = "noise_share_below_bound"
EXPORT_COLUMNS = ["id", "date", "label", "cluster_name", "probability", "centrality", "attached", "headline"]


class ClusterConfig(dg.Config):
    algorithm: str = "average_linkage"  # or "umap_hdbscan" (v1)
    similarity_threshold: float = 0.3   # mean cosine similarity at which two groups of articles still merge
    lexical_weight: float = 0.0         # weight of TF-IDF cosine blended into the similarity (0..1)
    min_cluster_size: int = 2           # smaller groups are noise
    attach_similarity: float = 0.5      # a noise article joins a neighbouring cluster at this centroid cosine
    n_components: int = 5               # umap_hdbscan only: UMAP dimensions that HDBSCAN clusters in
    min_samples: int = 3                # umap_hdbscan only
    seed: int = 42                      # umap_hdbscan only
    max_noise_share: float = 0.6        # above this the noise check warns
    top_words: int = 5
    story_field: str = "story"          # source field with labelled stories, scored when present

    def settings(self) -> ClusterSettings:
        return ClusterSettings(self.algorithm, self.similarity_threshold, self.lexical_weight,
                               self.min_cluster_size, self.attach_similarity, self.n_components,
                               self.min_samples, self.seed, self.top_words)


@dg.asset(
    partitions_def=daily_partitions,
    group_name="newsclust",
    kinds={"scipy", "pandas"},
    description="Story label (-1 = noise), strength and name for every article of the window: average "
                "linkage along the kNN graph, stopped at a mean cosine similarity (or UMAP + HDBSCAN). "
                "Also written as CSV under the data directory.",
    check_specs=[
        dg.AssetCheckSpec(LABELLED_CHECK, asset="cluster_labels",
                          description="Every article that Milvus holds for the window got exactly one label."),
        dg.AssetCheckSpec(NOISE_CHECK, asset="cluster_labels",
                          description="Share of noise articles is at most max_noise_share (warning)."),
    ],
)
def cluster_labels(context: dg.AssetExecutionContext, config: ClusterConfig, knn_distances: WindowGraph,
                   milvus: MilvusResource, news_source: NewsSourceResource, labels_export: LabelExportResource):
    settings = config.settings()
    result = label_window(knn_distances, settings)
    frame, words = result.frame, result.top_words
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
    export = labels_export.path_for(context.partition_key)
    labels_export.write(frame[EXPORT_COLUMNS], export)
    metadata = {
        "dagster/row_count": len(frame),
        "clusters": n_clusters,
        "noise_share": round(noise, 4),
        "noise_attached": result.attached,
        "attach_rule": (f"a noise article joins the neighbouring cluster whose centroid it is closest to, at cosine "
                        f">= {settings.attach_similarity}") if settings.attach_similarity > 0 else "off",
        "algorithm": settings.algorithm,
        "similarity_threshold": settings.similarity_threshold,
        "cluster_seconds": round(result.seconds, 3),
        "window": f"{knn_distances.first_day}..{knn_distances.last_day}",
        "labels_csv": dg.MetadataValue.path(str(export)),
        "clusters_table": dg.MetadataValue.md(clusters_markdown(frame, words)) if len(frame) else "no articles",
    }
    scores = agreement(frame["category"], frame["label"].to_numpy()) if len(frame) else None
    if scores:
        metadata.update({f"{k}_vs_category": round(v, 4) for k, v in scores.items()})
    stories = read_labels(news_source.path, config.story_field) if len(frame) else {}
    if stories:
        s = story_scores([stories.get(i) for i in frame["id"]], frame["label"].to_numpy())
        metadata.update({f"story_{k}": (round(v, 4) if isinstance(v, float) else v) for k, v in s.as_dict().items()})
        metadata["story_noise_convention"] = NOISE_CONVENTION
    return dg.MaterializeResult(value=frame, metadata=metadata, check_results=checks)
