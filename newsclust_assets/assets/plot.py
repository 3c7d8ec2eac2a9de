import time

import dagster as dg
import pandas as pd
import pydantic

from ..artifacts import WindowGraph
from ..clustering.umap_reduction import reduce_with_knn
from ..maps.map_plot import write_map
from ..ranges import by_day, day_asset, days_of
from ..resources import MapStorageResource, StoryStoreResource


class PlotConfig(dg.Config):
    seed: int = pydantic.Field(42, description="UMAP's random_state for the map's layout")
    min_dist: float = pydantic.Field(0.1, description="UMAP's min_dist: how tightly a story's points pack")


def draw_window(
    graph: WindowGraph,
    labels: pd.DataFrame,
    path,
    config: PlotConfig,
    story_articles: pd.DataFrame | None = None,
    pages_dir=None,
) -> dict:
    """Write one window's map, coloured by story id when ``story_articles`` (the stories
    asset's articles of the day) is given, a click on a story opening its page in ``pages_dir``;
    returns its metadata."""
    frame = graph.labels_in_order(labels)
    if story_articles is not None:
        ours = story_articles.set_index("id")[["story", "story_name", "story_born"]]
        frame = frame.join(ours, on="id")
        for col in ("story", "story_name", "story_born"):
            frame[col] = frame[col].fillna("")
    coords = reduce_with_knn(graph.distances, graph.vectors, graph.k, 2, min_dist=config.min_dist, seed=config.seed)
    n_clusters = int(frame["label"].max() + 1) if len(frame) else 0
    n_stories = int(frame.loc[frame["label"] >= 0, "story"].nunique()) if "story" in frame else n_clusters
    noise = float((frame["label"] < 0).mean()) if len(frame) else 0.0
    dates = frame["date"].astype(str).str[:10] if len(frame) else pd.Series(dtype=str)
    first = min(dates) if len(dates) else str(graph.first_day)  # the window's first day with news
    title = f"newsclust: the stories of {first} to {graph.last_day}"
    subtitle = f"{len(frame)} articles, {n_stories} stories, {noise:.0%} noise"
    arrived = int((dates == str(graph.last_day)).sum())
    if "story_born" in frame:
        new = int(frame.loc[frame["label"] >= 0].drop_duplicates("story")["story_born"].eq(graph.last_day).sum())
        subtitle += f"; on {graph.last_day}: {arrived} new articles, {new} new stories"
    else:
        subtitle += f"; on {graph.last_day}: {arrived} new articles"
    path = write_map(frame, coords, path, title, subtitle=subtitle, pages_dir=pages_dir)
    return {
        "path": dg.MetadataValue.path(str(path)),
        "points": len(frame),
        "clusters": n_clusters,
        "noise_points": int((frame["label"] < 0).sum()),
        "stories": n_stories,
        "size_bytes": path.stat().st_size,
    }


@day_asset(
    kinds={"plotly", "umap"},
    description="2-D UMAP of the window as an interactive HTML map that opens offline (plotly.js is written once "
    "beside the maps): one colour per story id, kept from day to day, noise greyed and toggleable, "
    "hover shows headline, date, story name, id and first-seen day.",
)
def umap_plot(
    context: dg.AssetExecutionContext,
    config: PlotConfig,
    knn_distances,
    cluster_labels,
    stories,
    maps: MapStorageResource,
    story_store: StoryStoreResource,
) -> dg.MaterializeResult:
    graphs, labels = by_day(context, knn_distances), by_day(context, cluster_labels)
    story_days = by_day(context, stories)
    started = time.perf_counter()
    for key in days_of(context):
        path = maps.path_for(key)
        metadata = draw_window(
            graphs[key], labels[key], path, config, story_days[key].articles, story_store.pages_dir()
        )
        metadata["url"] = dg.MetadataValue.url(maps.url_for(path))  # one click from the UI where maps are served
        context.add_asset_metadata(metadata, partition_key=key)
    return dg.MaterializeResult(
        metadata={"run_windows": len(graphs), "run_seconds": round(time.perf_counter() - started, 3)}
    )
