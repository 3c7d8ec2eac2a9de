"""Every ``NEWSCLUST_`` environment variable, declared once (``VARIABLES``) and read only
here, through ``env()``. No Dagster imports.

Partitions must be known before any run starts, so the few settings that shape them come
from the environment (the news file, the first and last day, the window length); the rest
pick the resources (``environment.py`` builds them from ``env()``), where Dagster's own
storage lives, and two test hooks. docs/settings.md lists them all, made from ``VARIABLES``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

from . import files
from .ingest.news_source import NewsSourceError, read_articles_cached

SAMPLE_PATH = Path(__file__).parent / "ingest" / "sample_data" / "sample_news.jsonl"
DEFAULT_WINDOW_DAYS = 30
DAGSTER_PG_URL_VAR = "NEWSCLUST_DAGSTER_PG_URL"
DEFAULT_MAX_CONCURRENT_RUNS = 2  # each run loads the model; on Milvus Lite runs take turns on its lock anyway
# How many days a Dagster run covers. Each run of a UI backfill or of the sensor is a new
# process (~5-8 s before its first step), so runs should be long; a window run holds its
# windows' graphs until its step ends, so they must not be too long. Unless
# NEWSCLUST_BACKFILL_DAYS sets one size for all, a backfill's runs are sized from the source's
# mean articles a day: a daily run embeds about BACKFILL_RUN_ARTICLES articles, a window run
# clusters about WINDOW_RUN_ROWS article rows summed over its windows (newsclust run cuts its
# window runs by the same sum), each between 1 and RUN_DAYS_MAX days.
BACKFILL_RUN_ARTICLES = 8192  # ~35 s of CPU embedding at 2 threads
WINDOW_RUN_ROWS = 30_000
RUN_DAYS_MAX = 366
DEFAULT_BACKFILL_DAYS = 62  # when the source's articles a day are not known (it cannot be read)
# A run of stories loads the graph and labels of each of its days' windows: at most
# STORY_RUN_ROWS article rows summed over them, in a backfill (no cap in days: each further
# stories run waits for a daemon tick, see Calendar.stories_backfill) and in newsclust run,
# which also stops a run at STORY_RUN_DAYS days so that its progress line comes often.
STORY_RUN_DAYS = 366
STORY_RUN_ROWS = 600_000


@dataclass(frozen=True)
class Variable:
    """One environment variable: its name, its default as users read it, what it does, and
    whether it holds a secret (then only its presence is read here: the resource gets it as
    ``dagster.EnvVar``, so Dagster shows the name, never the value)."""

    name: str
    default: str  # as users read it; "" when it is a resource field's default (``field``)
    meaning: str
    group: str
    secret: bool = False
    field: str = ""  # "ResourceClass.field" it sets, whose declared default applies when unset


_E, _M, _L = "NEWSCLUST_EMBEDDING", "NEWSCLUST_MILVUS", "NEWSCLUST_LLM"
VARIABLES: dict[str, Variable] = {
    v.name: v
    for v in (
        Variable(
            "NEWSCLUST_SOURCE",
            "the shipped sample",
            "news file (a local path or any fsspec URL, e.g. `s3://bucket/news.jsonl`): `.jsonl`/`.ndjson`/`.json` (one "
            "object a line) or `.csv`; fields headline/title, "
            "short_description/description, date, optional link/url, category, authors",
            "partitions",
        ),
        Variable("NEWSCLUST_START_DATE", "the source's first day", "first day partition (YYYY-MM-DD)", "partitions"),
        Variable(
            "NEWSCLUST_END_DATE",
            "the source's last day",
            "last day partition, inclusive (YYYY-MM-DD); `today`: a new partition every day (for the sensor)",
            "partitions",
        ),
        Variable(
            "NEWSCLUST_WINDOW_DAYS", str(DEFAULT_WINDOW_DAYS), "days per kNN / cluster / map window", "partitions"
        ),
        Variable(
            "NEWSCLUST_BACKFILL_DAYS",
            "auto",
            "days per run of a backfill launched in the Dagster UI (and of a sensor's run); a backfill's runs go "
            f"up to NEWSCLUST_MAX_CONCURRENT_RUNS at once. auto: sized from the source's mean articles a day, "
            f"about {BACKFILL_RUN_ARTICLES:,} articles a daily run and {WINDOW_RUN_ROWS:,} article rows (summed "
            f"over the windows) a window run, 1 to {RUN_DAYS_MAX} days; stories {STORY_RUN_ROWS:,} window rows a run; "
            f"{DEFAULT_BACKFILL_DAYS} when the source cannot be read",
            "partitions",
        ),
        Variable(
            "NEWSCLUST_DATA_DIR",
            "`./newsclust_data`",
            "Milvus Lite, maps, labels, stories and the Dagster home of `newsclust run`",
            "storage",
        ),
        Variable(
            DAGSTER_PG_URL_VAR,
            "unset: SQLite in the Dagster home",
            "PostgreSQL URL (`postgresql://user:password@host:5432/db`) for Dagster's runs, events and "
            "schedules; the dagster.yaml names the variable, never the URL",
            "storage",
            secret=True,
        ),
        Variable(
            "NEWSCLUST_IO_BASE_URL",
            "the Dagster home's `storage/`",
            "where values pass between assets, one pickle per asset and day: a directory or any fsspec URL "
            "(`s3://bucket/prefix` with the AWS variables, `gs://...`), so runs on several machines share them",
            "storage",
        ),
        Variable(
            "NEWSCLUST_FILES_DIR",
            "NEWSCLUST_DATA_DIR",
            "where the files people open are written: maps, plotly.js, label CSVs, the story registry, story "
            "pages and the timeline (folders `maps/`, `labels/`, `stories/`): a directory or any fsspec URL "
            "(`s3://bucket/prefix`), so runs on several machines share them",
            "storage",
        ),
        Variable(
            "NEWSCLUST_FILES_URL",
            "unset (`make dev`: http://127.0.0.1:3001)",
            "URL at which the files directory (NEWSCLUST_FILES_DIR) is served over HTTP: the map, timeline and "
            "story-page links in the Dagster UI point under it and open with one click (browsers do not open "
            "file:// links from the UI)",
            "storage",
        ),
        Variable(
            "NEWSCLUST_MAX_CONCURRENT_RUNS",
            str(DEFAULT_MAX_CONCURRENT_RUNS),
            "runs Dagster's queue starts at once (UI backfills, the sensor), written into the dagster.yaml "
            "newsclust manages",
            "storage",
        ),
        Variable(
            f"{_E}_BASE_URL",
            "unset: all-MiniLM-L6-v2 on the CPU",
            "an OpenAI-compatible `/v1/embeddings` endpoint (vLLM, OpenAI)",
            "embedding",
        ),
        Variable(f"{_E}_MODEL", "required with a URL", "the model the endpoint serves", "embedding"),
        Variable(f"{_E}_BACKEND", "", "", "embedding", field="LocalEmbeddingResource.backend"),
        Variable(f"{_E}_DIMENSIONS", "", "", "embedding", field="OpenAIEmbeddingResource.dimensions"),
        Variable(f"{_E}_BATCH_SIZE", "", "", "embedding", field="OpenAIEmbeddingResource.batch_size"),
        Variable(f"{_E}_MAX_IN_FLIGHT", "", "", "embedding", field="OpenAIEmbeddingResource.max_in_flight"),
        Variable(f"{_E}_API_KEY", "none", "the endpoint's key", "embedding", secret=True),
        Variable(
            f"{_M}_URI",
            "Milvus Lite in `NEWSCLUST_DATA_DIR/milvus.db`",
            "`http://host:19530`, a Zilliz Cloud endpoint, or a local `*.db` path",
            "milvus",
        ),
        Variable(f"{_M}_TOKEN", "none", "`user:password` or an API key", "milvus", secret=True),
        Variable(f"{_M}_DB_NAME", "", "", "milvus", field="MilvusResource.db_name"),
        Variable(f"{_M}_COLLECTION", "", "", "milvus", field="MilvusResource.collection_name"),
        Variable(f"{_M}_METRIC", "", "", "milvus", field="MilvusResource.metric"),
        Variable(f"{_M}_INDEX_TYPE", "", "", "milvus", field="MilvusResource.index_type"),
        Variable(
            f"{_L}_BASE_URL", "unset: offline names", "an OpenAI-compatible chat endpoint that names stories", "namer"
        ),
        Variable(f"{_L}_MODEL", "required with a URL", "the chat model it serves", "namer"),
        Variable(f"{_L}_TIMEOUT_S", "", "", "namer", field="StoryNamerResource.timeout_s"),
        Variable(f"{_L}_API_KEY", "none", "the chat endpoint's key", "namer", secret=True),
        Variable(
            "NEWSCLUST_PAUSE_AT",
            "unset",
            "test hook: the command waits at this point (`planned`, `run_created`, `between_runs`)",
            "tests",
        ),
        Variable("NEWSCLUST_PAUSE_FILE", "unset", "test hook: written when the command reaches the point", "tests"),
        Variable(
            "NEWSCLUST_TEST_MILVUS_VENV",
            "`.venv-milvus`",
            "the virtual environment holding the Milvus 2.3.5 standalone for the server tests",
            "tests",
        ),
    )
}
GROUPS = {
    "partitions": "Partitions (read when the code location loads)",
    "storage": "Data and Dagster's storage",
    "embedding": "Embedding endpoint (default: the bundled model, no server)",
    "milvus": "Milvus (default: Milvus Lite, no server)",
    "namer": "Story names from a chat model (optional)",
    "tests": "Tests only",
}


def env(name: str) -> str:
    """The value of declared variable ``name``, stripped ("" when unset): the one place a
    ``NEWSCLUST_`` variable is read. A name not in ``VARIABLES`` is a bug, refused."""
    if name not in VARIABLES:
        raise KeyError(f"{name} is not a declared newsclust variable (settings.VARIABLES)")
    return os.environ.get(name, "").strip()


def variables_markdown(fields: dict[str, tuple[str, str]]) -> str:
    """The environment variables' section of docs/settings.md, made from ``VARIABLES``;
    ``fields``: {"Resource.field": (default, description)} of the resource fields some set."""
    lines = ["## Environment variables", ""]
    for group, title in GROUPS.items():
        lines += [f"**{title}**", "", "| variable | default | what it does |", "|---|---|---|"]
        for v in VARIABLES.values():
            if v.group == group:
                default, meaning = fields[v.field] if v.field else (v.default, v.meaning)
                if v.field:
                    meaning = f"{meaning} (`{v.field}`)"
                secret = "; a secret: never written to a file, log or metadata" if v.secret else ""
                lines.append(f"| `{v.name}` | {default} | {meaning.rstrip('.')}{secret} |")
        lines.append("")
    return "\n".join(lines)


def dagster_pg_url() -> str | None:
    """The PostgreSQL URL for Dagster's storage, or None (SQLite in the Dagster home)."""
    return env(DAGSTER_PG_URL_VAR) or None


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
    raw = env("NEWSCLUST_MAX_CONCURRENT_RUNS") or str(DEFAULT_MAX_CONCURRENT_RUNS)
    return _at_least_one("NEWSCLUST_MAX_CONCURRENT_RUNS", raw, "runs")


def pg_where(url: str) -> str:
    """host:port/database of a PostgreSQL URL: what messages show (never the user or password)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path or ''}"


def source_path() -> str:
    return env("NEWSCLUST_SOURCE") or str(SAMPLE_PATH)


def _source_id() -> str:
    """The source as one string: its URL (``s3://...``), or its absolute local path."""
    source = source_path()
    return source if files.is_url(source) else str(Path(source).absolute())


def data_dir() -> Path:
    return Path(env("NEWSCLUST_DATA_DIR") or "newsclust_data").absolute()


def window_days() -> int:
    return _at_least_one("NEWSCLUST_WINDOW_DAYS", env("NEWSCLUST_WINDOW_DAYS") or str(DEFAULT_WINDOW_DAYS), "days")


def backfill_days() -> int | None:
    """NEWSCLUST_BACKFILL_DAYS, or None (``auto``, the default: sized from the source)."""
    raw = env("NEWSCLUST_BACKFILL_DAYS")
    if not raw or raw.lower() == "auto":
        return None
    return _at_least_one("NEWSCLUST_BACKFILL_DAYS", raw, "days")


def source_articles_per_day() -> float | None:
    """The news source's mean articles a day over its first to last day, or None when it
    cannot be read or holds none (read through the same cache as ``partition_days``)."""
    try:
        articles, _ = read_articles_cached(source_path())
    except NewsSourceError:
        return None
    dates = [a["date"] for a in articles]
    if not dates:
        return None
    return len(dates) / ((max(dates) - min(dates)).days + 1)


def end_is_today() -> bool:
    """NEWSCLUST_END_DATE=today: the partitions grow by one every day, up to today."""
    return env("NEWSCLUST_END_DATE").lower() == "today"


def _env_date(name: str) -> dt.date | None:
    raw = env(name)
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


def _recorded_range() -> tuple[dt.date, dt.date] | None:
    try:
        data = json.loads((data_dir() / RANGE_RECORD).read_text())
        if data.get("source") == _source_id():
            return dt.date.fromisoformat(data["first"]), dt.date.fromisoformat(data["last"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _record_range(first: dt.date, last: dt.date) -> None:
    try:
        data_dir().mkdir(parents=True, exist_ok=True)
        target = data_dir() / RANGE_RECORD
        tmp = target.with_name(f".{RANGE_RECORD}.{os.getpid()}")
        tmp.write_text(json.dumps({"source": _source_id(), "first": first.isoformat(), "last": last.isoformat()}))
        tmp.replace(target)
    except OSError:  # a read-only data dir: the range is simply not remembered
        pass


def partition_days() -> tuple[dt.date, dt.date, str | None]:
    """(first, last, problem): the day partitions, both inclusive, and why the source could
    not give them, if it could not (else None).

    From NEWSCLUST_START_DATE / NEWSCLUST_END_DATE, else from the source's first and last
    day. When the source cannot be read (missing, unreadable, empty), the code location
    still loads, so the UI can show why: the partitions are the range last read from the
    same source (recorded under the data directory), never a silently different one, or one
    placeholder day if none was ever read; the problem says what is wrong, and raw_news and
    ``newsclust run`` fail with it. Called when the definitions are built, never at import."""
    problem = None
    start, end = _env_date("NEWSCLUST_START_DATE"), _env_date("NEWSCLUST_END_DATE")
    if start is None or end is None:
        try:
            articles, report = read_articles_cached(source_path())
            dates = [a["date"] for a in articles]
            if not dates:
                problem = (
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
            dates, problem = [], str(exc)
        if dates:
            _record_range(min(dates), max(dates))
        else:
            recorded = _recorded_range()
            dates = list(recorded) if recorded else [dt.date.today() - dt.timedelta(days=1)]
            problem = f"{problem}" + (
                f"; the partitions stay {dates[0]}..{dates[-1]}, as last read from it"
                if recorded
                else "; the partitions are one placeholder day until the source can be read"
            )
        start = start or min(dates)
        end = end or max(dates)
    if end < start:
        raise ValueError(f"NEWSCLUST_END_DATE {end} is before NEWSCLUST_START_DATE {start}")
    return start, end, problem
