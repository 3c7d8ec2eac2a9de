"""``python -m benchmarks.ui_backfill [SOURCE]`` (part of ``make bench-product``): a backfill of
every day of SOURCE (default: the shared HuffPost file), six assets (stories included) and the last day's map, launched the
way the UI launches it: GraphQL ``launchPartitionBackfill`` against ``dagster dev`` with its
daemon, in a fresh Dagster home that ``newsclust run`` would create. Times it from launch
to the backfill's end; counts runs; checks that Milvus holds each article once.

Results: benchmarks/results/ui_backfill.{json,md}.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from newsclust_assets.local_servers.dagster_dev import DagsterDev

from .data import source_path
from .run import machine, write_results

# every day of the daily and window assets and the stories (day after day: its own D-1), then the map
ASSETS = ["raw_news", "embeddings", "milvus_collection", "knn_distances", "cluster_labels", "stories", "umap_plot"]
LAUNCH = """mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }"""
STATUS = """query($id: String!) { partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { status } } }"""


def main(source: Path) -> dict:
    import dagster as dg

    from newsclust_assets.ingest.news_source import read_articles

    info = machine()
    dates = sorted({a["date"] for a in read_articles(source)[0]})
    first, last = dates[0].isoformat(), dates[-1].isoformat()
    with tempfile.TemporaryDirectory(prefix="newsclust-ui-") as tmp:
        work = Path(tmp)
        env = {"NEWSCLUST_SOURCE": str(source), "NEWSCLUST_DATA_DIR": str(work / "data")}
        with DagsterDev(work / "home", env, work / "dagster_dev.log") as dev:
            started = time.perf_counter()
            # every day of the six assets, then the map (one value, the last day's, as `newsclust run
            # --maps last`): an asset without day partitions is selected with none
            every = {"range": {"start": first, "end": last}}
            params = {
                "partitionsByAssets": [{"assetKey": {"path": [a]}, "partitions": every} for a in ASSETS[:-1]]
                + [{"assetKey": {"path": [ASSETS[-1]]}, "partitions": None}]
            }
            launched = dev.graphql(LAUNCH, {"params": params})["launchPartitionBackfill"]
            assert launched["__typename"] == "LaunchBackfillSuccess", launched
            status = "REQUESTED"
            while status == "REQUESTED":
                time.sleep(5)
                status = dev.graphql(STATUS, {"id": launched["backfillId"]})["partitionBackfillOrError"]["status"]
            seconds = time.perf_counter() - started
        with dg.DagsterInstance.from_config(str(work / "home")) as instance:
            runs = instance.get_runs()
            days = len(instance.get_materialized_partitions(dg.AssetKey("cluster_labels")))
        from newsclust_assets.resources import MilvusResource
        from newsclust_assets.vectors.milvus_store import query_window

        milvus = MilvusResource(uri=str(work / "data" / "milvus.db"))
        with milvus.client() as c:
            c.load_collection("news")
            ids = query_window(c, "news", 0, 10**6, fields=["id"])["id"]
        maps = list((work / "data" / "maps").glob("*.html"))
        result = {
            "machine": info,
            "source": str(source),
            "status": status,
            "seconds": round(seconds, 1),
            "runs": len(runs),
            "days_clustered": days,
            "rows": len(ids),
            "unique_ids": int(ids.nunique()),
            "maps": len(maps),
            "maps_mb": round(sum(p.stat().st_size for p in maps) / 1e6, 1),
        }
    md = (
        f"UI-style backfill, {info['date']}, {info['cores']} cores, dagster {info['versions']['dagster']}: "
        f"{result['days_clustered']} days of six assets (stories included) and the last day's map through `dagster dev` + daemon: "
        f"{status} in {result['seconds']} s, "
        f"{result['runs']} runs, {result['rows']} rows in Milvus ({result['unique_ids']} unique ids), "
        f"{result['maps']} maps ({result['maps_mb']} MB).\n"
    )
    return write_results("ui_backfill", result, md)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else source_path())
