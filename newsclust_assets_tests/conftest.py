import json
import os
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from newsclust_assets.assets import build_assets
from newsclust_assets.event_storage import enable_event_batches
from newsclust_assets.partitions import calendar_from_env
from newsclust_assets.ranges import range_pickle_io_manager
from newsclust_assets.resources import (
    LabelExportResource,
    LocalEmbeddingResource,
    MapStorageResource,
    MilvusResource,
    NewsSourceResource,
    StoryNamerResource,
    StoryStoreResource,
)
from newsclust_assets.runs.planning import DAILY, STORIES, WINDOWED, resolved  # noqa: F401 - DAILY: the tests take it from here
from newsclust_assets.settings import SAMPLE_PATH
from newsclust_assets.vectors.milvus_store import open_client, query_window

REPO = Path(__file__).resolve().parent.parent
# the assets as the run engine groups them: a day's, then everything a window feeds, in lineage order
AFTER_DAILY = [*WINDOWED[:2], *STORIES[:1], WINDOWED[2], *STORIES[1:]]
SHARED_NEWS = REPO.parent / "shared" / "data" / "news_category_10k.jsonl"
# the code location's calendar as the tests' environment sets it (the shipped sample's days,
# 2024-03-01..2024-03-14, unless NEWSCLUST_SOURCE says otherwise), and the eight assets for it
# the tests materialize as `newsclust run` and the code location do: a step's asset events
# stored in batches (test_ranges stores them one at a time as well, and compares)
enable_event_batches()
CALENDAR = calendar_from_env()
ALL_ASSETS = build_assets(CALENDAR)


def write_jsonl(path: Path, rows: list) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(row if isinstance(row, str) else json.dumps(row))
            fh.write("\n")
    return path


def sample_rows(first: str | None = None, last: str | None = None) -> list[dict]:
    rows = [json.loads(line) for line in SAMPLE_PATH.read_text().splitlines()]
    return [r for r in rows if (first is None or r["date"] >= first) and (last is None or r["date"] <= last)]


def make_resources(tmp: Path, source: Path | str = SAMPLE_PATH, **milvus_kwargs) -> dict:
    return {
        "news_source": NewsSourceResource(path=str(source)),
        "embedder": LocalEmbeddingResource(),
        "milvus": MilvusResource(uri=str(tmp / "milvus.db"), **milvus_kwargs),
        "maps": MapStorageResource(directory=str(tmp / "maps")),
        "labels_export": LabelExportResource(directory=str(tmp / "labels")),
        "story_store": StoryStoreResource(directory=str(tmp / "stories")),
        "story_namer": StoryNamerResource(),
        "io_manager": range_pickle_io_manager,
    }


def shared_file(path: Path) -> Path:
    """A file of ../shared/data: in CI (``CI`` set) a missing one fails the test with a clear
    message; on a developer's machine without it the test is skipped."""
    if not path.exists():
        message = f"shared data set not found at {path} (CI runs with ../shared beside the clone)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def shared_news() -> Path:
    return shared_file(SHARED_NEWS)


def md(result, asset: str) -> dict:
    """The metadata values of the asset's last materialization in ``result``."""
    return {k: v.value for k, v in result.asset_materializations_for_node(asset)[-1].metadata.items()}


def stored_rows(milvus: MilvusResource, fields=("id", "day")) -> pd.DataFrame:
    """Every row of the collection (empty frame if it does not exist yet)."""
    # a token given as dagster.EnvVar, resolved
    with resolved(milvus) as milvus, open_client(milvus.uri, milvus.token, milvus.db_name) as c:
        if not c.has_collection(milvus.collection_name):
            return pd.DataFrame(columns=list(fields))
        c.load_collection(milvus.collection_name)
        return query_window(c, milvus.collection_name, 0, 10**6, fields=list(fields))


def step_error(result, node: str) -> str:
    """The error message of a failed step, with the messages of its causes."""
    failure = result.failure_data_for_node(node)
    assert failure is not None, f"step {node} did not fail"
    parts, err = [], failure.error
    while err is not None:
        parts.append(err.message)
        err = err.cause
    return "\n".join(parts)


# as in the Dagster homes newsclust writes (event_storage.dagster_home_yaml): steps log through the
# event log, and no tail / watcher processes are started per step to mirror their output
NO_COMPUTE_LOGS = {
    "compute_logs": {"module": "dagster._core.storage.noop_compute_log_manager", "class": "NoOpComputeLogManager"}
}


def quiet_instance(path):
    return dg.instance_for_test(temp_dir=str(path), overrides=NO_COMPUTE_LOGS)


@pytest.fixture
def instance(tmp_path):
    (tmp_path / "home").mkdir(exist_ok=True)
    with quiet_instance(tmp_path / "home") as inst:
        yield inst


# tests that start real processes (the CLI, dagster dev, servers) or a browser: `make test-fast` leaves them out
SLOW_MODULES = {
    "test_hardening",
    "test_ui_backfill",
    "test_browser_map",
    "test_story_page",
    "test_cli",
    "test_milvus_server",
    "test_automation",
    "test_openai_endpoint",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.module.__name__.rsplit(".", 1)[-1] in SLOW_MODULES or "server" in item.name:
            item.add_marker(pytest.mark.slow)
