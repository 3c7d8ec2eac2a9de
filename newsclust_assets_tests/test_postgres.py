"""Dagster on PostgreSQL, the production profile: ``NEWSCLUST_DAGSTER_PG_URL`` set, and the
Dagster home newsclust writes keeps its runs, events and schedules in that database (the URL,
password and all, is read from the environment by Dagster; it is written nowhere). Against a
real PostgreSQL 15 started for the test."""

import os
import subprocess
import sys

import dagster as dg
import pytest

from newsclust_assets.resources import MilvusResource

from .conftest import REPO, sample_rows, stored_rows, write_jsonl
from .servers import PASSWORD, PostgresServer


@pytest.fixture
def postgres():
    server = PostgresServer().start()
    yield server
    server.remove()


def newsclust(tmp, env, *args):
    full_env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "CI")}
    full_env.update({"NEWSCLUST_DATA_DIR": str(tmp), "PYTHONWARNINGS": "ignore", **env})
    return subprocess.run(
        [sys.executable, "-m", "newsclust_assets.cli", *args],
        cwd=REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_newsclust_run_keeps_its_history_in_postgres(tmp_path, postgres, monkeypatch):
    rows = sample_rows("2024-03-01", "2024-03-04")
    source = write_jsonl(tmp_path / "news.jsonl", rows)
    env = {"NEWSCLUST_SOURCE": str(source), "NEWSCLUST_DAGSTER_PG_URL": postgres.url}
    first = newsclust(tmp_path, env, "run", "--windows", "last", "--maps", "none", "--days-per-run", "2")
    assert first.returncode == 0, first.stderr[-3000:]
    assert "Dagster storage: PostgreSQL (NEWSCLUST_DAGSTER_PG_URL)" in first.stdout
    home = tmp_path / "dagster_home"
    config = (home / "dagster.yaml").read_text()
    assert "env: NEWSCLUST_DAGSTER_PG_URL" in config
    for text in (config, first.stdout, first.stderr):
        assert PASSWORD not in text
    assert not list(home.rglob("*.db"))  # no SQLite storage beside it

    monkeypatch.setenv("NEWSCLUST_DAGSTER_PG_URL", postgres.url)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        runs = instance.get_runs()
        assert runs and {r.status for r in runs} == {dg.DagsterRunStatus.SUCCESS}
        assert instance.get_materialized_partitions(dg.AssetKey("milvus_collection")) == {
            "2024-03-01",
            "2024-03-02",
            "2024-03-03",
            "2024-03-04",
        }
        first_runs = len(runs)

    again = newsclust(tmp_path, env, "run", "--windows", "last", "--maps", "none")  # planning reads Postgres
    assert again.returncode == 0, again.stderr[-3000:]
    assert "already stored from the same articles: skipped" in again.stdout
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert len(instance.get_runs()) == first_runs  # everything was found done in Postgres: no new run
    stored = stored_rows(MilvusResource(uri=str(tmp_path / "milvus.db")))
    assert len(stored) == stored["id"].nunique() == len(rows)

    # the same home without the variable: one line saying what is missing, no traceback
    monkeypatch.delenv("NEWSCLUST_DAGSTER_PG_URL")
    missing = newsclust(tmp_path, {"NEWSCLUST_SOURCE": str(source)}, "run", "--windows", "last", "--maps", "none")
    assert missing.returncode != 0 and "Traceback" not in missing.stdout + missing.stderr
    assert "NEWSCLUST_DAGSTER_PG_URL" in missing.stderr and len(missing.stderr.strip().splitlines()) == 1


def test_postgres_down_is_one_line(tmp_path, postgres):
    source = write_jsonl(tmp_path / "news.jsonl", sample_rows("2024-03-01", "2024-03-01"))
    postgres.stop()
    env = {"NEWSCLUST_SOURCE": str(source), "NEWSCLUST_DAGSTER_PG_URL": postgres.url}
    down = newsclust(tmp_path, env, "run", "--windows", "last", "--maps", "none")
    assert down.returncode != 0 and "Traceback" not in down.stdout + down.stderr, down.stderr[-3000:]
    assert f"cannot reach the Dagster PostgreSQL database at 127.0.0.1:{postgres.port}" in down.stderr
    assert PASSWORD not in down.stdout + down.stderr
