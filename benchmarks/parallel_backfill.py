"""``python -m benchmarks.parallel_backfill [--lines N]``: the production profile's UI backfill
with 1 and with 2 concurrent runs, side by side (issue 21's "parallel backfills").

Each row starts a fresh PostgreSQL 15 (Dagster's storage, ``NEWSCLUST_DAGSTER_PG_URL``) and
uses one Milvus 2.3.5 standalone (a collection per row), then launches, the way the UI does
(GraphQL ``launchPartitionBackfill`` against ``dagster dev`` and its daemon), every day of the
five day and window assets over the first N lines of the shared HuffPost file; the range is
cut into runs sized from the file's articles a day (the assets' ``BackfillPolicy``,
docs/assets.md) and the daemon starts up to ``NEWSCLUST_MAX_CONCURRENT_RUNS`` of them at once. Times launch to COMPLETED_SUCCESS; checks
that Milvus holds each article once and that both rows wrote the same labels for every
window (the label CSVs, byte for byte).

``--whole``: issue 21's target row instead. The whole shared file, every day of six assets
(``stories`` included, in day order through its own runs) and the last day's map, 2 runs at
once on PostgreSQL + the Milvus standalone, against ``newsclust run`` of the same file on the
embedded defaults (Milvus Lite, SQLite) in the same sitting; the two must give the same
labels for every window and the same story ids for every article and day.

Results: benchmarks/results/parallel_backfill.{json,md} (``--whole``: whole_backfill.{json,md}).
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from pathlib import Path

from newsclust_assets.local_servers.dagster_dev import DagsterDev
from newsclust_assets.local_servers.milvus_standalone import MilvusStandalone
from newsclust_assets.local_servers.postgres import PostgresServer

from .data import first_lines_file
from .run import machine, write_results

ASSETS = ["raw_news", "embeddings", "milvus_collection", "knn_distances", "cluster_labels"]
WHOLE = [*ASSETS, "stories", "umap_plot"]  # the last: one value, the last day's map (no partitions)
LAUNCH = """mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }"""
STATUS = """query($id: String!) { partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { status } } }"""
RUNS = """{ runsOrError { ... on Runs { results { runId status startTime endTime assetSelection { path }
  tags { key value } } } } }"""


def backfill(source: Path, work: Path, milvus: MilvusStandalone, concurrent: int, assets: list[str] = ASSETS) -> dict:
    from newsclust_assets.ingest.news_source import read_articles
    from newsclust_assets.resources import MilvusResource
    from newsclust_assets.vectors.milvus_store import query_window

    dates = sorted({a["date"] for a in read_articles(source)[0]})
    first, last = dates[0].isoformat(), dates[-1].isoformat()
    collection = f"backfill_{concurrent}"
    postgres = PostgresServer().start()
    try:
        env = {
            "NEWSCLUST_SOURCE": str(source),
            "NEWSCLUST_DATA_DIR": str(work / "data"),
            "NEWSCLUST_DAGSTER_PG_URL": postgres.url,
            "NEWSCLUST_MILVUS_URI": milvus.uri,
            "NEWSCLUST_MILVUS_COLLECTION": collection,
            "NEWSCLUST_MAX_CONCURRENT_RUNS": str(concurrent),
        }
        with DagsterDev(work / "home", env, work / "dagster_dev.log") as dev:
            started, launched_at = time.perf_counter(), time.time()
            every = {"range": {"start": first, "end": last}}
            params = {
                "partitionsByAssets": [
                    {"assetKey": {"path": [a]}, "partitions": None if a == "umap_plot" else every} for a in assets
                ]
            }
            launched = dev.graphql(LAUNCH, {"params": params})["launchPartitionBackfill"]
            assert launched["__typename"] == "LaunchBackfillSuccess", launched
            status, most_at_once = "REQUESTED", 0
            while status == "REQUESTED":
                time.sleep(2)
                status = dev.graphql(STATUS, {"id": launched["backfillId"]})["partitionBackfillOrError"]["status"]
                runs = dev.graphql(RUNS)["runsOrError"]["results"]
                most_at_once = max(most_at_once, sum(r["status"] == "STARTED" for r in runs))
            seconds = time.perf_counter() - started
            runs = dev.graphql(RUNS)["runsOrError"]["results"]
    finally:
        postgres.remove()
    with MilvusResource(uri=milvus.uri, collection_name=collection).client() as c:
        c.load_collection(collection)
        ids = query_window(c, collection, 0, 10**6, fields=["id"])["id"]
    labels = sorted((work / "data" / "labels").glob("labels_*.csv"))
    return {
        "concurrent_runs": concurrent,
        "status": status,
        "seconds": round(seconds, 1),
        "runs": len(runs),
        "most_runs_at_once": most_at_once,
        "days": len(dates),
        "first": first,
        "last": last,
        "rows": len(ids),
        "unique_ids": int(ids.nunique()),
        "label_files": len(labels),
        "timeline": timeline(runs, launched_at),
        **digests(work / "data"),
    }


def timeline(runs: list[dict], t0: float) -> list[dict]:
    """Each run of the backfill: when it started and ended (seconds after the launch), its
    assets and its days, in start order: where a backfill's time goes (runs, or the daemon's
    ticks between them)."""
    rows = []
    for r in sorted(runs, key=lambda r: r["startTime"] or float("inf")):
        tags = {t["key"]: t["value"] for t in r["tags"]}
        rows.append(
            {
                "start_s": round(r["startTime"] - t0, 1) if r["startTime"] else None,
                "end_s": round(r["endTime"] - t0, 1) if r["endTime"] else None,
                "assets": sorted(a["path"][-1] for a in r["assetSelection"] or []),
                "days": [
                    tags.get("dagster/asset_partition_range_start"),
                    tags.get("dagster/asset_partition_range_end"),
                ],
            }
        )
    return rows


def _pairs_digest(paths: list[Path], columns: list[str]) -> str:
    import pandas as pd

    pairs = hashlib.sha256()
    for p in paths:
        frame = pd.read_csv(p, usecols=columns).sort_values(columns)
        pairs.update(p.name.encode() + frame.to_csv(index=False).encode())
    return pairs.hexdigest()[:16]


def digests(data: Path) -> dict:
    """Short hashes of every window's (article, cluster label) pairs and of every day's
    (article, story id) pairs. Not the CSVs byte for byte: their probability and centrality
    columns differ in the tenth digit between runs that embed the days in other batches
    (padding changes the float sums), while every label and story id stays the same."""
    labels = sorted((data / "labels").glob("labels_*.csv"))
    out = {"labels_digest": _pairs_digest(labels, ["id", "label"])}
    days = sorted((data / "stories").glob("story_articles_*.csv"))
    if days:
        out.update(story_days=len(days), stories_digest=_pairs_digest(days, ["id", "story"]))
    return out


def whole(work: Path) -> dict:
    """Issue 21's row: the whole file backfilled on the production profile with 2 runs at once,
    then ``newsclust run`` of the same file on the embedded defaults."""
    from .data import source_path
    from .product_path import cli

    info = machine()
    source = source_path()
    milvus = MilvusStandalone(work / "milvus").start()
    try:
        ui = backfill(source, work / "ui", milvus, 2, WHOLE)
    finally:
        milvus.kill()
    run = cli(work, source, "cli")
    run.update(digests(work / "cli"))
    same = {k: ui.get(k) == run.get(k) for k in ("labels_digest", "stories_digest")}
    result = {"machine": info, "ui_backfill": ui, "newsclust_run": run, "same": same}
    ratio = ui["seconds"] / run["seconds"]
    md = [
        f"The whole history as a UI backfill on the production profile against `newsclust run` on the embedded "
        f"defaults, {info['date']}, {info['cores']} cores, dagster {info['versions']['dagster']}: "
        f"{source.name} ({ui['days']} days, {ui['first']}..{ui['last']}), six assets (stories included) and the "
        "last day's map.",
        "",
        "| run | storage | status | seconds | runs | most at once | rows in Milvus (unique) | story days |",
        "|---|---|---|---|---|---|---|---|",
        f"| UI backfill, 2 runs at once, runs sized from the source | PostgreSQL 15 + Milvus 2.3.5 standalone | {ui['status']} "
        f"| {ui['seconds']} | {ui['runs']} | {ui['most_runs_at_once']} | {ui['rows']} ({ui['unique_ids']}) "
        f"| {ui.get('story_days', 0)} |",
        f"| `newsclust run` | SQLite + Milvus Lite | {run['outcome']} | {run['seconds']} | - | 1 | - "
        f"| {run.get('story_days', 0)} |",
        "",
        f"UI backfill / `newsclust run`: **{ratio:.2f}x** (target 1.3x). Labels of every window: "
        + ("identical" if same["labels_digest"] else "**different**")
        + "; story ids of every article and day: "
        + ("identical." if same["stories_digest"] else "**different**."),
    ]
    return write_results("whole_backfill", result, "\n".join(md) + "\n")


def main(lines: int) -> dict:
    info = machine()
    with tempfile.TemporaryDirectory(prefix="newsclust-pbf-") as tmp:
        work = Path(tmp)
        source = first_lines_file(lines, work)
        milvus = MilvusStandalone(work / "milvus").start()
        try:
            rows = [backfill(source, work / f"c{n}", milvus, n) for n in (1, 2)]
        finally:
            milvus.kill()
    same = rows[0]["labels_digest"] == rows[1]["labels_digest"]
    result = {"machine": info, "lines": lines, "rows": rows, "same_labels": same}
    md = [
        f"UI backfill on the production profile (PostgreSQL 15, Milvus 2.3.5 standalone), {info['date']}, "
        f"{info['cores']} cores, dagster {info['versions']['dagster']}: the first {lines} lines of the shared "
        f"HuffPost file ({rows[0]['days']} days, {rows[0]['first']}..{rows[0]['last']}), five assets, "
        "runs sized from the file's articles a day.",
        "",
        "| concurrent runs | status | seconds | runs | most at once | rows in Milvus (unique) | label files |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        md.append(
            f"| {r['concurrent_runs']} | {r['status']} | {r['seconds']} | {r['runs']} | {r['most_runs_at_once']} "
            f"| {r['rows']} ({r['unique_ids']}) | {r['label_files']} |"
        )
    md += [
        "",
        f"2 vs 1: {rows[1]['seconds'] / rows[0]['seconds']:.2f}x the time; the labels of every window are "
        + ("identical." if same else "**different**."),
    ]
    return write_results("parallel_backfill", result, "\n".join(md) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=2500, help="lines of the shared HuffPost file (default 2500)")
    parser.add_argument("--whole", action="store_true", help="the whole file against newsclust run (issue 21's row)")
    args = parser.parse_args()
    if args.whole:
        with tempfile.TemporaryDirectory(prefix="newsclust-whole-") as tmp:
            whole(Path(tmp))
    else:
        main(args.lines)
