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

from .settings import (
    BACKFILL_RUN_ARTICLES,
    DEFAULT_BACKFILL_DAYS,
    RUN_DAYS_MAX,
    STORY_RUN_ROWS,
    WINDOW_RUN_ROWS,
)


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
    backfill_days: int | None = None
    articles_per_day: float | None = None

    def _run_days(self, rows_a_day: float, budget: int, most: int | None = RUN_DAYS_MAX) -> int:
        """Days per run: ``backfill_days`` when set; else as many as hold ``budget`` rows at
        ``rows_a_day``, at least 1 and at most ``most``; DEFAULT_BACKFILL_DAYS when the
        source's articles a day are unknown."""
        if self.backfill_days:
            return self.backfill_days
        if not self.articles_per_day:
            return DEFAULT_BACKFILL_DAYS
        days = max(1, int(budget // rows_a_day))
        return min(most, days) if most else days

    @cached_property
    def daily_run_days(self) -> int:
        """Days per run of the daily assets: about BACKFILL_RUN_ARTICLES articles."""
        return self._run_days(self.articles_per_day or 1.0, BACKFILL_RUN_ARTICLES)

    @cached_property
    def window_run_days(self) -> int:
        """Windows per run of the windowed assets: about WINDOW_RUN_ROWS article rows, each
        window holding ``window_days`` days of articles."""
        return self._run_days((self.articles_per_day or 1.0) * self.window_days, WINDOW_RUN_ROWS)

    @cached_property
    def sensor_run_days(self) -> int:
        """Days per run of the sensor, whose runs hold the daily assets and the windows alike."""
        return min(self.daily_run_days, self.window_run_days)

    @cached_property
    def backfill(self) -> dg.BackfillPolicy:
        """The daily assets' policy: a backfill hands one run ``daily_run_days`` days. A
        window run cannot share a run with its days anyway (its first window reaches into the
        range before), so the windows have their own size (``window_backfill``)."""
        return dg.BackfillPolicy.multi_run(max_partitions_per_run=self.daily_run_days)

    @cached_property
    def window_backfill(self) -> dg.BackfillPolicy:
        """The windowed assets' policy: ``window_run_days`` windows a run."""
        return dg.BackfillPolicy.multi_run(max_partitions_per_run=self.window_run_days)

    @cached_property
    def stories_backfill(self) -> dg.BackfillPolicy:
        """``stories``' policy: as many days a run as hold ``STORY_RUN_ROWS`` window rows, with
        no cap in days (``backfill_days`` when set). Dagster runs a self-dependent asset in
        runs of its own, in day order, each handed the first days whose windows are done and
        started a daemon tick (up to 30 s) after the one before: stories in runs as long as the
        window runs' cost a history one tick per range."""
        rows_a_day = (self.articles_per_day or 1.0) * self.window_days
        return dg.BackfillPolicy.multi_run(max_partitions_per_run=self._run_days(rows_a_day, STORY_RUN_ROWS, None))

    def policy(self, runs: str) -> dg.BackfillPolicy:
        """The backfill policy of an asset whose runs are sized as ``runs`` ("daily", "window"
        or "stories")."""
        return {"daily": self.backfill, "window": self.window_backfill, "stories": self.stories_backfill}[runs]

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
    from .settings import backfill_days, end_is_today, partition_days, source_articles_per_day, window_days

    first, last, problem = partition_days()
    per_day = None if problem else source_articles_per_day()
    return Calendar(first, last, window_days(), end_is_today(), problem, backfill_days(), per_day)
