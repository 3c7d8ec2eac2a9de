"""Settings read once, when the code location loads. No Dagster imports.

Partitions must be known before any run starts, so the few settings that shape them
come from the environment:

- ``NEWSCLUST_SOURCE``: the news file (JSON lines or CSV); default the shipped sample.
- ``NEWSCLUST_START_DATE`` / ``NEWSCLUST_END_DATE`` (YYYY-MM-DD, end inclusive): the day
  partitions; default the first and last day found in the source file.
- ``NEWSCLUST_WINDOW_DAYS``: how many days one kNN/cluster/map partition covers; default 30.
- ``NEWSCLUST_DATA_DIR``: where Milvus Lite, the maps and the Dagster home live by
  default; default ``./newsclust_data``.
- ``NEWSCLUST_DAGSTER_PG_URL``: a PostgreSQL URL (``postgresql://user:password@host:5432/db``)
  for Dagster's runs, events and schedules; unset: SQLite files in the Dagster home. Dagster
  reads it from the environment itself (the dagster.yaml names the variable, never the URL).
- ``NEWSCLUST_MAX_CONCURRENT_RUNS``: how many runs Dagster's queue starts at once (a UI
  backfill, the sensor); default 2. Written into the dagster.yaml newsclust manages.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from .ingest.news_source import NewsSourceError, read_articles_cached

SAMPLE_PATH = Path(__file__).parent / "ingest" / "sample_data" / "sample_news.jsonl"
DEFAULT_WINDOW_DAYS = 30
DAGSTER_PG_URL_VAR = "NEWSCLUST_DAGSTER_PG_URL"


def dagster_pg_url() -> str | None:
    """The PostgreSQL URL for Dagster's storage, or None (SQLite in the Dagster home)."""
    return os.environ.get(DAGSTER_PG_URL_VAR, "").strip() or None


DEFAULT_MAX_CONCURRENT_RUNS = 2  # each run loads the model; on Milvus Lite runs take turns on its lock anyway


def _at_least_one(name: str, raw: str, unit: str) -> int:
    """``raw`` (the value of variable ``name``) as a whole number >= 1, or a one-line error."""
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number of {unit}, got {raw!r}") from None
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return value


def max_concurrent_runs() -> int:
    raw = os.environ.get("NEWSCLUST_MAX_CONCURRENT_RUNS", "").strip() or str(DEFAULT_MAX_CONCURRENT_RUNS)
    return _at_least_one("NEWSCLUST_MAX_CONCURRENT_RUNS", raw, "runs")


def pg_where(url: str) -> str:
    """host:port/database of a PostgreSQL URL: what messages show (never the user or password)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path or ''}"


def source_path() -> str:
    return os.environ.get("NEWSCLUST_SOURCE") or str(SAMPLE_PATH)


def data_dir() -> Path:
    return Path(os.environ.get("NEWSCLUST_DATA_DIR") or "newsclust_data").absolute()


def window_days() -> int:
    return _at_least_one(
        "NEWSCLUST_WINDOW_DAYS", os.environ.get("NEWSCLUST_WINDOW_DAYS", str(DEFAULT_WINDOW_DAYS)), "days"
    )


def end_is_today() -> bool:
    """NEWSCLUST_END_DATE=today: the partitions grow by one every day, up to today."""
    return os.environ.get("NEWSCLUST_END_DATE", "").strip().lower() == "today"


def _env_date(name: str) -> dt.date | None:
    raw = os.environ.get(name)
    if not raw:
        return None
    if name == "NEWSCLUST_END_DATE" and end_is_today():
        return dt.date.today()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValueError(
            f"{name} must be a date as YYYY-MM-DD{' or today' if 'END' in name else ''}, got {raw!r}"
        ) from None


RANGE_RECORD = "partition_range.json"  # under NEWSCLUST_DATA_DIR: the last range read from the source
SOURCE_PROBLEM: str | None = None  # why the source could not give the partitions at load, if it could not


def _recorded_range() -> tuple[dt.date, dt.date] | None:
    try:
        data = json.loads((data_dir() / RANGE_RECORD).read_text())
        if data.get("source") == str(Path(source_path()).absolute()):
            return dt.date.fromisoformat(data["first"]), dt.date.fromisoformat(data["last"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _record_range(first: dt.date, last: dt.date) -> None:
    try:
        data_dir().mkdir(parents=True, exist_ok=True)
        target = data_dir() / RANGE_RECORD
        tmp = target.with_name(f".{RANGE_RECORD}.{os.getpid()}")
        tmp.write_text(
            json.dumps(
                {"source": str(Path(source_path()).absolute()), "first": first.isoformat(), "last": last.isoformat()}
            )
        )
        tmp.replace(target)
    except OSError:  # a read-only data dir: the range is simply not remembered
        pass


def partition_days() -> tuple[dt.date, dt.date]:
    """(first, last) day partition, both inclusive.

    From NEWSCLUST_START_DATE / NEWSCLUST_END_DATE, else from the source's first and last
    day. When the source cannot be read at load (missing, unreadable, empty), the code
    location still loads, so the UI can show why: the partitions are the range last read
    from the same source (recorded under the data directory), never a silently different
    one, or one placeholder day if none was ever read; ``SOURCE_PROBLEM`` says what is
    wrong, and raw_news fails with it."""
    global SOURCE_PROBLEM
    SOURCE_PROBLEM = None
    start, end = _env_date("NEWSCLUST_START_DATE"), _env_date("NEWSCLUST_END_DATE")
    if start is None or end is None:
        try:
            articles, report = read_articles_cached(source_path())
            dates = [a["date"] for a in articles]
            if not dates:
                SOURCE_PROBLEM = (
                    f"news source {source_path()} holds no readable article "
                    f"({report.rows_read} rows read, {report.skipped_total} skipped"
                    f"{': ' + ', '.join(f'{n} {why}' for why, n in report.skipped.items()) if report.skipped else ''})"
                    + (
                        f"; its columns are {', '.join(report.columns)}: each row needs a date and a "
                        "headline, title or description"
                        if report.columns is not None
                        else ""
                    )
                )
        except NewsSourceError as exc:
            dates, SOURCE_PROBLEM = [], str(exc)
        if dates:
            _record_range(min(dates), max(dates))
        else:
            recorded = _recorded_range()
            dates = list(recorded) if recorded else [dt.date.today() - dt.timedelta(days=1)]
            SOURCE_PROBLEM += (
                f"; the partitions stay {dates[0]}..{dates[-1]}, as last read from it"
                if recorded
                else "; the partitions are one placeholder day until the source can be read"
            )
        start = start or min(dates)
        end = end or max(dates)
    if end < start:
        raise ValueError(f"NEWSCLUST_END_DATE {end} is before NEWSCLUST_START_DATE {start}")
    return start, end
