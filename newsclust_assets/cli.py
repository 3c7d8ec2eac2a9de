"""``newsclust run``: materialize the whole graph over a range of day partitions.

Runs in one process against a persistent Dagster instance (``$DAGSTER_HOME``, or
``NEWSCLUST_DATA_DIR/dagster_home``), so ``dagster dev`` started with the same
DAGSTER_HOME shows every materialization, check result and its metadata afterwards.

Each Dagster run covers a *range* of days (the assets' backfill policies): first the
daily assets raw_news -> embeddings -> milvus_collection in chunks of up to
``DAY_CHUNK_ARTICLES`` articles (full embedding batches, one bulk write a chunk), then
every day's window (knn_distances -> cluster_labels) in chunks of up to ``WINDOW_CHUNK``
windows, then ``stories`` day after day in order (``STORY_CHUNK`` days a run), then the
maps (``--maps last``: the last day's only) and the last day's story timeline. Progress is
printed after every chunk.

A re-run resumes: a day is skipped when its articles (a content hash), its raw_news and
milvus_collection materializations and the ids Milvus holds for it all match the source;
a window is skipped when it was clustered after every one of its days was stored and with
the same settings; stories are redone from the first day whose window was re-clustered
(or whose stories are missing) to the end, because each day continues the day before.
``--first D`` with ``--force`` re-runs day D and every later day. ``--force`` redoes everything.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import signal
import socket
import sys
import time
from pathlib import Path

DAILY = ["raw_news", "embeddings", "milvus_collection"]
WINDOWED = ["knn_distances", "cluster_labels", "umap_plot"]
STORIES = ["stories", "story_timeline"]
STORY_CHUNK = 366          # days of stories per run (each day loads its window's graph and labels)
DAY_CHUNK_ARTICLES = 2048   # articles per daily run: ~10 s of CPU embedding, so progress shows often
DAY_CHUNK_DAYS = 366
WINDOW_CHUNK = 31           # windows per run (each window's graph is held until its step ends)
WINDOW_CHUNK_ROWS = 30_000  # article rows summed over a run's windows


def dagster_home() -> Path:
    """$DAGSTER_HOME, or NEWSCLUST_DATA_DIR/dagster_home (then set as $DAGSTER_HOME), with
    newsclust's dagster.yaml written if it has none (see event_storage.py)."""
    from .event_storage import MANAGED, POSTGRES_STORAGE, dagster_home_yaml
    from .settings import DAGSTER_PG_URL_VAR, dagster_pg_url, data_dir

    if not os.environ.get("DAGSTER_HOME"):
        os.environ["DAGSTER_HOME"] = str(data_dir() / "dagster_home")
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    written = config.read_text() if config.exists() else None
    postgres = dagster_pg_url() is not None
    if written is not None and POSTGRES_STORAGE in written and not postgres:
        raise ValueError(f"the Dagster home {home} keeps its runs in PostgreSQL, but {DAGSTER_PG_URL_VAR} is not "
                         f"set: set it, or use another NEWSCLUST_DATA_DIR or DAGSTER_HOME for SQLite")
    earlier = written is not None and "CachedEngineSqliteEventLogStorage" in written and "compute_logs:" not in written
    if written is None or earlier or (written.startswith(MANAGED) and postgres and POSTGRES_STORAGE not in written):
        config.write_text(dagster_home_yaml(str(home), postgres))   # new, earlier newsclust's, or now on Postgres
    return home


@contextlib.contextmanager
def _file_lock(path: Path):
    import fcntl

    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _instance():
    """The persistent Dagster instance. Its SQLite storages are created (and their schema
    versions stamped) under a file lock: two processes initialising a fresh Dagster home at
    once could otherwise leave two alembic heads, after which every run fails."""
    import dagster as dg

    from .settings import DAGSTER_PG_URL_VAR, dagster_pg_url, pg_where

    home = dagster_home()
    with _file_lock(home / ".newsclust-init.lock"):
        try:
            instance = dg.DagsterInstance.get()
            for storage in (instance.run_storage, instance.event_log_storage, instance.schedule_storage):
                assert storage is not None
            instance.get_runs(limit=1)
        except Exception as exc:
            url = dagster_pg_url()
            if url is None or not _is_connection_error(exc):
                raise
            raise ValueError(f"cannot reach the Dagster PostgreSQL database at {pg_where(url)} "
                             f"({DAGSTER_PG_URL_VAR}): {_first_line(exc)}") from None
    return instance


def _exception_chain(exc: BaseException | None):
    """``exc``, then what it was raised from or during, each once (a chain can loop)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _first_line_of(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _is_connection_error(exc: BaseException) -> bool:
    # psycopg2's and SQLAlchemy's OperationalError
    return any(type(e).__name__ == "OperationalError" for e in _exception_chain(exc))


def _first_line(exc: BaseException) -> str:
    """The innermost cause's first line (a driver's own words), without any URL in it."""
    *_, innermost = _exception_chain(exc)
    return re.sub(r"postgres(ql)?://\S+", "<url>", _first_line_of(innermost))


class StepFailed(Exception):
    """A range run of ``newsclust run`` failed: one line of why, and where the whole error is."""

    def __init__(self, line: str, days: list[str]):
        super().__init__(line)
        self.days = days


class Interrupted(Exception):
    def __init__(self, signo: int, canceled: int = 0):
        super().__init__(signal.Signals(signo).name)
        self.signo = signo
        self.canceled = canceled   # runs of this process the interrupt hit, now marked canceled


def pause_point(name: str) -> None:
    """A test hook: with ``NEWSCLUST_PAUSE_AT=name`` and ``NEWSCLUST_PAUSE_FILE=path`` set, the
    command writes the file when it reaches that point and waits there (until a signal), so
    a test can interrupt it at exactly that moment instead of guessing with a sleep. Points:
    ``planned`` (before the first run exists), ``run_created`` (a run is created, not started),
    ``between_runs`` (after a run finished, before the next one)."""
    if os.environ.get("NEWSCLUST_PAUSE_AT") != name or not os.environ.get("NEWSCLUST_PAUSE_FILE"):
        return
    marker = Path(os.environ["NEWSCLUST_PAUSE_FILE"])
    if marker.exists():
        return  # once per command
    marker.write_text(name)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        time.sleep(0.05)


class SignalWatch:
    """Remembers SIGINT and SIGTERM however Dagster handles them meanwhile.

    During a run Dagster swaps in its own handlers (it defers the interrupt to a checkpoint,
    fails the run, then forgets the signal), so a plain handler of ours would never learn of
    it and the loop over ranges would go on. Python's wakeup fd receives the number of every
    signal whatever Python-level handler is installed; ``received()`` reads it after each run."""

    def __init__(self):
        self._read, write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(write, False)
        self._previous = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
        self._handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
        for signo in self._handlers:
            signal.signal(signo, self._raise)
        self.last: int | None = None

    @staticmethod
    def _raise(signo, frame):
        raise KeyboardInterrupt

    def received(self) -> int | None:
        try:
            data = os.read(self._read, 512)
        except BlockingIOError:
            data = b""
        for byte in data:
            if byte in (signal.SIGINT, signal.SIGTERM):
                self.last = byte
        return self.last

    def close(self) -> None:
        signal.set_wakeup_fd(self._previous)
        for signo, handler in self._handlers.items():
            signal.signal(signo, handler)


def _error_line(error) -> str:
    """The most specific message of a Dagster error chain, on one line, without the class name."""
    messages = []
    while error is not None:
        messages.append(error.message)
        error = error.cause
    useful = [m for m in messages if not m.startswith(("dagster._core.errors.DagsterExecutionStepExecutionError",
                                                       "Error occurred while executing"))] or messages
    line = useful[-1].strip().splitlines()[0] if useful[-1].strip() else "unknown error"
    return re.sub(r"^([\w.]+(Error|Exception|Failure)): ", "", line)


def _log_dir() -> Path:
    from .settings import data_dir

    return data_dir() / "logs"


def sweep_orphans(instance, log) -> int:
    """Mark failed the runs of ``newsclust run`` left STARTED by a process that is gone
    (kill -9, a crash, a reboot); returns how many."""
    import dagster as dg

    swept = 0
    runs = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus(v) for v in UNFINISHED],
                                                   tags={"newsclust/command": "newsclust run"}))
    for r in runs:
        pid = int(r.tags.get("newsclust/pid", "0") or 0)
        if r.tags.get("newsclust/host") != socket.gethostname() or not pid or _alive(pid):
            continue
        instance.report_run_failed(r, message=f"the newsclust run process (pid {pid}) is gone; marked failed by the "
                                             "next newsclust run")
        swept += 1
    if swept:
        log(f"  marked {swept} run(s) of a vanished newsclust process as failed")
    return swept


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _select(keys: list[str], first: str | None, last: str | None) -> list[str]:
    chosen = [k for k in keys if (first is None or k >= first) and (last is None or k <= last)]
    if not chosen:
        raise SystemExit(f"no day partitions between {first or keys[0]} and {last or keys[-1]} "
                         f"(partitions run {keys[0]}..{keys[-1]})")
    return chosen


def chunks(keys: list[str], weight: dict[str, int], max_keys: int, max_weight: int) -> list[list[str]]:
    """``keys`` (sorted days) cut into runs of consecutive days, each at most ``max_keys``
    days and, unless one day alone exceeds it, ``max_weight`` summed weight."""
    out: list[list[str]] = []
    current: list[str] = []
    load = 0
    for key in keys:
        w = weight.get(key, 0)
        gap = current and dt.date.fromisoformat(key) - dt.date.fromisoformat(current[-1]) != dt.timedelta(days=1)
        if current and (gap or len(current) >= max_keys or load + w > max_weight):
            out.append(current)
            current, load = [], 0
        current.append(key)
        load += w
    if current:
        out.append(current)
    return out


def latest_records(instance, asset: str, partitions: set[str] | None = None) -> dict[str, tuple[int, dict]]:
    """{partition: (storage id, metadata values)} of the asset's latest materializations."""
    import dagster as dg

    key = dg.AssetKey(asset)
    ids = instance.get_latest_storage_id_by_partition(key, dg.DagsterEventType.ASSET_MATERIALIZATION, partitions)
    wanted = sorted(ids.values())
    out: dict[str, tuple[int, dict]] = {}
    for i in range(0, len(wanted), 500):
        batch = wanted[i:i + 500]
        records = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=key, storage_ids=batch),
                                                  limit=len(batch)).records
        for r in records:
            mat = r.asset_materialization
            out[mat.partition] = (r.storage_id, {k: v.value for k, v in mat.metadata.items()})
    return out


class Progress:
    """One line per finished chunk: counts, rate and time left."""

    def __init__(self, log, what: str, total: int, unit: str, total_units: int):
        self.log, self.what, self.total, self.unit, self.total_units = log, what, total, unit, total_units
        self.done = self.units = 0
        self.started = time.perf_counter()

    def step(self, items: int, units: int) -> None:
        self.done += items
        self.units += units
        spent = time.perf_counter() - self.started
        rate = self.units / spent if spent > 0 else 0.0
        left = spent / self.done * (self.total - self.done) if self.done else 0.0
        self.log(f"  {self.what} {self.done}/{self.total} ({self.units:,}/{self.total_units:,} {self.unit}, "
                 f"{rate:,.0f} {self.unit}/s), {spent:.1f} s, ~{left:.0f} s left")


def _materialize(selection: list[str], keys: list[str], instance, resources: dict, run_config: dict,
                 watch: SignalWatch | None = None):
    """One range run; StepFailed (one line, the full error in a log file) if a step fails,
    Interrupted if SIGINT or SIGTERM arrived meanwhile (the run is then marked canceled)."""
    import dagster as dg

    from .assets import ALL_ASSETS

    tags = {"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1],
            "newsclust/command": "newsclust run", "newsclust/pid": str(os.getpid()),
            "newsclust/host": socket.gethostname()}
    ops = {a: c for a, c in run_config.get("ops", {}).items() if a in selection}  # config of selected assets only
    run_config = {**{k: v for k, v in run_config.items() if k != "ops"}, **({"ops": ops} if ops else {})}
    try:
        result = dg.materialize(ALL_ASSETS, selection=selection, instance=instance, resources=resources,
                                run_config=run_config, tags=tags, raise_on_error=False)
    except KeyboardInterrupt:
        result = None
    signo = watch.received() if watch else None
    if signo or result is None:
        raise Interrupted(signo or signal.SIGINT, _cancel_own_runs(instance))
    pause_point("between_runs")
    if result.success:
        return result
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    span = keys[0] if len(keys) == 1 else f"{keys[0]}..{keys[-1]}"
    log_path = _log_dir() / f"run_{result.run_id}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as fh:
        for e in failures:
            fh.write(f"step {e.step_key} failed for {span}\n{e.event_specific_data.error.to_string()}\n")
    if failures:
        first = failures[0]
        line = f"{first.step_key} failed for {span}: {_error_line(first.event_specific_data.error)}"
    else:
        line = f"run {result.run_id} for {span} failed"
    raise StepFailed(f"{line} (run {result.run_id[:8]}, full error: {log_path})", keys)


UNFINISHED = ("NOT_STARTED", "QUEUED", "STARTING", "STARTED", "CANCELING")


def _cancel_own_runs(instance, interrupted: bool = True) -> int:
    """Every run of this process that an interrupt left unfinished (created but not started,
    or started) shows as canceled, and so does the newest if Dagster failed it on the way
    out; earlier failures stay failures. Returns how many runs were marked."""
    import dagster as dg

    mine = instance.get_runs(filters=dg.RunsFilter(tags={"newsclust/pid": str(os.getpid()),
                                                         "newsclust/host": socket.gethostname()}))
    marked = 0
    for i, r in enumerate(mine):   # newest first
        hit = r.status.value in UNFINISHED or (i == 0 and r.status == dg.DagsterRunStatus.FAILURE and interrupted)
        if hit and not r.tags.get("newsclust/canceled"):
            instance.add_run_tags(r.run_id, {"newsclust/canceled": "interrupted"})
            instance.report_run_canceled(r, message="newsclust run was interrupted (SIGINT or SIGTERM)")
            marked += 1
    return marked


def _day_of(number: int) -> str:
    from .vectors.milvus_store import EPOCH

    return (EPOCH + dt.timedelta(days=number)).isoformat()


def prune(apply: bool) -> int:
    """``newsclust prune``: delete from Milvus the articles (and story-store rows) of days
    outside the source's range; without ``--yes`` only say what would go."""
    from .definitions import default_resources
    from .partitions import daily_partitions
    from .stories import story_memory
    from .vectors.milvus_store import day_number, delete_outside, rows_outside

    try:
        keys = daily_partitions.get_partition_keys()
        first, last = day_number(keys[0]), day_number(keys[-1])
        milvus = resolved(default_resources()["milvus"])
        with milvus.client() as client:
            name = milvus.collection_name
            if not client.has_collection(name):
                print(f"newsclust prune: nothing stored in {milvus.display_uri} yet")
                return 0
            client.load_collection(name)
            outside = rows_outside(client, name, first, last)
            if not outside:
                print(f"newsclust prune: every stored article is of a day in the source's {keys[0]}..{keys[-1]}")
                return 0
            what = (f"{sum(outside.values()):,} articles of {len(outside)} days outside the source's "
                    f"{keys[0]}..{keys[-1]} ({_day_of(min(outside))}..{_day_of(max(outside))})")
            if not apply:
                print(f"newsclust prune: would delete {what}; re-run with --yes to delete them")
                return 0
            delete_outside(client, name, first, last)
            stories = story_memory.collection_for(name)
            if client.has_collection(stories):
                delete_outside(client, stories, first, last)
            if milvus.is_lite:
                client.flush(name)
    except (SystemExit, KeyboardInterrupt):
        raise
    except Exception as exc:  # noqa: BLE001 - one line
        return _one_line_error("newsclust prune", exc)
    print(f"newsclust prune: deleted {what}")
    return 0


def resolved(resource):
    """A resource with its ``dagster.EnvVar`` fields (tokens, keys) resolved, for use outside a
    run (planning, story-search): Dagster resolves them only when it initialises a resource."""
    return resource.process_config_and_initialize()


def plan_days(days: list[str], instance, resources: dict, force: bool, lookback: int = 0,
              source_span: tuple[str, str] | None = None) -> tuple[list[str], dict[str, int], dict[int, int]]:
    """(days to store, articles per day of ``days`` and the ``lookback`` days before them,
    {day number: rows} Milvus holds for days outside ``source_span``): every day is to store
    unless its stored state matches the source."""
    from .ingest.news_source import articles_for_days, content_hash
    from .vectors.milvus_store import day_number, ids_by_day, rows_outside

    first = dt.date.fromisoformat(days[0]) - dt.timedelta(days=lookback)
    span = [first + dt.timedelta(days=i) for i in range((dt.date.fromisoformat(days[-1]) - first).days + 1)]
    current = articles_for_days(resources["news_source"].path, span)
    frames = {d.isoformat(): r.articles for d, r in current.items()}
    sizes = {k: len(f) for k, f in frames.items()}
    raw = latest_records(instance, "raw_news", set(days))
    stored = latest_records(instance, "milvus_collection", set(days))
    milvus = resolved(resources["milvus"])
    held, outside = {}, {}
    with milvus.client() as client:
        if client.has_collection(milvus.collection_name):
            client.load_collection(milvus.collection_name)
            if source_span:
                outside = rows_outside(client, milvus.collection_name, *map(day_number, source_span))
            if not force:
                held = ids_by_day(client, milvus.collection_name, day_number(days[0]), day_number(days[-1]))
    if force:
        return days, sizes, outside
    todo = []
    for key in days:
        done = (key in raw and key in stored and stored[key][0] > raw[key][0]
                and raw[key][1].get("content_hash") == content_hash(frames[key])
                and held.get(day_number(key), []) == sorted(frames[key]["id"]))
        if not done:
            todo.append(key)
    return todo, sizes, outside


def plan_windows(window_days: list[str], window: int, instance, asset_config: dict, force: bool) -> list[str]:
    """Windows to (re)cluster: never clustered, clustered with other settings, or clustered
    before one of their days was last stored."""
    from .assets.clusters import ClusterConfig
    from .assets.knn import KnnConfig
    from .ranges import config_digest

    if force:
        return list(window_days)
    digests = {"cluster_labels": config_digest(ClusterConfig(**asset_config.get("cluster_labels", {}))),
               "knn_distances": config_digest(KnnConfig(**asset_config.get("knn_distances", {})))}
    records = {a: latest_records(instance, a, set(window_days)) for a in digests}
    first = dt.date.fromisoformat(window_days[0]) - dt.timedelta(days=window - 1)
    span = [(first + dt.timedelta(days=i)).isoformat()
            for i in range((dt.date.fromisoformat(window_days[-1]) - first).days + 1)]
    stored = {k: v[0] for k, v in latest_records(instance, "milvus_collection", set(span)).items()}
    todo = []
    for key in window_days:
        end = dt.date.fromisoformat(key)
        newest_day = max((stored.get((end - dt.timedelta(days=i)).isoformat(), 0) for i in range(window)), default=0)
        fresh = all(key in records[a] and records[a][key][1].get("settings_digest") == d
                    and records[a][key][0] > newest_day for a, d in digests.items())
        if not fresh or records["cluster_labels"][key][0] < records["knn_distances"][key][0]:
            todo.append(key)
    return todo


def plan_stories(window_days: list[str], instance, force: bool) -> list[str]:
    """Days whose stories to (re)compute, in order: from the first day whose stories are
    missing, older than its window's labels or older than the day before's stories, to the
    last day with labels (stories carry state from day to day, so a redone day redoes every
    later one)."""
    labels = latest_records(instance, "cluster_labels", set(window_days))
    before = (dt.date.fromisoformat(window_days[0]) - dt.timedelta(days=1)).isoformat()
    done = latest_records(instance, "stories", set(window_days) | {before})
    have = [k for k in window_days if k in labels]
    start = len(have)
    previous = done.get(before, (0, {}))[0]
    for i, key in enumerate(have):
        if force or key not in done or done[key][0] < labels[key][0] or done[key][0] < previous:
            start = i
            break
        previous = done[key][0]
    todo = have[start:]
    gap = next((i for i in range(1, len(todo)) if (dt.date.fromisoformat(todo[i]) -
                                                  dt.date.fromisoformat(todo[i - 1])).days != 1), len(todo))
    return todo[:gap]  # stop before a day whose window has no labels (a failed range)


def run(first: str | None = None, last: str | None = None, windows: str = "all", instance=None,
        resources: dict | None = None, log=print, asset_config: dict | None = None, maps: str = "last",
        force: bool = False, keep_going: bool = False, days_per_run: int = DAY_CHUNK_DAYS,
        watch: SignalWatch | None = None) -> dict:
    """Materialize the graph; returns the summary of the last window, with every window's
    cluster_labels metadata under ``"windows"`` and any failed range under ``"failures"``.
    ``asset_config``: {asset: {field: value}}. A failed range stops the command unless
    ``keep_going``; then the windows holding its days are left out. An interrupt at any
    moment (planning, a run created, a step, between runs) raises ``Interrupted`` after every
    run this process left unfinished is marked canceled."""
    instance = instance or _instance()
    if os.environ.get("NEWSCLUST_PAUSE_AT") == "run_created":   # the test hook (pause_point)
        create_run = instance.create_run_for_job

        def created_then_paused(*args, **kwargs):
            made = create_run(*args, **kwargs)
            pause_point("run_created")
            return made

        instance.create_run_for_job = created_then_paused
    try:
        return _run(first, last, windows, instance, resources, log, asset_config, maps, force, keep_going,
                    days_per_run, watch)
    except KeyboardInterrupt:
        signo = (watch.received() if watch else None) or signal.SIGINT
        raise Interrupted(signo, _cancel_own_runs(instance)) from None


def _run(first, last, windows, instance, resources, log, asset_config, maps, force, keep_going, days_per_run,
         watch) -> dict:
    from . import settings
    from .definitions import default_resources
    from .ingest.news_source import NewsSourceError
    from .partitions import LAST_DAY, WINDOW_DAYS, daily_partitions, window_bounds
    from .ranges import range_pickle_io_manager
    from .settings import data_dir
    from .vectors.milvus_store import day_number

    if settings.SOURCE_PROBLEM:   # nothing to plan from: one line, before any work
        raise NewsSourceError(settings.SOURCE_PROBLEM.split("; the partitions")[0])

    # Dagster's console log off: a failed step is reported as one line by attempt(), its full
    # error goes to a log file, and everything stays in the Dagster UI
    quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    asset_config = asset_config or {}
    windowed_config = {**quiet, "ops": {a: {"config": c} for a, c in asset_config.items() if c}}
    resources = {"io_manager": range_pickle_io_manager, **(resources or default_resources())}
    days = _select(daily_partitions.get_partition_keys(), first, last)
    window_days = days if windows == "all" else days[-1:]
    map_days = window_days if maps == "all" else ([] if maps == "none" else window_days[-1:])
    started = time.perf_counter()
    log(f"newsclust: {len(days)} days {days[0]}..{days[-1]}, windows of {WINDOW_DAYS} days, data in {data_dir()}, "
        f"DAGSTER_HOME={os.environ.get('DAGSTER_HOME', '(ephemeral)')}")
    pg_url = settings.dagster_pg_url()
    if pg_url and type(instance.run_storage).__name__ == "PostgresRunStorage":
        log(f"  Dagster storage: PostgreSQL ({settings.DAGSTER_PG_URL_VAR}) at {settings.pg_where(pg_url)}")
    every_day = daily_partitions.get_partition_keys()
    if every_day[-1] < LAST_DAY.isoformat():
        log(f"  note: the partitions end on {every_day[-1]}, the last complete day, not on {LAST_DAY} "
            "(NEWSCLUST_END_DATE or the source's last day is later): NEWSCLUST_END_DATE=today adds each day as it "
            "comes")
    sweep_orphans(instance, log)
    failures: list[StepFailed] = []

    def attempt(selection, chunk, config) -> bool:
        try:
            _materialize(selection, chunk, instance, resources, config, watch)
            return True
        except StepFailed as failure:
            failures.append(failure)
            log(f"  failed: {failure}")
            if not keep_going:
                raise
            return False

    todo, sizes, outside = plan_days(days, instance, resources, force, lookback=WINDOW_DAYS - 1,
                                     source_span=(every_day[0], every_day[-1]))
    if outside:
        reach = day_number(every_day[0]) - (WINDOW_DAYS - 1)
        seen = any(reach <= d < day_number(every_day[0]) for d in outside)
        log(f"  note: Milvus holds {sum(outside.values()):,} articles of {len(outside)} days outside the source's "
            f"{every_day[0]}..{every_day[-1]} ({_day_of(min(outside))}..{_day_of(max(outside))})"
            f"{'; the first windows reach back to some of them' if seen else ''}: newsclust prune --yes deletes them")
    if len(todo) < len(days):
        log(f"  {len(days) - len(todo)} of {len(days)} days already stored from the same articles: skipped "
            "(--force to redo)")
    progress = Progress(log, "days", len(todo), "articles", sum(sizes[k] for k in todo))
    pause_point("planned")
    for chunk in chunks(todo, sizes, days_per_run, DAY_CHUNK_ARTICLES):
        attempt(DAILY, chunk, quiet)
        progress.step(len(chunk), sum(sizes[k] for k in chunk))
    failed_days = {d for f in failures for d in f.days}
    log(f"  stored {len(todo) - len(failed_days)} days in {time.perf_counter() - started:.1f} s")

    to_cluster = plan_windows(window_days, WINDOW_DAYS, instance, asset_config, force)
    if len(to_cluster) < len(window_days):
        log(f"  {len(window_days) - len(to_cluster)} of {len(window_days)} windows already clustered from the same "
            "days and settings: skipped")
    window_rows, blocked = {}, []
    for key in to_cluster:
        lo, hi = window_bounds(key)
        span = [(lo + dt.timedelta(days=i)).isoformat() for i in range((hi - lo).days + 1)]
        if failed_days.intersection(span):
            blocked.append(key)
        window_rows[key] = sum(sizes.get(d, 0) for d in span)
    if blocked:
        log(f"  {len(blocked)} windows hold days that failed to store: not clustered")
        to_cluster = [k for k in to_cluster if k not in set(blocked)]
    progress = Progress(log, "windows", len(to_cluster), "article-windows", sum(window_rows[k] for k in to_cluster))
    for chunk in chunks(to_cluster, window_rows, WINDOW_CHUNK, WINDOW_CHUNK_ROWS):
        attempt(WINDOWED[:2], chunk, windowed_config)
        progress.step(len(chunk), sum(window_rows[k] for k in chunk))
    story_days = plan_stories(window_days, instance, force)
    if story_days:
        progress = Progress(log, "stories", len(story_days), "days", len(story_days))
        for chunk in chunks(story_days, {}, STORY_CHUNK, 0):
            attempt(STORIES[:1], chunk, windowed_config)
            progress.step(len(chunk), len(chunk))
    for asset, wanted in (("umap_plot", map_days), ("story_timeline", window_days[-1:])):
        made = latest_records(instance, asset, set(wanted))
        ready = latest_records(instance, "stories", set(wanted))
        stale = [k for k in wanted if k in ready and (k not in made or made[k][0] < ready[k][0]
                                                      or not Path(str(made[k][1].get("path", ""))).exists())]
        for chunk in chunks(stale, {}, WINDOW_CHUNK, 0):
            attempt([asset], chunk, windowed_config)
    labels = latest_records(instance, "cluster_labels", set(window_days))
    per_window = [{"partition": k, **{m: v for m, v in labels[k][1].items() if not isinstance(v, (dict, list))}}
                  for k in window_days if k in labels]
    summary = {"seconds": round(time.perf_counter() - started, 1), "days_stored": len(todo) - len(failed_days),
               "windows_clustered": len(to_cluster), "story_days": len(story_days), "windows": per_window,
               "failures": [str(f) for f in failures], "map": None}
    if window_days[-1] in labels:
        labels_md = labels[window_days[-1]][1]
        plot = latest_records(instance, "umap_plot", {window_days[-1]}).get(window_days[-1])
        summary.update({
            "window": labels_md["window"],
            "articles": labels_md["dagster/row_count"],
            "clusters": labels_md["clusters"],
            "noise_share": labels_md["noise_share"],
            "map": plot[1]["path"] if plot and map_days else None,
            "labels_csv": labels_md["labels_csv"],
        })
        for key in ("ari_all_vs_category", "nmi_all_vs_category"):
            if key in labels_md:
                summary[key.replace("_vs_category", "")] = labels_md[key]
    told = latest_records(instance, "stories", set(window_days))
    if told:
        summary["stories"] = {e: sum(int(md.get(e, 0)) for _, md in told.values())
                              for e in ("born", "continued", "merged", "split", "returned", "ended")}
        summary["stories"]["days"] = len(told)
        if window_days[-1] in told:
            last_md = told[window_days[-1]][1]
            summary["stories"].update(active=last_md.get("active", 0), stories_csv=last_md.get("stories_csv"))
        timeline = latest_records(instance, "story_timeline", set(window_days[-1:])).get(window_days[-1])
        summary["timeline"] = timeline[1]["path"] if timeline else None
    return summary


def format_summary(s: dict) -> str:
    if "window" not in s:
        return f"no window clustered (this command took {s['seconds']} s after loading)"
    line = (f"{s['articles']} articles, {s['clusters']} clusters, {s['noise_share']:.0%} noise "
            f"(window {s['window']}; this command took {s['seconds']} s after loading)")
    if "ari_all" in s:
        line += f", ARI {s['ari_all']:.3f} / NMI {s['nmi_all']:.3f} vs category"
    if s.get("stories"):
        t = s["stories"]
        line += (f"\nstories over {t['days']} days: {t['born']} born, {t['merged']} merged, {t['split']} split, "
                 f"{t['returned']} returned, {t['ended']} ended; {t.get('active', 0)} active on the last day")
    return line


CLUSTER_OPTIONS = {  # CLI option -> cluster_labels config field
    "algorithm": str, "similarity_threshold": float, "lexical_weight": float, "time_weight": float,
    "time_scale": float, "day_cap": float, "word_veto": float, "min_cluster_size": int, "attach_similarity": float,
}
TIME_OPTIONS = ("time_weight", "time_scale", "day_cap")  # the time rule: the clustering's and the tracker's


def load_asset_config(path: str | None, args: argparse.Namespace, validate: bool = True) -> dict:
    """{asset: {field: value}} from a JSON or YAML file, then the clustering options on top.
    The file holds asset names as keys, e.g. ``{"cluster_labels": {"similarity_threshold": 0.35}}``."""
    config: dict = {}
    if path:
        p = Path(path)
        if not p.is_file():
            raise SystemExit(f"newsclust: config file not found: {p}")
        text = p.read_text()
        try:
            if p.suffix.lower() in (".yaml", ".yml"):
                import yaml

                config = yaml.safe_load(text) or {}
            else:
                config = json.loads(text)
        except Exception as exc:  # noqa: BLE001 - one line for any parse error
            raise SystemExit(f"newsclust: cannot read config file {p}: {exc}") from None
        known = set(WINDOWED) | set(STORIES)
        if not isinstance(config, dict) or not set(config) <= known:
            raise SystemExit(f"newsclust: config file {p} must map asset names {sorted(known)} to their settings")
    cluster = dict(config.get("cluster_labels") or {})
    for option in CLUSTER_OPTIONS:
        value = getattr(args, option, None)
        if value is not None:
            cluster[option] = value
    if getattr(args, "label_field", None):
        cluster["story_field"] = args.label_field
    if cluster:
        config["cluster_labels"] = cluster
    shared = {k: cluster[k] for k in TIME_OPTIONS if k in cluster}
    if shared:   # one time rule: the tracker follows the clustering's unless the file sets its own
        config["stories"] = {**shared, **(config.get("stories") or {})}
    if validate:   # evaluate validates once it has pointed the code location at its file
        validate_asset_config(config)
    return config


def _config_classes() -> dict:
    from .assets.clusters import ClusterConfig
    from .assets.knn import KnnConfig
    from .assets.plot import PlotConfig
    from .assets.stories import StoriesConfig, TimelineConfig

    return {"knn_distances": KnnConfig, "cluster_labels": ClusterConfig, "umap_plot": PlotConfig,
            "stories": StoriesConfig, "story_timeline": TimelineConfig}


def validate_asset_config(config: dict) -> None:
    """Every asset setting checked before any work: an unknown field, a wrong type or a value
    out of range is one line naming the asset and the field (SystemExit)."""
    import pydantic

    for asset, values in config.items():
        cls = _config_classes()[asset]
        if not isinstance(values, dict):
            raise SystemExit(f"newsclust: the settings of {asset} must be a mapping of field: value")
        unknown = sorted(set(values) - set(cls.model_fields))
        if unknown:
            raise SystemExit(f"newsclust: {asset} has no setting {unknown[0]!r} (its settings: "
                             f"{', '.join(sorted(cls.model_fields))})")
        try:
            made = cls(**values)
        except pydantic.ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(x) for x in err.get("loc", ())) or "?"
            raise SystemExit(f"newsclust: {asset}.{field}: {err.get('msg')} (got {err.get('input')!r})") from None
        except Exception as exc:  # noqa: BLE001 - any other refusal: one line
            raise SystemExit(f"newsclust: {asset}: {exc}") from None
        check = getattr(made, "settings", None) or getattr(made, "check_values", None)
        if check is not None:
            try:
                check()
            except ValueError as exc:
                raise SystemExit(f"newsclust: {asset}: {exc}") from None


def day_arg(value: str) -> str:
    """An argparse type: a calendar date as YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date as YYYY-MM-DD") from None


def _add_cluster_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="JSON or YAML file of asset settings, e.g. {cluster_labels: {similarity_threshold: 0.35}}")
    p.add_argument("--algorithm", choices=["average_linkage", "umap_hdbscan"], help="clustering algorithm")
    p.add_argument("--similarity-threshold", type=float, dest="similarity_threshold",
                   help="mean cosine similarity at which two groups of articles still merge (default 0.3)")
    p.add_argument("--lexical-weight", type=float, dest="lexical_weight",
                   help="weight of TF-IDF cosine blended into the similarity, 0..1 (default 0)")
    p.add_argument("--time-weight", type=float, dest="time_weight",
                   help="similarity two groups lose when far apart in news time, 0..1; 0 = off (default 0.4)")
    p.add_argument("--time-scale", type=float, dest="time_scale",
                   help="news-time gap of the full loss, in articles published between (default 300)")
    p.add_argument("--day-cap", type=float, dest="day_cap",
                   help="a day counts as at most this many articles of news time, so that a dense stream's "
                        "stories may run over days; 0 = no cap (default 60)")
    p.add_argument("--word-veto", type=float, dest="word_veto",
                   help="groups of 5+ articles whose TF-IDF centroids' cosine is below this never merge; "
                        "0 = off (default 0.1)")
    p.add_argument("--min-cluster-size", type=int, dest="min_cluster_size", help="smaller groups are noise (default 2)")
    p.add_argument("--attach-similarity", type=float, dest="attach_similarity",
                   help="centroid cosine at which a noise article joins a cluster; 0 = off (default 0.5)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="newsclust", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="materialize all assets over day partitions (default: all of them)")
    p.add_argument("--first", type=day_arg, help="first day partition (YYYY-MM-DD)")
    p.add_argument("--last", type=day_arg, help="last day partition (YYYY-MM-DD)")
    p.add_argument("--windows", choices=["all", "last"], default="all",
                   help="cluster and map every day's window, or only the last day's")
    p.add_argument("--maps", choices=["last", "all", "none"], default="last",
                   help="draw the last day's map (default), every window's, or none")
    p.add_argument("--force", action="store_true",
                   help="redo every day and window, even those already materialized from the same input")
    p.add_argument("--keep-going", action="store_true",
                   help="after a failed range, go on with the others (windows holding its days are left out)")
    p.add_argument("--days-per-run", type=int, default=DAY_CHUNK_DAYS,
                   help=f"at most this many days per Dagster run of the daily assets (default {DAY_CHUNK_DAYS})")
    p.add_argument("--json", help="also write the summary as JSON to this file")
    _add_cluster_options(p)
    e = sub.add_parser("evaluate", help="run the whole graph on a story-labelled file and score the clusters",
                       description=evaluate_doc())
    e.add_argument("file", help="labelled news file (.jsonl/.json/.csv) with a story field")
    e.add_argument("--label-field", default="story", help="field holding each article's story (default: story)")
    e.add_argument("--window-days", type=int,
                   help="days per window (default: the file's whole span, i.e. one window over everything)")
    e.add_argument("--windows", choices=["all", "last"], default="last",
                   help="score every day's window, or only the last day's (default)")
    e.add_argument("--data-dir", help="keep Milvus Lite, maps and labels here (default: a temporary directory)")
    e.add_argument("--json", help="also write the scores as JSON to this file")
    _add_cluster_options(e)
    q = sub.add_parser("story-search", help="the stories nearest to a text, from the story store in Milvus",
                       description="Embed TEXT with the configured model and list the nearest stories ever "
                                   "tracked (the story store beside the articles in Milvus, as newsclust run "
                                   "left it), with their similarity, size and days.")
    q.add_argument("text", help="a headline or any text")
    q.add_argument("--top", type=int, default=5, help="how many stories (default 5)")
    x = sub.add_parser("prune", help="delete stored articles of days the source no longer holds",
                       description="Delete from Milvus the articles (and story-store rows) of every day outside "
                                   "the source's range, e.g. after NEWSCLUST_SOURCE was replaced by a file of other "
                                   "days. Without --yes it only says what it would delete.")
    x.add_argument("--yes", action="store_true", help="delete them (default: only say how many)")
    args = parser.parse_args(argv)
    asset_config = load_asset_config(getattr(args, "config", None), args, validate=args.command != "evaluate")
    if getattr(args, "json", None):
        _check_writable(parser, args.json)
    if args.command == "evaluate":
        from .evaluation.evaluate import evaluate

        try:
            return evaluate(args.file, args.label_field, args.window_days, args.windows, args.data_dir, args.json,
                            asset_config)
        except StepFailed as failure:
            print(f"newsclust evaluate: stopped: {failure}", file=sys.stderr)
            return 1
        except Interrupted as stop:
            print(f"newsclust evaluate: stopped by {stop}", file=sys.stderr)
            return 128 + stop.signo
        except KeyboardInterrupt:
            print("newsclust evaluate: stopped by SIGINT", file=sys.stderr)
            return 128 + signal.SIGINT
        except SystemExit:
            raise
        except Exception as exc:  # noqa: BLE001 - one line; the traceback goes to a log file
            return _one_line_error("newsclust evaluate", exc)
    if args.command == "story-search":
        return story_search(args.text, args.top)
    if args.command == "prune":
        return prune(args.yes)
    if args.days_per_run < 1:
        parser.error("--days-per-run must be at least 1")
    watch = SignalWatch()
    try:
        summary = run(args.first, args.last, args.windows, asset_config=asset_config, maps=args.maps,
                      force=args.force, keep_going=args.keep_going, days_per_run=args.days_per_run, watch=watch)
    except StepFailed as failure:
        print(f"newsclust: stopped: {failure}. Fix the cause and re-run to resume (--keep-going to carry on "
              "past failed ranges).", file=sys.stderr)
        return 1
    except Interrupted as stop:
        said = ("the interrupted run is marked canceled" if stop.canceled else
                "no run was left unfinished")
        print(f"newsclust: stopped by {stop}; {said}. Re-run to resume where it stopped.", file=sys.stderr)
        return 128 + stop.signo
    except KeyboardInterrupt:   # before any run could start (loading the code location)
        signo = watch.received() or signal.SIGINT
        print(f"newsclust: stopped by {signal.Signals(signo).name}; no run was started. Re-run to resume.",
              file=sys.stderr)
        return 128 + signo
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - a user sees one line; the traceback goes to a log file
        return _one_line_error("newsclust", exc)
    finally:
        watch.close()
    if summary["map"]:
        print(f"map: {summary['map']}")
    if summary.get("labels_csv"):
        print(f"labels: {summary['labels_csv']}")
    if summary.get("timeline"):
        print(f"timeline: {summary['timeline']}")
    print(f"summary: {format_summary(summary)}")
    print(f"open it in the Dagster UI: {ui_command()} (in the repo: make dev), then http://127.0.0.1:3000")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))
    if summary["failures"]:
        print(f"newsclust: {len(summary['failures'])} range(s) failed:", file=sys.stderr)
        for line in summary["failures"]:
            print(f"  {line}", file=sys.stderr)
        return 1
    return 0


def story_search(text: str, top: int = 5) -> int:
    """``newsclust story-search TEXT``: print the nearest stories of the story store."""
    from .definitions import default_resources
    from .stories import story_memory

    try:
        resources = default_resources()
        milvus = resolved(resources["milvus"])
        vector = resolved(resources["embedder"]).embed([text]).vectors[0]
        name = story_memory.collection_for(milvus.collection_name)
        with milvus.client() as client:
            if not client.has_collection(name):
                print(f"newsclust story-search: no story store in {milvus.display_uri} yet (collection {name}): "
                      "run newsclust run first", file=sys.stderr)
                return 1
            client.load_collection(name)
            hits = story_memory.search(client, name, vector, top)
    except (SystemExit, KeyboardInterrupt):
        raise
    except Exception as exc:  # noqa: BLE001 - one line
        return _one_line_error("newsclust story-search", exc)
    if not hits:
        print("no story in the store yet")
    for h in hits:
        print(f"{h['story']}  cosine {h['similarity']:.3f}  {h['members']} articles  {h['born']}..{h['last_seen']} "
              f"({h['status']})  {h['name']}")
    return 0


def ui_command() -> str:
    """The ``dagster dev`` command that shows this command's data from any directory: absolute
    paths, the code location by module name, and the same NEWSCLUST_ settings (never a
    secret: tokens, keys and URLs with credentials, such as NEWSCLUST_DAGSTER_PG_URL's, are
    left for the user's own environment)."""
    import shlex

    from .settings import data_dir

    env = {"DAGSTER_HOME": os.environ.get("DAGSTER_HOME", ""), "NEWSCLUST_DATA_DIR": str(data_dir())}
    env.update({k: v for k, v in sorted(os.environ.items()) if k.startswith("NEWSCLUST_")
                and not any(s in k for s in ("TOKEN", "KEY", "SECRET", "PASSWORD")) and k != "NEWSCLUST_DATA_DIR"
                and not re.search(r"://[^/@\s]*@", v)})   # nor a URL with a user or password in it
    for k in ("NEWSCLUST_SOURCE",):
        if env.get(k):
            env[k] = str(Path(env[k]).absolute())
    dagster = Path(sys.executable).parent / "dagster"
    return " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items() if v) + f" {dagster} dev -m newsclust_assets.definitions"


def _one_line_error(prog: str, exc: BaseException) -> int:
    """Print ``prog: <what went wrong>`` and where the whole traceback was written; exit code 1."""
    import traceback

    from .ingest.news_source import NewsSourceError

    message = _first_line_of(exc)
    full = _disk_full(exc)
    if full is not None:
        print(f"{prog}: no space left on {full}: free space (or point NEWSCLUST_DATA_DIR elsewhere) and re-run; "
              "what was stored is kept, and a re-run stores every article once.", file=sys.stderr)
        return 1
    if isinstance(exc, (NewsSourceError, ValueError)):   # a user's input: the message is the whole story
        print(f"{prog}: {message}", file=sys.stderr)
        return 1
    try:
        path = _log_dir() / f"error_{dt.datetime.now():%Y%m%d-%H%M%S}_{os.getpid()}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(traceback.format_exception(exc)))
        where = f" (full error: {path})"
    except OSError:
        where = ""
    print(f"{prog}: {type(exc).__name__}: {message}{where}", file=sys.stderr)
    return 1


_FULL_DISK = ("database or disk is full", "no space left on device", "disk i/o error")


def _disk_full(exc: BaseException) -> str | None:
    """Where the disk ran full, when that is what ``exc`` (or an exception it came from) says:
    errno 28 from any write, or SQLite's words for it in the Dagster home."""
    from .settings import data_dir

    for e in _exception_chain(exc):
        if isinstance(e, OSError) and e.errno == 28:
            return str(e.filename or data_dir())
        if any(words in str(e).lower() for words in _FULL_DISK):
            return str(data_dir())
    return None


def _check_writable(parser: argparse.ArgumentParser, path: str) -> None:
    target = Path(path)
    if target.is_dir():
        parser.error(f"--json {path} is a directory: give a file name")
    if not target.absolute().parent.is_dir():
        parser.error(f"--json {path}: the directory {target.absolute().parent} does not exist")


def evaluate_doc() -> str:
    from .evaluation.evaluate import __doc__ as doc

    return doc


if __name__ == "__main__":
    # `python -m newsclust_assets.cli`: run the imported module's main, so that this file is
    # one module (its exception classes are the ones evaluate.py and the tests import)
    from newsclust_assets.cli import main as _main

    sys.exit(_main())
