"""Day partitions and the window mapping between daily and windowed assets.

Every asset is partitioned by day. ``raw_news``, ``embeddings`` and ``milvus_collection``
hold that day's articles. ``knn_distances``, ``cluster_labels`` and ``umap_plot`` for day D
cover the window of the W days ending on D (W = NEWSCLUST_WINDOW_DAYS): D's map is
"the stories of the last W days as of D". The window is a TimeWindowPartitionMapping
from ``knn_distances`` to ``milvus_collection``, so the UI shows which days feed a window
and a backfill orders them correctly.

Nothing here runs at import: a ``Calendar`` (the days and the window length) is made by
``calendar_from_env()`` when the definitions are built (``definitions.build_defs``), or
given by a caller that knows its own days (``newsclust evaluate``).
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass
from functools import cached_property

import dagster as dg

from .settings import DEFAULT_BACKFILL_DAYS


@dataclass(frozen=True)
class Calendar:
    """The day partitions (first and last day, both inclusive; with ``grows_daily`` a new
    one every day, up to today) and the window length in days. ``problem``: why the news
    source could not give the days, when it could not (the code location still loads, so
    the UI can say so; raw_news and ``newsclust run`` fail with it)."""

    first: dt.date
    last: dt.date
    window_days: int
    grows_daily: bool = False
    problem: str | None = None
    backfill_days: int = DEFAULT_BACKFILL_DAYS

    @cached_property
    def backfill(self) -> dg.BackfillPolicy:
        """Every asset's policy: a backfill hands one run up to ``backfill_days`` days. One
        policy for all, so Dagster puts a range's daily assets and its windows in the same run
        (assets with different policies get separate runs)."""
        return dg.BackfillPolicy.multi_run(max_partitions_per_run=self.backfill_days)

    @cached_property
    def daily(self) -> dg.DailyPartitionsDefinition:
        if self.grows_daily:  # NEWSCLUST_END_DATE=today: a new partition every day, today's included
            return dg.DailyPartitionsDefinition(start_date=self.first.isoformat(), end_offset=1)
        return dg.DailyPartitionsDefinition(
            start_date=self.first.isoformat(), end_date=(self.last + dt.timedelta(days=1)).isoformat()
        )

    @cached_property
    def window_mapping(self) -> dg.TimeWindowPartitionMapping:
        """Day D of a windowed asset reads days D - W + 1 .. D of a daily one."""
        with warnings.catch_warnings():  # allow_nonexistent_upstream_partitions is marked beta
            warnings.simplefilter("ignore")
            return dg.TimeWindowPartitionMapping(
                start_offset=-(self.window_days - 1), end_offset=0, allow_nonexistent_upstream_partitions=True
            )

    def last_day(self) -> dt.date:
        """The last day partition now (today when the partitions grow daily)."""
        return dt.date.today() if self.grows_daily else self.last

    def window_bounds(self, partition_key: str) -> tuple[dt.date, dt.date]:
        return window_bounds(partition_key, self.window_days)


def window_bounds(partition_key: str, days: int) -> tuple[dt.date, dt.date]:
    """(first, last) day of the window of ``days`` days ending on day ``partition_key``."""
    last = dt.date.fromisoformat(partition_key)
    return last - dt.timedelta(days=days - 1), last


def calendar_from_env() -> Calendar:
    """The calendar the environment sets: NEWSCLUST_START_DATE / NEWSCLUST_END_DATE, else the
    news source's first and last day (read now), and NEWSCLUST_WINDOW_DAYS."""
    from .settings import backfill_days, end_is_today, partition_days, window_days

    first, last, problem = partition_days()
    return Calendar(first, last, window_days(), end_is_today(), problem, backfill_days())
