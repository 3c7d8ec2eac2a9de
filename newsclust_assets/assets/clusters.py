import time

import dagster as dg
import pydantic

from ..artifacts import WindowGraph
from ..clustering.average_linkage import VETO_MIN_SIZE
from ..clustering.window_clustering import ClusterSettings, label_window
from ..evaluation.cluster_quality import CLUSTER_COLUMNS, agreement, cluster_rows
from ..evaluation.scores import NOISE_CONVENTION, story_scores
from ..ingest.news_source import read_labels
from ..ranges import by_day, config_digest, day_asset, days_of, output
from ..resources import LabelExportResource, MilvusResource, NewsSourceResource
from ..vectors.milvus_store import day_number, ids_by_day
from .declared import declared, settings_from
from .tables import table

LABELLED_CHECK = "every_article_labelled"
NOISE_CHECK = "noise_share_below_bound"
EXPORT_COLUMNS = ["id", "date", "label", "cluster_name", "probability", "centrality", "attached", "headline"]


class ClusterConfig(dg.Config):
    """``cluster_labels``' settings: those of ``ClusterSettings`` (declared there, with their
    ranges), then the asset's own."""

    algorithm: str = declared(ClusterSettings, "algorithm")
    similarity_threshold: float = declared(ClusterSettings, "similarity_threshold")
    lexical_weight: float = declared(ClusterSettings, "lexical_weight")
    time_weight: float = declared(ClusterSettings, "time_weight")
    time_scale: float = declared(ClusterSettings, "time_scale")
    word_veto: float = declared(ClusterSettings, "word_veto")
    day_cap: float = declared(ClusterSettings, "day_cap")
    min_cluster_size: int = declared(ClusterSettings, "min_cluster_size")
    attach_similarity: float = declared(ClusterSettings, "attach_similarity")
    n_components: int = declared(ClusterSettings, "n_components")
    min_samples: int = declared(ClusterSettings, "min_samples")
    seed: int = declared(ClusterSettings, "seed")
    top_words: int = declared(ClusterSettings, "top_words")
    max_noise_share: float = pydantic.Field(0.6, description="above this noise share the noise check warns")
    story_field: str = pydantic.Field("story", description="source field with labelled stories, scored when present")

    def settings(self) -> ClusterSettings:
        return settings_from(self, ClusterSettings)


def _window_metadata(graph: WindowGraph, result, settings: ClusterSettings, export, stories: dict, digest: str) -> dict:
    frame, words = result.frame, result.top_words
    n_clusters = int(frame["label"].max() + 1) if len(frame) else 0
    noise = float((frame["label"] < 0).mean()) if len(frame) else 0.0
    metadata = {
        "dagster/row_count": len(frame),
        "clusters": n_clusters,
        "noise_share": round(noise, 4),
        "noise_attached": result.attached,
        "attach_rule": (
            f"a noise article joins the neighbouring cluster whose centroid it is closest to, at cosine "
            f">= {settings.attach_similarity}"
        )
        if settings.attach_similarity > 0
        else "off",
        "algorithm": settings.algorithm,
        "similarity_threshold": settings.similarity_threshold,
        "time_rule": (
            f"two groups lose {settings.time_weight} x min(1, gap / {settings.time_scale:g}) similarity, "
            f"gap = articles published between their mean times"
            + (f", a day counting as at most {settings.day_cap:g}" if settings.day_cap else "")
        )
        if settings.time_weight > 0
        else "off",
        "word_veto_rule": (
            f"groups of {VETO_MIN_SIZE}+ articles whose TF-IDF centroids' cosine is below "
            f"{settings.word_veto} never merge"
        )
        if settings.word_veto > 0
        else "off",
        "settings_digest": digest,
        "cluster_seconds": round(result.seconds, 3),
        "window": f"{graph.first_day}..{graph.last_day}",
        "labels_csv": dg.MetadataValue.path(str(export)),
        "clusters_table": table(cluster_rows(frame, words) if len(frame) else [], CLUSTER_COLUMNS),
    }
    scores = agreement(frame["category"], frame["label"].to_numpy()) if len(frame) else None
    if scores:
        metadata.update({f"{k}_vs_category": round(v, 4) for k, v in scores.items()})
    if stories and len(frame):
        s = story_scores([stories.get(i) for i in frame["id"]], frame["label"].to_numpy())
        metadata.update({f"story_{k}": (round(v, 4) if isinstance(v, float) else v) for k, v in s.as_dict().items()})
        metadata["story_noise_convention"] = NOISE_CONVENTION
    return metadata


@day_asset(
    runs="window",
    kinds={"scipy", "pandas"},
    description="Story label (-1 = noise), strength and name for every article of the window: average "
    "linkage along the kNN graph, stopped at a mean cosine similarity (or UMAP + HDBSCAN). "
    "Also written as CSV under the data directory.",
    check_specs=[
        dg.AssetCheckSpec(
            LABELLED_CHECK,
            asset="cluster_labels",
            description="Every article that Milvus holds for the window got exactly one label.",
        ),
        dg.AssetCheckSpec(
            NOISE_CHECK,
            asset="cluster_labels",
            description="Share of noise articles is at most max_noise_share (warning).",
        ),
    ],
)
def cluster_labels(
    context: dg.AssetExecutionContext,
    config: ClusterConfig,
    knn_distances,
    milvus: MilvusResource,
    news_source: NewsSourceResource,
    labels_export: LabelExportResource,
):
    settings = config.settings()
    digest = config_digest(config)
    graphs: dict[str, WindowGraph] = by_day(context, knn_distances)
    keys = days_of(context)
    started = time.perf_counter()
    lo = min(day_number(g.first_day) for g in graphs.values())
    hi = max(day_number(g.last_day) for g in graphs.values())
    with milvus.client() as client:
        if client.has_collection(milvus.collection_name):
            client.load_collection(milvus.collection_name)
            stored_by_day = ids_by_day(client, milvus.collection_name, lo, hi)
        else:
            stored_by_day = {}
    stories = read_labels(news_source.path, config.story_field) if any(g.n for g in graphs.values()) else {}
    values, unlabelled_days, noisy_days = {}, [], []
    totals = {"articles_in_milvus_window": 0, "labelled": 0, "unlabelled": 0, "duplicate_labels": 0}
    worst_noise, last_log = 0.0, started
    for i, key in enumerate(keys, 1):
        graph = graphs[key]
        result = label_window(graph, settings)
        frame = result.frame
        stored = {
            pid
            for d in range(day_number(graph.first_day), day_number(graph.last_day) + 1)
            for pid in stored_by_day.get(d, ())
        }
        labelled = frame["id"]
        unlabelled = stored - set(labelled)
        dup_labels = int(labelled.duplicated().sum())
        ok = not unlabelled and dup_labels == 0 and len(frame) == graph.n and bool(frame["label"].notna().all())
        if not ok:
            unlabelled_days.append(key)
        for name, value in (
            ("articles_in_milvus_window", len(stored)),
            ("labelled", len(frame)),
            ("unlabelled", len(unlabelled)),
            ("duplicate_labels", dup_labels),
        ):
            totals[name] += value
        noise = float((frame["label"] < 0).mean()) if len(frame) else 0.0
        worst_noise = max(worst_noise, noise)
        if noise > config.max_noise_share:
            noisy_days.append(key)
        export = labels_export.path_for(key)
        labels_export.write(frame[EXPORT_COLUMNS], export)
        context.add_asset_metadata(
            _window_metadata(graph, result, settings, export, stories, digest), partition_key=key
        )
        values[key] = frame
        if time.perf_counter() - last_log > 5 and i < len(keys):
            last_log = time.perf_counter()
            context.log.info(f"cluster_labels: {i}/{len(keys)} windows in {last_log - started:.1f} s")
    checks = [
        dg.AssetCheckResult(
            check_name=LABELLED_CHECK,
            passed=not unlabelled_days,
            metadata={
                **totals,
                "windows_checked": len(keys),
                "failing_windows": ", ".join(unlabelled_days[:20]) or "none",
            },
            description=(
                f"{totals['unlabelled']} articles of {len(unlabelled_days)} windows in Milvus have no label: "
                "knn_distances is stale, re-materialize it"
            )
            if unlabelled_days
            else None,
        ),
        dg.AssetCheckResult(
            check_name=NOISE_CHECK,
            passed=not noisy_days,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "noise_share": round(worst_noise, 4),
                "max_noise_share": config.max_noise_share,
                "windows_checked": len(keys),
                "windows_over_bound": ", ".join(noisy_days[:20]) or "none",
            },
            description=f"{len(noisy_days)} windows have more noise than {config.max_noise_share}"
            if noisy_days
            else None,
        ),
    ]
    return dg.MaterializeResult(
        value=output(context, values),
        check_results=checks,
        metadata={"run_windows": len(keys), "run_seconds": round(time.perf_counter() - started, 3)},
    )
