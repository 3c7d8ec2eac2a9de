"""The persistent Dagster instance newsclust runs against: ``$DAGSTER_HOME``, or
``NEWSCLUST_DATA_DIR/dagster_home`` with newsclust's dagster.yaml (``event_storage.py``)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from .failures import first_line, is_connection_error


def dagster_home(home: Path | None = None) -> Path:
    """``home``, else $DAGSTER_HOME, else NEWSCLUST_DATA_DIR/dagster_home (then set as
    $DAGSTER_HOME), with newsclust's dagster.yaml written if it has none (see event_storage.py)."""
    from ..event_storage import MANAGED, POSTGRES_STORAGE, dagster_home_yaml
    from ..settings import DAGSTER_PG_URL_VAR, dagster_pg_url, data_dir, max_concurrent_runs

    if home is None:
        if not os.environ.get("DAGSTER_HOME"):
            os.environ["DAGSTER_HOME"] = str(data_dir() / "dagster_home")
        home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    written = config.read_text() if config.exists() else None
    postgres = dagster_pg_url() is not None
    if written is not None and POSTGRES_STORAGE in written and not postgres:
        raise ValueError(
            f"the Dagster home {home} keeps its runs in PostgreSQL, but {DAGSTER_PG_URL_VAR} is not "
            f"set: set it, or use another NEWSCLUST_DATA_DIR or DAGSTER_HOME for SQLite"
        )
    wanted = dagster_home_yaml(str(home), postgres, max_concurrent_runs())
    earlier = written is not None and "CachedEngineSqliteEventLogStorage" in written and "compute_logs:" not in written
    if written is None or earlier or (written.startswith(MANAGED) and written != wanted):
        config.write_text(wanted)  # new, earlier newsclust's, or newsclust's own with other settings now
    return home


@contextlib.contextmanager
def file_lock(path: Path):
    import fcntl

    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def open_instance(home: Path | None = None):
    """The persistent Dagster instance (in ``home``, default as ``dagster_home`` says). Its SQLite storages are created (and their schema
    versions stamped) under a file lock: two processes initialising a fresh Dagster home at
    once could otherwise leave two alembic heads, after which every run fails."""
    import dagster as dg

    from ..settings import DAGSTER_PG_URL_VAR, dagster_pg_url, pg_where

    home = dagster_home(home)
    with file_lock(home / ".newsclust-init.lock"):
        try:
            instance = dg.DagsterInstance.from_config(str(home))
            for storage in (instance.run_storage, instance.event_log_storage, instance.schedule_storage):
                assert storage is not None
            instance.get_runs(limit=1)
        except Exception as exc:
            url = dagster_pg_url()
            if url is None or not is_connection_error(exc):
                raise
            raise ValueError(
                f"cannot reach the Dagster PostgreSQL database at {pg_where(url)} "
                f"({DAGSTER_PG_URL_VAR}): {first_line(exc)}"
            ) from None
    return instance
