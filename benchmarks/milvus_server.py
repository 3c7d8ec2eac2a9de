"""``python -m benchmarks.milvus_server [--first D] [--last D]`` (``make bench-server``): the
same `newsclust run` (a fresh data directory each, the CLI users run) on Milvus Lite and on
the Milvus 2.3.5 standalone (``make milvus-standalone``, authorization on, the token through
NEWSCLUST_MILVUS_TOKEN), side by side in one process: wall time, rows stored and unique,
and whether the last window's labels and story ids are the same. Default: the shared
HuffPost file from 2022-01-01 to its end (the 10k file's last 266 days).

Results: benchmarks/results/milvus_server.{json,md}.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from newsclust_assets.local_servers.milvus_standalone import MilvusStandalone

from .data import REPO, source_path
from .run import machine, write_results


def newsclust_run(work: Path, source: Path, first: str, last: str, env: dict, *extra: str) -> tuple[float, str]:
    full = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    full.update({"NEWSCLUST_SOURCE": str(source), "NEWSCLUST_DATA_DIR": str(work), "PYTHONWARNINGS": "ignore", **env})
    started = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "newsclust_assets.cli",
            "run",
            "--first",
            first,
            "--last",
            last,
            "--windows",
            "all",
            "--maps",
            "last",
            *extra,
        ],
        cwd=REPO,
        env=full,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"newsclust run failed ({env or 'Lite'}): {proc.stderr[-2000:]}")
    return seconds, proc.stdout


def stored(uri: str, token: str = "", collection: str = "news") -> pd.Series:
    from newsclust_assets.vectors.milvus_store import open_client, query_window

    with open_client(uri, token) as c:
        c.load_collection(collection)
        return query_window(c, collection, 0, 10**6, fields=["id"])["id"]


def last_labels(work: Path, last: str) -> pd.DataFrame:
    """The last window's label and story id of every article, sorted by id."""
    labels = pd.read_csv(work / "labels" / f"labels_{last}.csv", dtype=str)[["id", "label"]]
    stories = pd.read_csv(work / "stories" / f"story_articles_{last}.csv", dtype=str)[["id", "story"]]
    return labels.merge(stories, on="id", how="left").sort_values("id").reset_index(drop=True)


def main(first: str, last: str) -> dict:
    info = machine()
    source = source_path()
    rows = {}
    with tempfile.TemporaryDirectory(prefix="newsclust-server-bench-") as tmp:
        tmp = Path(tmp)
        lite_s, _ = newsclust_run(tmp / "lite", source, first, last, {})
        lite_ids = stored(str(tmp / "lite" / "milvus.db"))
        server = MilvusStandalone(tmp / "milvus_data", auth=True).start()
        try:
            server_s, _ = newsclust_run(
                tmp / "server",
                source,
                first,
                last,
                {"NEWSCLUST_MILVUS_URI": server.uri, "NEWSCLUST_MILVUS_TOKEN": server.token},
            )
            server_ids = stored(server.uri, server.token)
            # every window's neighbours by the server's own search (its index), into another collection
            search = tmp / "search.yaml"
            search.write_text("knn_distances: {method: milvus}\n")
            search_s, _ = newsclust_run(
                tmp / "search",
                source,
                first,
                last,
                {
                    "NEWSCLUST_MILVUS_URI": server.uri,
                    "NEWSCLUST_MILVUS_TOKEN": server.token,
                    "NEWSCLUST_MILVUS_COLLECTION": "news_search",
                },
                "--config",
                str(search),
            )
            search_ids = stored(server.uri, server.token, "news_search")
        finally:
            server.kill()
        same = last_labels(tmp / "lite", last).equals(last_labels(tmp / "server", last))
        same_search = last_labels(tmp / "lite", last).equals(last_labels(tmp / "search", last))
        rows = {
            "lite": {"seconds": round(lite_s, 1), "rows": len(lite_ids), "unique_ids": int(lite_ids.nunique())},
            "server": {"seconds": round(server_s, 1), "rows": len(server_ids), "unique_ids": int(server_ids.nunique())},
            "server_search": {
                "seconds": round(search_s, 1),
                "rows": len(search_ids),
                "unique_ids": int(search_ids.nunique()),
            },
        }
    result = {
        "machine": info,
        "source": str(source),
        "first": first,
        "last": last,
        **rows,
        "server_over_lite": round(rows["server"]["seconds"] / rows["lite"]["seconds"], 2),
        "server_search_over_lite": round(rows["server_search"]["seconds"] / rows["lite"]["seconds"], 2),
        "same_last_window_labels_and_stories": bool(same),
        "same_with_server_search": bool(same_search),
    }
    md = (
        f"`newsclust run --windows all` over {first}..{last} of {source.name}, {info['date']}, {info['cores']} cores, "
        f"pymilvus {info['versions'].get('pymilvus')}, milvus-lite {info['versions'].get('milvus-lite')}:\n\n"
        "| Milvus | seconds | rows | unique ids |\n|---|---|---|---|\n"
        f"| Lite | {rows['lite']['seconds']} | {rows['lite']['rows']} | {rows['lite']['unique_ids']} |\n"
        f"| 2.3.5 standalone (auth on), defaults (exact kNN up to 30,000 vectors a window) | "
        f"{rows['server']['seconds']} | {rows['server']['rows']} | {rows['server']['unique_ids']} |\n"
        f"| 2.3.5 standalone (auth on), every window searched by the server (`knn_distances.method: milvus`) | "
        f"{rows['server_search']['seconds']} | {rows['server_search']['rows']} | "
        f"{rows['server_search']['unique_ids']} |\n\n"
        f"server / Lite: {result['server_over_lite']}x with the defaults (target <= 1.2x), "
        f"{result['server_search_over_lite']}x with the server's search; the last window's labels and story ids "
        f"{'are the same' if same else 'differ'} (server's search: {'the same' if same_search else 'differ'}).\n"
    )
    return write_results("milvus_server", result, md)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--first", default="2022-01-01")
    parser.add_argument("--last", default="2022-09-23")
    args = parser.parse_args()
    main(args.first, args.last)
