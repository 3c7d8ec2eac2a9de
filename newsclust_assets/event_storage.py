"""Dagster's SQLite event log, with one SQLAlchemy engine and one open connection per
database file and thread, kept for the life of the process.

Dagster's ``SqliteEventLogStorage`` builds a new engine and opens a new connection for
every read or write. A range run records about six events per day partition (each asset
gets a planned and a materialized event), and with 366 days the stock storage spent 30 of
the run's 47 s compiling SQL anew and opening and closing SQLite files; this one ran the
same run in 18 s. The files, tables, transactions and journal mode are Dagster's own
(each write still commits at once), so ``dagster dev``, the daemon and a plain Dagster
installation read and write the same history. ``newsclust run`` names this class in the
dagster.yaml of the Dagster home it creates (``dagster_home_yaml``); an existing
dagster.yaml is left alone.

It also records one "materialization planned" event per asset and run, naming the run's range
of days, where the stock SQLite storage records one per asset and *day*: a range run of a year
wrote 1,098 such events before doing any work, and a sparse 5-year stream spent 13 of its 51 s
of storing on them. Dagster's own PostgreSQL storage does the same when
``DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS=true`` is set; setting it to ``false`` turns
it off here too. Dagster's caveat: the days of a run that fails are then shown as missing
rather than failed in the UI (``newsclust run`` names them, and a re-run redoes them).
"""

from __future__ import annotations

import os
from contextlib import contextmanager

from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
    create_engine,
)
from sqlalchemy.pool import SingletonThreadPool

PLANNED_SUBSET_VAR = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"  # Dagster's own switch
# Dagster's own switch for storing a step's asset events in batches (``store_event_batch``):
# read by Dagster at each event, off (0) unless set
EVENT_BATCH_VAR = "DAGSTER_EVENT_BATCH_SIZE"
EVENT_BATCH_SIZE = 1000
MAX_ENGINES = 64  # run shards are one file per run: keep the most recent ones


# The first line of a dagster.yaml newsclust manages: it rewrites such a file when the storage
# choice changes; without this line a dagster.yaml is the user's own and left alone.
MANAGED = "# written by newsclust: delete this line to keep your own edits\n"
POSTGRES_STORAGE = "storage:\n  postgres:\n    postgres_url:\n      env: NEWSCLUST_DAGSTER_PG_URL\n"


def enable_event_batches() -> None:
    """Let Dagster hand a step's materializations to the storage in batches (this module's
    ``store_event_batch``; Dagster's PostgreSQL storage has its own): a range run records one
    materialization per day and asset, and one at a time cost ~1.5 ms more each. Called where a
    process starts running newsclust's assets (``newsclust run``, the code location's
    ``defs()``, so ``dagster dev``, the daemon and its run workers); a value already set in the
    environment is kept (``DAGSTER_EVENT_BATCH_SIZE=0`` turns batches off)."""
    os.environ.setdefault(EVENT_BATCH_VAR, str(EVENT_BATCH_SIZE))


def dagster_home_yaml(home: str, postgres: bool = False, max_runs: int = 2) -> str:
    """The dagster.yaml newsclust writes into a Dagster home it creates: no telemetry, at most
    ``max_runs`` runs at once (NEWSCLUST_MAX_CONCURRENT_RUNS), and either this module's SQLite event log storage (the default) or
    Dagster's PostgreSQL storage for runs, events and schedules, its URL read by Dagster from
    $NEWSCLUST_DAGSTER_PG_URL (``postgres``)."""
    common = (
        MANAGED + "telemetry:\n  enabled: false\n"  # local runs: no usage statistics (and no network here)
        # steps log through Dagster's event log; mirroring their stdout to files spawns a tail and
        # a watcher process per stream and step, which print tracebacks when Ctrl-C reaches them
        "compute_logs:\n  module: dagster._core.storage.noop_compute_log_manager\n"
        "  class: NoOpComputeLogManager\n"
        # a UI backfill of years queues a run per range: two at a time by default (each loads
        # the model; on Milvus Lite they take turns on its lock anyway), not Dagster's 10; a
        # queued run starts within a second of a slot freeing, not five (a backfill's runs wait
        # on each other: windows on their days, stories on the day before)
        "run_coordinator:\n  module: dagster.core.run_coordinator\n  class: QueuedRunCoordinator\n"
        f"  config:\n    max_concurrent_runs: {int(max_runs)}\n    dequeue_interval_seconds: 1\n"
    )
    if postgres:
        return common + POSTGRES_STORAGE
    return (
        common + "event_log_storage:\n"
        f"  module: {__name__}\n"
        "  class: CachedEngineSqliteEventLogStorage\n"
        "  config:\n"
        f"    base_dir: {os.path.join(os.path.abspath(home), 'history', 'runs')}\n"
    )


class CachedEngineSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` that reuses one engine per shard (see the module docstring)."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: dict[str, object] = {}
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, **config_value)

    @property
    def supports_partition_subset_in_asset_materialization_planned_events(self) -> bool:
        return os.getenv(PLANNED_SUBSET_VAR, "true").strip().lower() not in ("false", "0", "no")

    def _engine(self, shard: str):
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                poolclass=SingletonThreadPool,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
            )
            while len(self._engines) >= MAX_ENGINES:
                oldest = next(iter(self._engines))
                self._engines.pop(oldest).dispose()
        self._engines[shard] = engine  # most recently used last
        return engine

    @contextmanager
    def _connect(self, shard: str):
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def store_event_batch(self, events) -> None:
        """A step's materializations of many day partitions, as Dagster hands them over when
        ``DAGSTER_EVENT_BATCH_SIZE`` is above 0 (``newsclust run`` sets it): each is stored as
        ``store_event`` stores it (the run's file, then the index with its tags and the asset's
        latest event), in one transaction per file instead of three per event, as Dagster's
        PostgreSQL storage does. Anything else is stored event by event."""
        from dagster import DagsterEventType

        if not events or {e.dagster_event_type for e in events} != {DagsterEventType.ASSET_MATERIALIZATION}:
            return super().store_event_batch(events)
        if len({e.run_id for e in events}) != 1:
            return super().store_event_batch(events)
        inserts = [self.prepare_insert_event(e) for e in events]
        with self.run_connection(events[0].run_id) as conn:
            for insert in inserts:
                conn.execute(insert)
        with self.index_transaction() as conn:
            ids = [conn.execute(insert).inserted_primary_key[0] for insert in inserts]
            self._store_asset_event_tags(conn, events, ids)
            latest = {e.dagster_event.asset_key: (e, i) for e, i in zip(events, ids)}  # the last of each asset
            for event, event_id in latest.values():
                self._store_asset_event(conn, event, event_id)

    def dispose(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()
        super().dispose()
