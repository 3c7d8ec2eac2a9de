"""``stories`` and ``story_timeline``: story ids carried from day to day, and their timeline.

``stories`` is self-dependent: day D takes its own partition D-1 as an input through a
``TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)``, so Dagster draws the chain,
runs a backfill's days in order, and marks later days stale when a past day is re-run.
The first partition gets None. A run over a range of days carries the state from day to
day itself; the IO manager hands it only the day before the range (``ranges.py``).
"""

import datetime as dt
import time
from dataclasses import dataclass

import dagster as dg
import pandas as pd
import pydantic

from ..ranges import PREVIOUS_DAY, by_day, day_asset, days_of, first_day, latest_asset, latest_day, output
from ..resources import MapStorageResource, MilvusResource, StoryNamerResource, StoryStoreResource
from ..stories import story_memory
from ..stories.story_page import write_story_pages
from ..stories.timeline import story_names, top_stories, write_timeline
from ..stories.tracking import DayReport, StoryState, TrackSettings, advance, apply_names
from .declared import declared, settings_from
from .tables import table

STABILITY_CHECK = "story_ids_stable"


@dataclass
class StoryDay:
    """One day's ``stories`` value: the state the next day continues from, and the story of
    every clustered article of the day's window (what the map colours by)."""

    state: StoryState
    articles: pd.DataFrame
    counts: dict


class StoriesConfig(dg.Config):
    """``stories``' settings: those of ``TrackSettings`` (declared there, with their ranges;
    ``newsclust run`` / ``evaluate`` set the time rule from --time-weight, --time-scale,
    --day-cap), then the asset's own."""

    overlap_share: float = declared(TrackSettings, "overlap_share")
    similarity_threshold: float = declared(TrackSettings, "similarity_threshold")
    end_after_days: int = declared(TrackSettings, "end_after_days")
    return_days: int = declared(TrackSettings, "return_days")
    join_clusters: bool = declared(TrackSettings, "join_clusters")
    time_weight: float = declared(TrackSettings, "time_weight")
    time_scale: float = declared(TrackSettings, "time_scale")
    day_cap: float = declared(TrackSettings, "day_cap")
    gate_new: bool = declared(TrackSettings, "gate_new")
    max_changed_share: float = pydantic.Field(
        0.2, description="stability check: share of carried articles whose story id changed (warns above)"
    )

    def settings(self) -> TrackSettings:
        return settings_from(self, TrackSettings)


TOP_STORY_COLUMNS = {
    "story": "string",
    "name": "string",
    "articles": "int",
    "trend": "string",
    "event": "string",
    "born": "string",
}


def largest_stories(report: DayReport, previous: StoryState | None, limit: int = 15) -> list[dict]:
    """The day's largest stories (``TOP_STORY_COLUMNS``): articles, the change since the day
    before ("new" for a story born or split off today), today's event and the day it was born."""
    largest = (
        report.stories[report.stories["articles"] > 0]
        .sort_values(["articles", "story"], ascending=[False, True])
        .head(limit)
    )
    rows = []
    for row in largest.itertuples():
        before = previous.stories[row.story].articles if previous and row.story in previous.stories else 0
        trend = (
            "new"
            if row.event in ("born", "split")
            else (f"+{row.articles - before}" if row.articles > before else str(row.articles - before))
        )
        rows.append(
            {
                "story": str(row.story),
                "name": str(row.name),
                "articles": int(row.articles),
                "trend": trend,
                "event": str(row.event),
                "born": str(row.born),
            }
        )
    return rows


@day_asset(
    runs="stories",
    ins={
        "previous": dg.AssetIn(
            "stories",
            partition_mapping=dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1),
            metadata={PREVIOUS_DAY: True},
        )
    },
    kinds={"scipy", "pandas"},
    description="Story ids carried from day to day: each window's clusters matched to yesterday's stories by "
    "shared articles (one-to-one by Jaccard), then by content (mean cosine, as the clustering), with "
    "births, merges, splits, ends and returns. The registry is written as CSV per day.",
    check_specs=[
        dg.AssetCheckSpec(
            STABILITY_CHECK,
            asset="stories",
            description="Share of articles clustered yesterday and today whose story id "
            "changed outside a recorded merge or split is at most "
            "max_changed_share (warning).",
        )
    ],
)
def stories(
    context: dg.AssetExecutionContext,
    config: StoriesConfig,
    previous,
    knn_distances,
    cluster_labels,
    story_store: StoryStoreResource,
    story_namer: StoryNamerResource,
    milvus: MilvusResource,
):
    settings = config.settings()
    graphs, labels = by_day(context, knn_distances), by_day(context, cluster_labels)
    started = time.perf_counter()
    keys = days_of(context)
    with milvus.client() as client:
        return _track_days(
            context, config, settings, previous, graphs, labels, keys, started, story_store, story_namer, client, milvus
        )


def _track_days(
    context, config, settings, previous, graphs, labels, keys, started, story_store, story_namer, client, milvus
):
    dimension = next((g.vectors.shape[1] for g in graphs.values() if g.n), None)
    archive = None
    if dimension is not None:
        store_name = story_memory.collection_for(milvus.collection_name)
        story_memory.ensure(client, store_name, dimension)
        archive = story_memory.MilvusArchive(client, store_name, keys[0])
    state: StoryState | None = previous.state if isinstance(previous, StoryDay) else None
    if state is None and keys[0] != first_day(context):
        context.log.warning(
            f"stories: no stories for the day before {keys[0]}: a new registry starts here "
            "(materialize the earlier days first to carry their ids)"
        )
    values, unstable, totals = {}, [], {"changed": 0, "compared": 0}
    namer = story_namer.namer(story_store.directory)
    for key in keys:
        graph = graphs[key]
        before = state
        frame = graph.labels_in_order(labels[key])
        if "link" in graph.articles:  # the registry lists each article with its link (story pages)
            frame["link"] = graph.articles["link"].to_numpy()
        state, report = advance(state, key, frame, graph.vectors, settings, archive)
        llm = {}
        if namer is not None and report.named:
            asked = namer.report()
            names = {
                sid: namer.name(n["members"], n["headlines"], n["words"], n["offline"])
                for sid, n in report.named.items()
            }
            apply_names(state, report, {sid: n for sid, n in names.items() if n != report.named[sid]["offline"]})
            now = namer.report()
            llm = {
                "llm_named_today": now["llm_named"] + now["llm_cached"] - asked["llm_named"] - asked["llm_cached"],
                "llm_fallbacks_today": now["llm_fallbacks"] - asked["llm_fallbacks"],
            }
        story_store.write(report.stories, story_store.stories_path(key))
        story_store.write(report.articles, story_store.articles_path(key))
        share = report.changed_ids / report.compared_ids if report.compared_ids else 0.0
        totals["changed"] += report.changed_ids
        totals["compared"] += report.compared_ids
        if share > config.max_changed_share:
            unstable.append(key)
        c = report.counts
        context.add_asset_metadata(
            {
                "dagster/row_count": len(report.articles),
                **{k: c[k] for k in ("born", "continued", "grown", "merged", "split", "returned", "ended", "active")},
                "stories_live": c["stories_live"],
                "clusters_joined": c["joined"],
                "previous_day": before.day if before else "none (a new registry)",
                "changed_id_share": round(share, 4),
                "names": "LLM (" + story_namer.model + ")" if namer else "offline: central headline + top words",
                **llm,
                "top_stories": table(largest_stories(report, before), TOP_STORY_COLUMNS),
                "stories_csv": dg.MetadataValue.path(str(story_store.stories_path(key))),
                "articles_csv": dg.MetadataValue.path(str(story_store.articles_path(key))),
            },
            partition_key=key,
        )
        values[key] = StoryDay(state, report.articles, c)
    check = dg.AssetCheckResult(
        check_name=STABILITY_CHECK,
        passed=not unstable,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "articles_compared": totals["compared"],
            "ids_changed": totals["changed"],
            "max_changed_share": config.max_changed_share,
            "days_checked": len(keys),
            "days_over_bound": ", ".join(unstable[:20]) or "none",
        },
        description=(
            f"{len(unstable)} days moved more than {config.max_changed_share:.0%} of carried articles to "
            "another story outside merges and splits"
        )
        if unstable
        else None,
    )
    stored = archive.flush() if archive is not None else 0
    run_md = {
        "run_days": len(keys),
        "run_seconds": round(time.perf_counter() - started, 3),
        "story_store": f"{milvus.display_uri} collection {story_memory.collection_for(milvus.collection_name)}",
        "story_rows_written": stored,
        "stories_in_store": len(archive.stories) if archive is not None else 0,
    }
    if namer is not None:
        namer.save()
        run_md.update(namer.report())
        if namer.fallbacks:
            context.log.warning(
                f"stories: {sum(namer.fallbacks.values())} names fell back to the offline name "
                f"({run_md['llm_fallback_reasons']})"
            )
    return dg.MaterializeResult(value=output(context, values), check_results=[check], metadata=run_md)


# The Dagster UI draws a markdown value in place below 1,000 characters, and behind a "[Show
# Markdown]" click above (dagster-webserver 1.13's MarkdownMetadataEntry)
MD_IN_PLACE = 1000


def _pages_markdown(days: pd.DataFrame, drawn: dict, url_for) -> str:
    """The timeline's stories ({story: page}, in order) with links to their pages (``url_for``:
    a page's URL), for the Dagster UI: as many as fit in ``MD_IN_PLACE`` characters (the
    largest first), then a line saying how many more the timeline page lists."""
    from ..evaluation.cluster_quality import md_text

    if not drawn:
        return "no story yet"
    names = story_names(days)
    head = ["| story | name | page |", "|---|---|---|"]
    rows = []
    for sid, page in drawn.items():
        name = str(names.get(sid, ""))
        name = md_text(name[:60] + "..." if len(name) > 60 else name)  # text: no link, image or markup of its own
        rows.append(f"| {sid} | {name} | [open]({url_for(page)}) |")

    def listing(shown: int) -> str:
        return "\n".join(head + rows[:shown] + ([_more(len(rows) - shown)] if shown < len(rows) else []))

    shown = len(rows)
    while shown > 1 and len(listing(shown)) >= MD_IN_PLACE:
        shown -= 1
    return listing(shown)


def _more(n: int) -> str:
    return f"| ... | {n} more stories: the timeline page links them all | |"


class TimelineConfig(dg.Config):
    days: int = pydantic.Field(60, description="the timeline shows the last this many days up to its day")
    top: int = pydantic.Field(20, description="stories drawn as lines; the rest are one grey line")
    day: str = pydantic.Field(
        "", description="the day (YYYY-MM-DD) the timeline ends on; empty: the last day whose stories are materialized"
    )

    def check_values(self) -> None:
        if self.days < 1:
            raise ValueError(f"days must be at least 1, got {self.days}")
        if self.top < 1:
            raise ValueError(f"top must be at least 1, got {self.top}")
        if self.day:
            try:
                dt.date.fromisoformat(self.day)
            except ValueError:
                raise ValueError(f"day must be a date as YYYY-MM-DD, got {self.day!r}") from None


@latest_asset(
    deps=[dg.AssetDep("stories", partition_mapping=dg.AllPartitionMapping())],
    kinds={"plotly"},
    description="One offline HTML page of the top stories over the days up to the last day whose stories are "
    "materialized (config `day`: another): articles per day, with births, returns, splits and merges marked, "
    "and a page per story. One value, so the UI shows it materialized once it is drawn.",
)
def story_timeline(
    context: dg.AssetExecutionContext, config: TimelineConfig, story_store: StoryStoreResource, maps: MapStorageResource
) -> dg.MaterializeResult:
    config.check_values()
    key = config.day or latest_day(context, "stories")
    last = dt.date.fromisoformat(key)
    span = [(last - dt.timedelta(days=i)).isoformat() for i in range(config.days - 1, -1, -1)]
    days = story_store.read_days(span)
    if days.empty and not story_store.stories_path(key).exists():
        raise ValueError(f"no stories for {key}: materialize stories for that day first")
    # a page for every story of the day and every story the timeline draws
    today = days.loc[days["day"] == key, "story"].tolist() if len(days) else []
    shown = top_stories(days, config.top) if len(days) else []
    pages = write_story_pages(days, story_store.read_articles(span), shown + today, story_store.pages_dir())
    drawn = {s: pages[s] for s in shown if s in pages}  # in the timeline's order, largest first
    path = write_timeline(  # plotly.js: the one copy beside the maps
        days,
        story_store.timeline_path(key),
        config.top,
        f"newsclust stories to {key}",
        key,
        maps.directory,
        pages=drawn,
    )
    events = days.groupby("event").size() if len(days) else pd.Series(dtype=int)
    metadata = {
        "path": dg.MetadataValue.path(str(path)),
        "url": dg.MetadataValue.url(story_store.url_for(path)),
        "days_shown": int(days["day"].nunique()) if len(days) else 0,
        "stories_shown": int(min(config.top, days.loc[days["articles"] > 0, "story"].nunique())) if len(days) else 0,
        **{f"{e}_in_period": int(events.get(e, 0)) for e in ("born", "merged", "split", "returned", "ended")},
        "story_pages_written": len(pages),
        **(
            {
                "top_story_page": dg.MetadataValue.path(str(top)),
                "top_story_page_url": dg.MetadataValue.url(story_store.url_for(top)),
            }
            if (top := next(iter(drawn.values()), None))
            else {}
        ),
        "story_pages": dg.MetadataValue.md(_pages_markdown(days, drawn, story_store.url_for)),
    }
    return dg.MaterializeResult(metadata={"day": key, **metadata})
