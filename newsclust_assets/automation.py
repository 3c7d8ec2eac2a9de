"""News that materializes itself: a sensor on the news source.

``news_source_sensor`` looks at the news file every ``minimum_interval_seconds`` (60). A
day is *up to date* when its ``raw_news`` materialization carries the content hash of the
day's articles in the file now and its ``stories`` partition was materialized after it.
The sensor requests the first run of days that are not, as one range run (up to 62 days,
the backfill policy's size) of every asset: the day's articles are stored, its window
clustered, its stories carried on from the day before, its map and timeline drawn. One
range at a time, in day order: while the sensor's last run is queued or running it waits,
so ``stories`` always continues from a finished day before. A new day in the file (with
``NEWSCLUST_END_DATE=today`` the partitions grow by one every day) or an edited day is
therefore materialized by the daemon without anyone clicking. A run that failed is not
retried for the same file contents: the sensor says so (skip reason) until the file
changes or the run is re-executed from the UI.

Turn it on in the UI (Automation, ``news_source_sensor``, toggle) or with
``dagster sensor start news_source_sensor``; the daemon (``dagster dev`` runs one) ticks it.
"""

from __future__ import annotations

import hashlib

import dagster as dg

from .assets import ASSET_NAMES
from .partitions import Calendar
from .resources import NewsSourceResource
from .settings import DEFAULT_BACKFILL_DAYS

SENSOR_TAG = "newsclust/sensor"


def build_sensor(calendar: Calendar) -> dg.SensorDefinition:
    """``news_source_sensor`` for ``calendar``'s day partitions."""

    @dg.sensor(
        name="news_source_sensor",
        target=dg.AssetSelection.assets(*ASSET_NAMES),
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="Materializes new or edited days of the news file, one range run at a time in day order: "
        "raw_news through stories, the map and the timeline.",
    )
    def news_source_sensor(context: dg.SensorEvaluationContext, news_source: NewsSourceResource):
        return evaluate_sensor(context, news_source, calendar.daily.get_partition_keys(), calendar.sensor_run_days)

    return news_source_sensor


def evaluate_sensor(
    context: dg.SensorEvaluationContext,
    news_source: NewsSourceResource,
    partitions: list[str],
    run_days: int = DEFAULT_BACKFILL_DAYS,
):
    """One tick: the run request for the first stale days of ``partitions`` (at most
    ``run_days`` of them), or why none."""
    from .ingest.news_source import NewsSourceError
    from .runs.planning import chunks, latest_records, source_day_hashes, stale_source_days

    instance = context.instance
    mine = instance.get_runs(filters=dg.RunsFilter(tags={SENSOR_TAG: "news_source_sensor"}), limit=1)
    if mine and not mine[0].is_finished:
        return dg.SkipReason(
            f"waiting for run {mine[0].run_id[:8]} ({mine[0].tags.get('dagster/asset_partition_range_start')}"
            f"..{mine[0].tags.get('dagster/asset_partition_range_end')}) to finish"
        )
    try:
        hashes = source_day_hashes(news_source.path)
    except NewsSourceError as exc:
        return dg.SkipReason(f"news source unreadable: {exc}")
    raw = latest_records(instance, "raw_news", set(partitions))
    stories = latest_records(instance, "stories", set(partitions))
    todo = stale_source_days(hashes, raw, stories, partitions)
    outside = sorted(d for d in hashes if d not in set(partitions))
    note = (
        (
            f"; {len(outside)} days of the file ({outside[0]}..{outside[-1]}) are outside the partitions: set "
            "NEWSCLUST_END_DATE=today (or a later date) and reload the code location"
        )
        if outside
        else ""
    )
    if not todo:
        return dg.SkipReason("every day of the news file is materialized" + note)
    days = chunks(todo, {}, run_days, 1)[0]  # the first run of consecutive days
    digest = hashlib.sha256("".join(f"{d}:{hashes.get(d, '')}" for d in days).encode()).hexdigest()[:12]
    run_key = f"{days[0]}..{days[-1]}:{digest}"
    if mine and mine[0].tags.get("dagster/run_key") == run_key and mine[0].status == dg.DagsterRunStatus.FAILURE:
        return dg.SkipReason(
            f"the run for {days[0]}..{days[-1]} failed ({mine[0].run_id[:8]}): fix the cause and "
            "re-execute it from the UI, or edit the file; not retried for the same contents" + note
        )
    context.log.info(f"requesting {days[0]}..{days[-1]} ({len(days)} days; {len(todo)} not up to date){note}")
    return dg.RunRequest(
        run_key=run_key,
        tags={
            "dagster/asset_partition_range_start": days[0],
            "dagster/asset_partition_range_end": days[-1],
            SENSOR_TAG: "news_source_sensor",
        },
    )
