"""The Dagster UI for real: ``dagster dev`` (webserver and daemon) on a loopback port.

A backfill launched the way the UI launches it (GraphQL ``launchPartitionBackfill``)
takes the range path: runs of up to NEWSCLUST_BACKFILL_DAYS days (3 here: two runs for the
five days, which the queue may start together) of the five day and window assets, every
day partition materialized with its own metadata, and the same labels and story ids as
``newsclust run`` gives for the same file. (``stories``, the map and the timeline
would follow in a second range run, one more 30 s daemon tick: their range path is tested
in test_ranges.py and the daemon-free automation path in test_automation.py.) Then a real
headless Chromium opens the UI on that Dagster home: the asset graph with its lineage
edges, cluster_labels' metadata and checks, stories' metadata and stability check, the
timeline's metadata, the sensor on the Automation page, and a one-partition
materialization launched by clicking. Screenshots: ``ui_*.png`` in the
test's temp dir."""

import datetime as dt
import re
import time

import dagster as dg
import pandas as pd
import pytest

from newsclust_assets.partitions import Calendar
from newsclust_assets.resources import MilvusResource
from newsclust_assets.runs.engine import run as newsclust_run

from .browser import browser_page
from .conftest import ALL_ASSETS, make_resources, quiet_instance, sample_rows, stored_rows, write_jsonl
from .servers import DagsterDev, PostgresServer

ASSETS = ["raw_news", "embeddings", "milvus_collection", "knn_distances", "cluster_labels"]
ALL = ASSETS + ["stories", "umap_plot", "story_timeline"]
DAYS = ["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04", "2024-03-05"]
RUN_DAYS = 3  # NEWSCLUST_BACKFILL_DAYS: the five days in two runs
LAUNCH = """mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }"""
STATUS = """query($id: String!) { partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { status } } }"""
RUNS = "{ runsOrError { ... on Runs { results { runId status tags { key value } } } } }"
EDGES = 10  # lineage edges drawn (stories' edge to itself is not): see test_definitions for the parents


def click_through_the_ui(dev: DagsterDev, tmp_path, day: str) -> None:
    with browser_page() as page:
        skip = page.get_by_role("button", name="Skip")
        page.add_locator_handler(skip, lambda: skip.click())  # Dagster's first-visit dialog must not block
        page.goto(f"{dev.url}/asset-groups/newsclust")
        page.locator("foreignObject").nth(len(ALL) - 1).wait_for(timeout=60_000)  # an asset node each
        assert sorted(t.strip() for t in page.locator("foreignObject").all_text_contents()) == sorted(ALL)
        page.locator('svg path[marker-end^="url(#arrow"]').nth(EDGES - 1).wait_for()
        assert page.locator('svg path[marker-end^="url(#arrow"]').count() == EDGES
        # every asset shows as materialized in the lineage list: the day assets have every day,
        # the map and the timeline (one value each, the latest day's) have theirs
        for asset in ALL:
            item = page.locator("button", has=page.locator(f'[title="{asset}"]')).first
            icon = item.locator('[role="img"]').first
            icon.wait_for(timeout=30_000)
            assert icon.get_attribute("aria-label") == "run_success", (asset, item.inner_html()[:300])
        page.screenshot(path=str(tmp_path / "ui_graph.png"))

        page.goto(f"{dev.url}/assets/cluster_labels?partition={day}")
        for key in ("clusters", "noise_share", "ari_all_vs_category", "clusters_table", "labels_csv"):
            page.get_by_text(key, exact=True).first.wait_for(timeout=30_000)
        # the clusters table is shown in place (a metadata table), not behind "[Show Markdown]"
        for header in ("central_headline", "top_words", "other_headlines"):
            page.get_by_text(header, exact=True).first.wait_for(timeout=30_000)
        assert page.get_by_text("[Show Markdown]").count() == 0
        page.screenshot(path=str(tmp_path / "ui_cluster_labels.png"))
        page.goto(f"{dev.url}/assets/cluster_labels?view=checks")
        for check in ("every_article_labelled", "noise_share_below_bound"):
            page.get_by_text(check, exact=True).first.wait_for(timeout=30_000)
        page.screenshot(path=str(tmp_path / "ui_checks.png"))
        page.goto(f"{dev.url}/assets/stories?partition={day}")
        for key in ("born", "continued", "merged", "ended", "top_stories", "changed_id_share", "previous_day"):
            page.get_by_text(key, exact=True).first.wait_for(timeout=30_000)
        page.get_by_text("trend", exact=True).first.wait_for(timeout=30_000)  # top_stories' table, in place
        page.screenshot(path=str(tmp_path / "ui_stories.png"))
        page.goto(f"{dev.url}/assets/stories?view=checks")
        page.get_by_text("story_ids_stable", exact=True).first.wait_for(timeout=30_000)
        page.goto(f"{dev.url}/assets/story_timeline")
        page.get_by_text("born_in_period", exact=True).first.wait_for(timeout=30_000)
        page.get_by_role("link", name="open").first.wait_for(timeout=30_000)  # story_pages: links in place
        assert page.get_by_text("[Show Markdown]").count() == 0
        page.goto(f"{dev.url}/automation")
        page.get_by_text("news_source_sensor", exact=True).first.wait_for(timeout=30_000)
        page.screenshot(path=str(tmp_path / "ui_automation.png"))

        # one partition of raw_news, launched with clicks: Materialize..., the day, Launch 1 run
        page.goto(f"{dev.url}/assets/raw_news")
        page.get_by_role("button", name="Materialize…").click()
        box = page.get_by_placeholder(re.compile("^ex: "))
        box.fill(day)
        box.press("Enter")
        page.get_by_role("button", name="Launch 1 run").click()
        page.screenshot(path=str(tmp_path / "ui_launched.png"))
    run = wait_for_run(dev, {"key": "dagster/from_ui", "value": "true"}, 180)
    assert run["status"] == "SUCCESS", run
    assert {"key": "dagster/partition", "value": day} in run["tags"]


def wait_for_backfill(home, backfill_id: str, timeout_s: float) -> list:
    """The backfill's runs once every day of the five assets is materialized and none of its
    runs is still going (or as they are when time runs out)."""
    deadline = time.monotonic() + timeout_s
    with dg.DagsterInstance.from_config(str(home)) as instance:
        while True:
            runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
            done = instance.get_materialized_partitions(dg.AssetKey("cluster_labels")) == set(DAYS)
            if (done and runs and all(r.is_finished for r in runs)) or any(r.is_failure for r in runs):
                return runs
            if time.monotonic() > deadline:
                return runs
            time.sleep(1)


def labels_and_stories(data) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every day's (day, article id, cluster label) and (day, article id, story id), as written
    under the data directory ``data``."""
    labels = pd.concat(
        pd.read_csv(data / "labels" / f"labels_{d}.csv", usecols=["id", "label"]).assign(day=d) for d in DAYS
    )
    stories = pd.concat(
        pd.read_csv(data / "stories" / f"story_articles_{d}.csv", usecols=["id", "story"]).assign(day=d) for d in DAYS
    )
    return (
        labels.sort_values(["day", "id"]).reset_index(drop=True),
        stories.sort_values(["day", "id"]).reset_index(drop=True),
    )


def wait_for_run(dev: DagsterDev, tag: dict, timeout_s: float) -> dict:
    """The latest run carrying ``tag`` once it has ended (or as it is when time runs out)."""
    deadline = time.monotonic() + timeout_s
    mine: list = []
    while time.monotonic() < deadline:
        mine = [r for r in dev.graphql(RUNS)["runsOrError"]["results"] if tag in r["tags"]]
        if mine and mine[0]["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        time.sleep(1)
    assert mine, f"no run tagged {tag} within {timeout_s} s"
    return mine[0]


@pytest.fixture
def postgres():
    server = PostgresServer().start()
    yield server
    server.remove()


def test_ui_backfill_runs_one_range_run(tmp_path, postgres, monkeypatch):
    """On the production profile: the webserver, the daemon and this process share one Dagster
    storage in PostgreSQL (NEWSCLUST_DAGSTER_PG_URL)."""
    rows = sample_rows(DAYS[0], DAYS[-1])
    source = write_jsonl(tmp_path / "news.jsonl", rows)
    home = tmp_path / "home"
    monkeypatch.setenv("NEWSCLUST_DAGSTER_PG_URL", postgres.url)
    env = {
        "NEWSCLUST_SOURCE": str(source),
        "NEWSCLUST_DATA_DIR": str(tmp_path / "data"),
        "NEWSCLUST_DAGSTER_PG_URL": postgres.url,
        "NEWSCLUST_BACKFILL_DAYS": str(RUN_DAYS),
    }
    with DagsterDev(home, env, tmp_path / "dagster_dev.log") as dev:
        locations = dev.graphql("{ workspaceOrError { ... on Workspace { locationEntries { name } } } }")
        assert [e["name"] for e in locations["workspaceOrError"]["locationEntries"]] == ["newsclust"]
        params = {"partitionNames": DAYS, "assetSelection": [{"path": [a]} for a in ASSETS]}
        launched = dev.graphql(LAUNCH, {"params": params})["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched
        backfill_id = launched["backfillId"]
        # the backfill's last run ends a daemon tick (30 s) before the backfill is marked
        # complete: go on once its runs succeed, and check the backfill's status before the clicks
        runs = wait_for_backfill(home, backfill_id, 400)
        assert runs and all(r.is_success for r in runs), (
            [(r.run_id[:8], r.status) for r in runs],
            (tmp_path / "dagster_dev.log").read_text()[-4000:],
        )
        # stories, the map and the timeline for the same days, as their second range run would (in
        # this process, on the same Dagster home), so the UI shows them too
        with dg.DagsterInstance.from_config(str(home)) as instance:
            resources = make_resources(tmp_path / "data", source)
            assert dg.materialize(
                ALL_ASSETS,
                selection=["stories", "umap_plot", "story_timeline"],
                instance=instance,
                resources=resources,
                tags={"dagster/asset_partition_range_start": DAYS[0], "dagster/asset_partition_range_end": DAYS[-1]},
            ).success
        # the backfill marked complete before any click (a backfill in progress changes the UI)
        deadline = time.monotonic() + 120
        status = "REQUESTED"
        while status == "REQUESTED" and time.monotonic() < deadline:
            status = dev.graphql(STATUS, {"id": backfill_id})["partitionBackfillOrError"]["status"]
            time.sleep(1)
        assert status == "COMPLETED_SUCCESS", (status, (tmp_path / "dagster_dev.log").read_text()[-4000:])
        click_through_the_ui(dev, tmp_path, DAYS[-1])
    assert not list(home.rglob("*.db"))  # no SQLite storage: runs and events are in PostgreSQL
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
        # runs of at most three days (the days' assets and their windows), not one per day and asset
        spans = sorted(
            (r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"]) for r in runs
        )
        assert 2 <= len(runs) <= 4 and {s for s, _ in spans} == {DAYS[0], DAYS[RUN_DAYS]}, spans
        assert all((dt.date.fromisoformat(e) - dt.date.fromisoformat(s)).days < RUN_DAYS for s, e in spans), spans
        for asset in ASSETS:
            assert instance.get_materialized_partitions(dg.AssetKey(asset)) == set(DAYS), asset
        sizes = pd.Series([r["date"] for r in rows]).value_counts()
        for day in DAYS:
            record = instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=dg.AssetKey("embeddings"), asset_partitions=[day]), limit=1
            ).records[0]
            assert record.asset_materialization.metadata["dagster/row_count"].value == sizes[day]
    stored = stored_rows(MilvusResource(uri=str(tmp_path / "data" / "milvus.db")))
    assert len(stored) == stored["id"].nunique() == len(rows)

    # the same file through newsclust run (its own data directory and Dagster home): the same
    # articles, cluster labels and story ids on every day
    own = tmp_path / "newsclust_run"
    (own / "home").mkdir(parents=True)
    calendar = Calendar(dt.date.fromisoformat(DAYS[0]), dt.date.fromisoformat(DAYS[-1]), 30)
    with quiet_instance(own / "home") as instance:
        summary = newsclust_run(
            instance=instance,
            resources=make_resources(own, source),
            log=lambda *_: None,
            maps="none",
            calendar=calendar,
            data=own,
        )
    assert not summary["failures"] and summary["story_days"] == len(DAYS)
    backfilled, ran = labels_and_stories(tmp_path / "data"), labels_and_stories(own)
    assert len(backfilled[0]) > 50 and backfilled[0]["label"].nunique() > 3
    pd.testing.assert_frame_equal(backfilled[0], ran[0])
    pd.testing.assert_frame_equal(backfilled[1], ran[1])
