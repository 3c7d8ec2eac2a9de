"""``newsclust run``: materialize the whole graph over a range of day partitions.

Runs in one process against a persistent Dagster instance (``$DAGSTER_HOME``, or
``NEWSCLUST_DATA_DIR/dagster_home``), so ``dagster dev`` started with the same
DAGSTER_HOME shows every materialization, check result and its metadata afterwards.
First every day's raw_news -> embeddings -> milvus_collection, then every day's window
(knn_distances -> cluster_labels -> umap_plot), in day order.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

DAILY = ["raw_news", "embeddings", "milvus_collection"]
WINDOWED = ["knn_distances", "cluster_labels", "umap_plot"]


def _instance():
    import dagster as dg

    from .settings import data_dir

    if not os.environ.get("DAGSTER_HOME"):
        home = data_dir() / "dagster_home"
        home.mkdir(parents=True, exist_ok=True)
        os.environ["DAGSTER_HOME"] = str(home)
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():  # local runs: no usage statistics (this machine has no network anyway)
        config.write_text("telemetry:\n  enabled: false\n")
    return dg.DagsterInstance.get()


def _select(keys: list[str], first: str | None, last: str | None) -> list[str]:
    chosen = [k for k in keys if (first is None or k >= first) and (last is None or k <= last)]
    if not chosen:
        raise SystemExit(f"no day partitions between {first or keys[0]} and {last or keys[-1]} "
                         f"(partitions run {keys[0]}..{keys[-1]})")
    return chosen


def run(first: str | None = None, last: str | None = None, windows: str = "all", instance=None,
        resources: dict | None = None, log=print) -> dict:
    """Materialize the graph; returns the summary of the last window."""
    import dagster as dg

    from .assets import ALL_ASSETS
    from .definitions import default_resources
    from .partitions import WINDOW_DAYS, daily_partitions

    instance = instance or _instance()
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    resources = resources or default_resources()
    days = _select(daily_partitions.get_partition_keys(), first, last)
    window_days = days if windows == "all" else days[-1:]
    started = time.perf_counter()
    log(f"newsclust: {len(days)} days {days[0]}..{days[-1]}, windows of {WINDOW_DAYS} days, "
        f"DAGSTER_HOME={os.environ.get('DAGSTER_HOME', '(ephemeral)')}")
    for key in days:
        dg.materialize(ALL_ASSETS, selection=DAILY, partition_key=key, instance=instance, resources=resources,
                       run_config=quiet)
    log(f"  stored {len(days)} days in {time.perf_counter() - started:.1f} s")
    for key in window_days:
        result = dg.materialize(ALL_ASSETS, selection=WINDOWED, partition_key=key, instance=instance,
                                resources=resources, run_config=quiet)
    labels_md = _metadata(result, "cluster_labels")
    plot_md = _metadata(result, "umap_plot")
    summary = {
        "window": labels_md["window"].value,
        "articles": labels_md["dagster/row_count"].value,
        "clusters": labels_md["clusters"].value,
        "noise_share": labels_md["noise_share"].value,
        "map": plot_md["path"].value,
        "seconds": round(time.perf_counter() - started, 1),
    }
    for key in ("ari_all_vs_category", "nmi_all_vs_category"):
        if key in labels_md:
            summary[key.replace("_vs_category", "")] = labels_md[key].value
    return summary


def _metadata(result, asset: str) -> dict:
    mats = result.asset_materializations_for_node(asset)
    return dict(mats[-1].metadata)


def format_summary(s: dict) -> str:
    line = (f"{s['articles']} articles, {s['clusters']} clusters, {s['noise_share']:.0%} noise "
            f"(window {s['window']}, {s['seconds']} s)")
    if "ari_all" in s:
        line += f", ARI {s['ari_all']:.3f} / NMI {s['nmi_all']:.3f} vs category"
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="newsclust", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="materialize all assets over day partitions (default: all of them)")
    p.add_argument("--first", help="first day partition (YYYY-MM-DD)")
    p.add_argument("--last", help="last day partition (YYYY-MM-DD)")
    p.add_argument("--windows", choices=["all", "last"], default="all",
                   help="cluster and map every day's window, or only the last day's")
    p.add_argument("--json", help="also write the summary as JSON to this file")
    args = parser.parse_args(argv)
    summary = run(args.first, args.last, args.windows)
    print(f"map: {summary['map']}")
    print(f"summary: {format_summary(summary)}")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
