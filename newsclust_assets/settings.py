"""Settings read once, when the code location loads. No Dagster imports.

Partitions must be known before any run starts, so the few settings that shape them
come from the environment:

- ``NEWSCLUST_SOURCE``: the news file (JSON lines or CSV); default the shipped sample.
- ``NEWSCLUST_START_DATE`` / ``NEWSCLUST_END_DATE`` (YYYY-MM-DD, end inclusive): the day
  partitions; default the first and last day found in the source file.
- ``NEWSCLUST_WINDOW_DAYS``: how many days one kNN/cluster/map partition covers; default 30.
- ``NEWSCLUST_DATA_DIR``: where Milvus Lite, the maps and the Dagster home live by
  default; default ``./newsclust_data``.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from .ingest.news_source import NewsSourceError, read_articles_cached

SAMPLE_PATH = Path(__file__).parent / "ingest" / "sample_data" / "sample_news.jsonl"
DEFAULT_WINDOW_DAYS = 30


def source_path() -> str:
    return os.environ.get("NEWSCLUST_SOURCE") or str(SAMPLE_PATH)


def data_dir() -> Path:
    return Path(os.environ.get("NEWSCLUST_DATA_DIR") or "newsclust_data").absolute()


def window_days() -> int:
    raw = os.environ.get("NEWSCLUST_WINDOW_DAYS", str(DEFAULT_WINDOW_DAYS))
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"NEWSCLUST_WINDOW_DAYS must be a whole number of days, got {raw!r}") from None
    if value < 1:
        raise ValueError(f"NEWSCLUST_WINDOW_DAYS must be at least 1, got {value}")
    return value


def _env_date(name: str) -> dt.date | None:
    raw = os.environ.get(name)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{name} must be a date as YYYY-MM-DD, got {raw!r}") from None


def partition_days() -> tuple[dt.date, dt.date]:
    """(first, last) day partition, both inclusive."""
    start, end = _env_date("NEWSCLUST_START_DATE"), _env_date("NEWSCLUST_END_DATE")
    if start is None or end is None:
        try:
            dates = [a["date"] for a in read_articles_cached(source_path())[0]]
        except NewsSourceError:  # raw_news reports the missing file when it runs
            dates = []
        dates = dates or [dt.date.today() - dt.timedelta(days=1)]  # one complete day to materialize
        start = start or min(dates)
        end = end or max(dates)
    if end < start:
        raise ValueError(f"NEWSCLUST_END_DATE {end} is before NEWSCLUST_START_DATE {start}")
    return start, end
