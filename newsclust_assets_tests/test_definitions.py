import json
import os
import pathlib
import subprocess
import sys

import dagster as dg
import pytest

from newsclust_assets.definitions import defs
from newsclust_assets.settings import SAMPLE_PATH

from .conftest import CALENDAR, REPO

DEFS = defs()  # what Dagster loads: the dagster.definitions function, called

ASSETS = [
    "raw_news",
    "embeddings",
    "milvus_collection",
    "knn_distances",
    "cluster_labels",
    "stories",
    "umap_plot",
    "story_timeline",
]


def test_eight_assets_in_lineage_order_with_checks():
    graph = DEFS.resolve_asset_graph()
    keys = {k.path[-1] for k in graph.get_all_asset_keys()}
    assert keys == set(ASSETS)
    parents = {a: {p.path[-1] for p in graph.get(dg.AssetKey(a)).parent_keys} for a in ASSETS}
    assert parents == {
        "raw_news": set(),
        "embeddings": {"raw_news"},
        "milvus_collection": {"embeddings"},
        "knn_distances": {"milvus_collection"},
        "cluster_labels": {"knn_distances"},
        "stories": {"knn_distances", "cluster_labels", "stories"},
        "umap_plot": {"knn_distances", "cluster_labels", "stories"},
        "story_timeline": {"stories"},
    }
    checks = {(k.asset_key.path[-1], k.name) for k in graph.asset_check_keys}
    assert checks == {
        ("embeddings", "dimension_matches_collection"),
        ("milvus_collection", "no_duplicate_ids_for_day"),
        ("cluster_labels", "every_article_labelled"),
        ("cluster_labels", "noise_share_below_bound"),
        ("stories", "story_ids_stable"),
    }
    assert set(DEFS.resources) == {
        "news_source",
        "embedder",
        "milvus",
        "maps",
        "labels_export",
        "story_store",
        "story_namer",
        "io_manager",
    }


def test_stories_take_their_own_previous_day():
    graph = DEFS.resolve_asset_graph()
    stories = graph.get(dg.AssetKey("stories"))
    mapping = stories.assets_def.get_partition_mapping(dg.AssetKey("stories"))
    assert isinstance(mapping, dg.TimeWindowPartitionMapping)
    assert (mapping.start_offset, mapping.end_offset) == (-1, -1)


def test_the_map_and_the_timeline_are_one_value_each_fed_by_every_day():
    """umap_plot and story_timeline have no day partitions (the UI shows them materialized once
    drawn); every day of their parents is mapped to them, read on demand."""
    graph = DEFS.resolve_asset_graph()
    for asset, parents in (
        ("umap_plot", ("knn_distances", "cluster_labels", "stories")),
        ("story_timeline", ("stories",)),
    ):
        node = graph.get(dg.AssetKey(asset))
        assert node.partitions_def is None
        for parent in parents:
            assert isinstance(node.assets_def.get_partition_mapping(dg.AssetKey(parent)), dg.AllPartitionMapping)
    for asset in ("raw_news", "knn_distances", "stories"):
        assert graph.get(dg.AssetKey(asset)).partitions_def == CALENDAR.daily


def test_window_mapping_covers_the_window_days():
    graph = DEFS.resolve_asset_graph()
    mapping = graph.get(dg.AssetKey("knn_distances")).assets_def.get_partition_mapping(dg.AssetKey("milvus_collection"))
    assert mapping == CALENDAR.window_mapping
    assert mapping.start_offset == -29 and mapping.end_offset == 0


def test_backfill_runs_are_sized_from_the_source(monkeypatch):
    """A UI backfill's runs: daily assets about BACKFILL_RUN_ARTICLES articles a run, windows
    about WINDOW_RUN_ROWS rows (both at most RUN_DAYS_MAX days), stories STORY_RUN_ROWS rows
    (no cap in days), each at least one day; NEWSCLUST_BACKFILL_DAYS sets one size for all; an unreadable source
    gives DEFAULT_BACKFILL_DAYS. The built assets carry them."""
    import datetime as dt

    from newsclust_assets.partitions import Calendar, calendar_from_env
    from newsclust_assets.settings import DEFAULT_BACKFILL_DAYS

    def sizes(**kw):
        c = Calendar(dt.date(2020, 1, 1), dt.date(2024, 12, 31), 30, **kw)
        return c.daily_run_days, c.window_run_days, c.stories_backfill.max_partitions_per_run, c.sensor_run_days

    assert sizes(articles_per_day=6.2) == (366, 161, 3225, 161)  # the HuffPost history: 5 + 10 + 1 runs
    assert sizes(articles_per_day=2122.0) == (3, 1, 9, 1)  # UCI's density: 6,366 articles a daily run
    assert sizes(articles_per_day=100_000.0) == (1, 1, 1, 1)  # never below a day
    assert sizes(articles_per_day=6.2, backfill_days=3) == (3, 3, 3, 3)
    assert sizes() == (DEFAULT_BACKFILL_DAYS,) * 4
    monkeypatch.setenv("NEWSCLUST_BACKFILL_DAYS", "0")
    with pytest.raises(ValueError, match="NEWSCLUST_BACKFILL_DAYS must be at least 1"):
        calendar_from_env()
    graph = DEFS.resolve_asset_graph()
    per_run = {a: graph.get(dg.AssetKey(a)).backfill_policy.max_partitions_per_run for a in ASSETS[:6]}
    assert per_run == {
        **dict.fromkeys(["raw_news", "embeddings", "milvus_collection"], CALENDAR.daily_run_days),
        **dict.fromkeys(["knn_distances", "cluster_labels"], CALENDAR.window_run_days),
        "stories": CALENDAR.stories_backfill.max_partitions_per_run,
    }


def test_importing_any_module_reads_nothing_and_writes_nothing(tmp_path):
    """No work at import: every module of the package imports without reading the news source
    or writing anything (the range record, a data directory); the calendar is read when
    Dagster calls ``defs``."""
    code = """
import importlib, json, os, pkgutil, sys
import newsclust_assets
from newsclust_assets.ingest import news_source
names = [m.name for m in pkgutil.walk_packages(newsclust_assets.__path__, "newsclust_assets.")]
for name in names:
    if not name.endswith("milvus_standalone_launch"):  # the server's launcher: run in the server's own venv
        importlib.import_module(name)
imported = {"modules": len(names), "reads": len(news_source._CACHE), "data_dir": os.path.exists(sys.argv[1])}
from newsclust_assets.definitions import defs
keys = defs().resolve_asset_graph().get(newsclust_assets.definitions.dg.AssetKey("raw_news")).partitions_def
keys = keys.get_partition_keys()
loaded = {"reads": len(news_source._CACHE), "data_dir": os.path.exists(sys.argv[1]), "days": [keys[0], keys[-1]]}
print(json.dumps({"imported": imported, "loaded": loaded}))
"""
    data = tmp_path / "data"
    env = {**os.environ, "NEWSCLUST_SOURCE": str(SAMPLE_PATH), "NEWSCLUST_DATA_DIR": str(data)}
    for var in ("NEWSCLUST_START_DATE", "NEWSCLUST_END_DATE", "DAGSTER_HOME"):
        env.pop(var, None)
    proc = subprocess.run(
        [sys.executable, "-c", code, str(data)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["imported"]["modules"] > 60
    assert out["imported"]["reads"] == 0 and not out["imported"]["data_dir"]
    assert not (tmp_path / "newsclust_data").exists()
    # loading the code location reads the source once and records its range
    assert out["loaded"] == {"reads": 1, "data_dir": True, "days": ["2024-03-01", "2024-03-14"]}
    assert (data / "partition_range.json").exists()


def test_dagster_loads_the_workspace_code_location():
    env = {**os.environ, "DAGSTER_HOME": str(REPO / ".pytest_cache")}
    os.makedirs(env["DAGSTER_HOME"], exist_ok=True)
    proc = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Validation successful" in proc.stdout + proc.stderr


def test_production_resources_come_from_the_environment(monkeypatch):
    from newsclust_assets.environment import embedder_from_env, milvus_from_env
    from newsclust_assets.resources import LocalEmbeddingResource, OpenAIEmbeddingResource

    assert isinstance(embedder_from_env(), LocalEmbeddingResource)
    assert milvus_from_env().uri.endswith("milvus.db")
    monkeypatch.setenv("NEWSCLUST_EMBEDDING_BASE_URL", "http://gpu-box:8000/v1")
    with pytest.raises(ValueError, match="NEWSCLUST_EMBEDDING_MODEL is not"):
        embedder_from_env()
    monkeypatch.setenv("NEWSCLUST_EMBEDDING_MODEL", "Qwen/Qwen3-Embedding-0.6B")
    monkeypatch.setenv("NEWSCLUST_EMBEDDING_DIMENSIONS", "1024")
    monkeypatch.setenv("NEWSCLUST_EMBEDDING_API_KEY", "sk-from-env")
    monkeypatch.setenv("NEWSCLUST_MILVUS_URI", "https://in01-x.zillizcloud.com")
    monkeypatch.setenv("NEWSCLUST_MILVUS_TOKEN", "zilliz-secret")
    monkeypatch.setenv("NEWSCLUST_MILVUS_COLLECTION", "prod")
    embedder, milvus = embedder_from_env(), milvus_from_env()
    assert isinstance(embedder, OpenAIEmbeddingResource)
    assert (embedder.base_url, embedder.model, embedder.dimensions, embedder.batch_size) == (
        "http://gpu-box:8000/v1",
        "Qwen/Qwen3-Embedding-0.6B",
        1024,
        256,
    )
    assert (milvus.uri, milvus.collection_name) == ("https://in01-x.zillizcloud.com", "prod")
    # secrets are bound as dg.EnvVar: Dagster records the variable's name, not its value
    assert "sk-from-env" not in repr(embedder) and "zilliz-secret" not in repr(milvus)
    monkeypatch.setenv("NEWSCLUST_EMBEDDING_DIMENSIONS", "lots")
    with pytest.raises(ValueError, match="NEWSCLUST_EMBEDDING_DIMENSIONS must be a whole number, got 'lots'"):
        embedder_from_env()


def test_max_concurrent_runs_is_configurable_and_checked(tmp_path, monkeypatch):
    """NEWSCLUST_MAX_CONCURRENT_RUNS reaches Dagster's run queue through the dagster.yaml
    newsclust manages; a changed value rewrites newsclust's own file, never a user's."""
    import dagster as dg

    from newsclust_assets.runs.instance import dagster_home

    home = tmp_path / "home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.delenv("NEWSCLUST_DAGSTER_PG_URL", raising=False)

    def queue_limit() -> int:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            return instance.get_concurrency_config().run_queue_config.max_concurrent_runs

    monkeypatch.delenv("NEWSCLUST_MAX_CONCURRENT_RUNS", raising=False)
    dagster_home()
    assert queue_limit() == 2
    monkeypatch.setenv("NEWSCLUST_MAX_CONCURRENT_RUNS", "4")
    dagster_home()
    assert queue_limit() == 4
    own = (home / "dagster.yaml").read_text().split("\n", 1)[1]  # without the managed line: the user's now
    (home / "dagster.yaml").write_text(own)
    monkeypatch.setenv("NEWSCLUST_MAX_CONCURRENT_RUNS", "1")
    dagster_home()
    assert queue_limit() == 4 and (home / "dagster.yaml").read_text() == own
    for bad, said in (("0", "must be at least 1, got 0"), ("two", "must be a whole number of runs, got 'two'")):
        monkeypatch.setenv("NEWSCLUST_MAX_CONCURRENT_RUNS", bad)
        with pytest.raises(ValueError, match=f"NEWSCLUST_MAX_CONCURRENT_RUNS {said}"):
            dagster_home()


def test_dg_check_defs_loads_the_code_location(tmp_path):
    """The project is a dg project ([tool.dg] in pyproject.toml): `dg check defs` loads it."""
    dg_cli = pathlib.Path(sys.executable).parent / "dg"
    env = {
        **os.environ,
        "NEWSCLUST_DATA_DIR": str(tmp_path / "data"),
        "DAGSTER_HOME": str(tmp_path / "home"),
        "VIRTUAL_ENV": str(dg_cli.parent.parent),
    }
    (tmp_path / "home").mkdir()
    proc = subprocess.run(
        [str(dg_cli), "check", "defs"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "All definitions loaded successfully." in proc.stdout + proc.stderr
    assert "does not match" not in proc.stdout + proc.stderr  # run in the project's own venv


def test_resolving_a_resource_outside_a_run_leaves_no_dead_instance_behind(tmp_path):
    """Planning and story-search resolve the Milvus resource (its EnvVar token) outside a run.
    Dagster does that inside an ephemeral instance that it enters; left to ``__del__``, its exit
    ran whenever the garbage collector reached it and restored the "current defs-state storage"
    to that of an instance already gone, so a later in-process ``dagster.materialize`` failed with
    "Attempted to resolve undefined DagsterInstance weakref" (1 suite run in 8, 2026-12-06)."""
    import gc

    from dagster._core.storage.defs_state.base import DefsStateStorage

    from newsclust_assets.runs.planning import resolved

    from .conftest import make_resources, quiet_instance

    (tmp_path / "home").mkdir()
    milvus = make_resources(tmp_path)["milvus"]
    before = DefsStateStorage.get()

    def plan():
        with resolved(milvus) as ready:
            cycle = [ready]
            cycle.append(cycle)  # held by a cycle, as a kept traceback holds a failed planner's frame
            raise RuntimeError(ready.uri)

    with quiet_instance(tmp_path / "home") as instance:
        with pytest.raises(RuntimeError, match="milvus.db"):
            plan()
        assert DefsStateStorage.get() is instance.defs_state_storage
    del instance
    gc.collect()
    assert DefsStateStorage.get() is before
