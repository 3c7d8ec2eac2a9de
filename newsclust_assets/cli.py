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
        resources: dict | None = None, log=print, asset_config: dict | None = None) -> dict:
    """Materialize the graph; returns the summary of the last window, with every window's
    cluster_labels metadata under ``"windows"``. ``asset_config``: {asset: {field: value}}."""
    import dagster as dg

    from .assets import ALL_ASSETS
    from .definitions import default_resources
    from .partitions import WINDOW_DAYS, daily_partitions

    instance = instance or _instance()
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    windowed_config = {**quiet, "ops": {a: {"config": c} for a, c in (asset_config or {}).items() if c}}
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
    per_window = []
    for key in window_days:
        result = dg.materialize(ALL_ASSETS, selection=WINDOWED, partition_key=key, instance=instance,
                                resources=resources, run_config=windowed_config)
        per_window.append({"partition": key, **{k: v.value for k, v in _metadata(result, "cluster_labels").items()
                                                if not isinstance(v.value, (dict, list))}})
    labels_md = _metadata(result, "cluster_labels")
    plot_md = _metadata(result, "umap_plot")
    summary = {
        "window": labels_md["window"].value,
        "articles": labels_md["dagster/row_count"].value,
        "clusters": labels_md["clusters"].value,
        "noise_share": labels_md["noise_share"].value,
        "map": plot_md["path"].value,
        "labels_csv": labels_md["labels_csv"].value,
        "seconds": round(time.perf_counter() - started, 1),
        "windows": per_window,
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


CLUSTER_OPTIONS = {  # CLI option -> cluster_labels config field
    "algorithm": str, "similarity_threshold": float, "lexical_weight": float, "min_cluster_size": int,
    "attach_similarity": float,
}


def load_asset_config(path: str | None, args: argparse.Namespace) -> dict:
    """{asset: {field: value}} from a JSON or YAML file, then the clustering options on top.
    The file holds asset names as keys, e.g. ``{"cluster_labels": {"similarity_threshold": 0.35}}``."""
    config: dict = {}
    if path:
        p = Path(path)
        if not p.is_file():
            raise SystemExit(f"newsclust: config file not found: {p}")
        text = p.read_text()
        try:
            if p.suffix.lower() in (".yaml", ".yml"):
                import yaml

                config = yaml.safe_load(text) or {}
            else:
                config = json.loads(text)
        except Exception as exc:  # noqa: BLE001 - one line for any parse error
            raise SystemExit(f"newsclust: cannot read config file {p}: {exc}") from None
        known = set(WINDOWED)
        if not isinstance(config, dict) or not set(config) <= known:
            raise SystemExit(f"newsclust: config file {p} must map asset names {sorted(known)} to their settings")
    cluster = dict(config.get("cluster_labels") or {})
    for option in CLUSTER_OPTIONS:
        value = getattr(args, option, None)
        if value is not None:
            cluster[option] = value
    if getattr(args, "label_field", None):
        cluster["story_field"] = args.label_field
    if cluster:
        config["cluster_labels"] = cluster
    return config


def _add_cluster_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="JSON or YAML file of asset settings, e.g. {cluster_labels: {similarity_threshold: 0.35}}")
    p.add_argument("--algorithm", choices=["average_linkage", "umap_hdbscan"], help="clustering algorithm")
    p.add_argument("--similarity-threshold", type=float, dest="similarity_threshold",
                   help="mean cosine similarity at which two groups of articles still merge (default 0.3)")
    p.add_argument("--lexical-weight", type=float, dest="lexical_weight",
                   help="weight of TF-IDF cosine blended into the similarity, 0..1 (default 0)")
    p.add_argument("--min-cluster-size", type=int, dest="min_cluster_size", help="smaller groups are noise (default 2)")
    p.add_argument("--attach-similarity", type=float, dest="attach_similarity",
                   help="centroid cosine at which a noise article joins a cluster; 0 = off (default 0.5)")


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
    _add_cluster_options(p)
    e = sub.add_parser("evaluate", help="run the whole graph on a story-labelled file and score the clusters",
                       description=evaluate_doc())
    e.add_argument("file", help="labelled news file (.jsonl/.json/.csv) with a story field")
    e.add_argument("--label-field", default="story", help="field holding each article's story (default: story)")
    e.add_argument("--window-days", type=int,
                   help="days per window (default: the file's whole span, i.e. one window over everything)")
    e.add_argument("--windows", choices=["all", "last"], default="last",
                   help="score every day's window, or only the last day's (default)")
    e.add_argument("--data-dir", help="keep Milvus Lite, maps and labels here (default: a temporary directory)")
    e.add_argument("--json", help="also write the scores as JSON to this file")
    _add_cluster_options(e)
    args = parser.parse_args(argv)
    asset_config = load_asset_config(args.config, args)
    if args.command == "evaluate":
        from .evaluation.evaluate import evaluate

        return evaluate(args.file, args.label_field, args.window_days, args.windows, args.data_dir, args.json,
                        asset_config)
    summary = run(args.first, args.last, args.windows, asset_config=asset_config)
    print(f"map: {summary['map']}")
    print(f"labels: {summary['labels_csv']}")
    print(f"summary: {format_summary(summary)}")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))
    return 0


def evaluate_doc() -> str:
    from .evaluation.evaluate import __doc__ as doc

    return doc


if __name__ == "__main__":
    sys.exit(main())
