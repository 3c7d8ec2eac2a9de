"""Day partitions and the window mapping between daily and windowed assets.

Every asset is partitioned by day. ``raw_news``, ``embeddings`` and ``milvus_collection``
hold that day's articles. ``knn_distances``, ``cluster_labels`` and ``umap_plot`` for day D
cover the window of the W days ending on D (W = NEWSCLUST_WINDOW_DAYS): D's map is
"the stories of the last W days as of D". The window is a TimeWindowPartitionMapping
from ``knn_distances`` to ``milvus_collection``, so the UI shows which days feed a window
and a backfill orders them correctly.
"""

from __future__ import annotations

import datetime as dt
import warnings

import dagster as dg

from .settings import end_is_today, partition_days, window_days

FIRST_DAY, LAST_DAY = partition_days()
WINDOW_DAYS = window_days()

if end_is_today():  # NEWSCLUST_END_DATE=today: a new partition every day, today's included
    daily_partitions = dg.DailyPartitionsDefinition(start_date=FIRST_DAY.isoformat(), end_offset=1)
else:
    daily_partitions = dg.DailyPartitionsDefinition(
        start_date=FIRST_DAY.isoformat(),
        end_date=(LAST_DAY + dt.timedelta(days=1)).isoformat(),
    )


def last_day() -> dt.date:
    """The last day partition now (today when the partitions grow daily)."""
    return dt.date.today() if end_is_today() else LAST_DAY


with warnings.catch_warnings():  # allow_nonexistent_upstream_partitions is marked beta
    warnings.simplefilter("ignore")
    window_mapping = dg.TimeWindowPartitionMapping(
        start_offset=-(WINDOW_DAYS - 1), end_offset=0, allow_nonexistent_upstream_partitions=True
    )


def window_bounds(partition_key: str, days: int = WINDOW_DAYS) -> tuple[dt.date, dt.date]:
    last = dt.date.fromisoformat(partition_key)
    return last - dt.timedelta(days=days - 1), last
