"""A backfill launched the way the UI launches it (GraphQL ``launchPartitionBackfill``
against ``dagster dev``, the daemon running) takes the range path: one run for the whole
range of the daily and window assets and a second for stories, every day partition materialized with its own metadata."""

import time

import dagster as dg
import pandas as pd

from .conftest import sample_rows, stored_rows, write_jsonl
from .dagster_dev import DagsterDev
from newsclust_assets.resources import MilvusResource

ASSETS = ["raw_news", "embeddings", "milvus_collection", "knn_distances", "cluster_labels", "stories", "umap_plot",
          "story_timeline"]
DAYS = ["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04", "2024-03-05"]
LAUNCH = """mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }"""
STATUS = """query($id: String!) { partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { status } } }"""


def test_ui_backfill_runs_one_range_run(tmp_path):
    rows = sample_rows(DAYS[0], DAYS[-1])
    source = write_jsonl(tmp_path / "news.jsonl", rows)
    home = tmp_path / "home"
    env = {"NEWSCLUST_SOURCE": str(source), "NEWSCLUST_DATA_DIR": str(tmp_path / "data")}
    with DagsterDev(home, env, tmp_path / "dagster_dev.log") as dev:
        locations = dev.graphql("{ workspaceOrError { ... on Workspace { locationEntries { name } } } }")
        assert [e["name"] for e in locations["workspaceOrError"]["locationEntries"]] == ["newsclust"]
        params = {"partitionNames": DAYS, "assetSelection": [{"path": [a]} for a in ASSETS]}
        launched = dev.graphql(LAUNCH, {"params": params})["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched
        deadline = time.monotonic() + 400
        status = "REQUESTED"
        while status == "REQUESTED" and time.monotonic() < deadline:
            time.sleep(2)
            status = dev.graphql(STATUS, {"id": launched["backfillId"]})["partitionBackfillOrError"]["status"]
        assert status == "COMPLETED_SUCCESS", (status, (tmp_path / "dagster_dev.log").read_text()[-4000:])
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        # five days of eight assets in two range runs, not 40 runs: the daily assets and the windows
        # first, then stories (self-dependent: after its inputs) with the map and the timeline
        assert len(runs) == 2
        for r in runs:
            assert (r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"]) \
                == (DAYS[0], DAYS[-1])
        assert "stories" in {k.to_user_string() for r in runs for k in r.asset_selection}
        for day, before in zip(DAYS[1:], DAYS):  # the chain: each day continued the day before
            record = instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=dg.AssetKey("stories"), asset_partitions=[day]), limit=1).records[0]
            assert record.asset_materialization.metadata["previous_day"].value == before
        for asset in ASSETS:
            assert instance.get_materialized_partitions(dg.AssetKey(asset)) == set(DAYS), asset
        sizes = pd.Series([r["date"] for r in rows]).value_counts()
        for day in DAYS:
            record = instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=dg.AssetKey("embeddings"), asset_partitions=[day]), limit=1).records[0]
            assert record.asset_materialization.metadata["dagster/row_count"].value == sizes[day]
    stored = stored_rows(MilvusResource(uri=str(tmp_path / "data" / "milvus.db")))
    assert len(stored) == stored["id"].nunique() == len(rows)
    assert sorted(p.name for p in (tmp_path / "data" / "maps").glob("*.html")) == [f"newsclust_map_{d}.html" for d in DAYS]
