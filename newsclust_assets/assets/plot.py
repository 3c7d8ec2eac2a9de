import datetime as dt
import time

import dagster as dg
import pandas as pd
import pydantic

from ..artifacts import WindowGraph
from ..clustering.umap_reduction import reduce_with_knn
from ..maps.map_plot import write_map
from ..ranges import DayValues, days_on_demand, latest_asset, latest_day
from ..resources import MapStorageResource, StoryStoreResource
from .tables import table


class PlotConfig(dg.Config):
    seed: int = pydantic.Field(42, description="UMAP's random_state for the map's layout")
    min_dist: float = pydantic.Field(0.1, description="UMAP's min_dist: how tightly a story's points pack")
    days: list[str] = pydantic.Field(
        [], description="days (YYYY-MM-DD) whose window maps to draw; none: the last day whose stories are materialized"
    )

    def check_values(self) -> None:
        for day in self.days:
            try:
                dt.date.fromisoformat(day)
            except ValueError:
                raise ValueError(f"days must be dates as YYYY-MM-DD, got {day!r}") from None


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


@latest_asset(
    ins={name: days_on_demand(name) for name in ("knn_distances", "cluster_labels", "stories")},
    kinds={"plotly", "umap"},
    description="The map of the latest window (the last day whose stories are materialized; config `days`: any "
    "others): a 2-D UMAP as an interactive HTML map that opens offline (plotly.js is written once beside the "
    "maps): one colour per story id, kept from day to day, noise greyed and toggleable, hover shows headline, "
    "date, story name, id and first-seen day. One value, so the UI shows it materialized once it is drawn.",
)
def umap_plot(
    context: dg.AssetExecutionContext,
    config: PlotConfig,
    knn_distances: DayValues,
    cluster_labels: DayValues,
    stories: DayValues,
    maps: MapStorageResource,
    story_store: StoryStoreResource,
) -> dg.MaterializeResult:
    config.check_values()
    days = sorted(config.days) or [latest_day(context, "stories")]
    started = time.perf_counter()
    drawn = []
    for day in days:
        path = maps.path_for(day)
        metadata = draw_window(
            knn_distances[day], cluster_labels[day], path, config, stories[day].articles, story_store.pages_dir()
        )
        drawn.append({"day": day, "path": str(path), "url": maps.url_for(path)})
    # the last map's figures and links (one click from the UI where maps are served), and every map drawn
    metadata["url"] = dg.MetadataValue.url(drawn[-1]["url"])
    metadata["day"] = days[-1]
    if len(days) > 1:
        metadata["maps"] = table(drawn, {"day": "string", "path": "string", "url": "string"})
    metadata.update(run_windows=len(days), run_seconds=round(time.perf_counter() - started, 3))
    return dg.MaterializeResult(metadata=metadata)
