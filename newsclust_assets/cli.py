"""``newsclust run``: materialize the whole graph over a range of day partitions.

Runs in one process against a persistent Dagster instance (``$DAGSTER_HOME``, or
``NEWSCLUST_DATA_DIR/dagster_home``), so ``dagster dev`` started with the same
DAGSTER_HOME shows every materialization, check result and its metadata afterwards.

Each Dagster run covers a *range* of days (the assets' backfill policies): first the
daily assets raw_news -> embeddings -> milvus_collection in chunks of up to
``DAY_CHUNK_ARTICLES`` articles (full embedding batches, one bulk write a chunk), then
every day's window (knn_distances -> cluster_labels) in chunks of up to ``WINDOW_CHUNK``
windows, then the maps (``--maps last``: the last day's only). Progress is printed after
every chunk.

A re-run resumes: a day is skipped when its articles (a content hash), its raw_news and
milvus_collection materializations and the ids Milvus holds for it all match the source;
a window is skipped when it was clustered after every one of its days was stored and with
the same settings. ``--force`` redoes everything.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

DAILY = ["raw_news", "embeddings", "milvus_collection"]
WINDOWED = ["knn_distances", "cluster_labels", "umap_plot"]
DAY_CHUNK_ARTICLES = 2048   # articles per daily run: ~10 s of CPU embedding, so progress shows often
DAY_CHUNK_DAYS = 366
WINDOW_CHUNK = 62           # windows per run (each window's graph is held until its step ends)
WINDOW_CHUNK_ROWS = 60_000  # article rows summed over a run's windows


def dagster_home() -> Path:
    """$DAGSTER_HOME, or NEWSCLUST_DATA_DIR/dagster_home (then set as $DAGSTER_HOME), with
    newsclust's dagster.yaml written if it has none (see event_storage.py)."""
    from .event_storage import dagster_home_yaml
    from .settings import data_dir

    if not os.environ.get("DAGSTER_HOME"):
        os.environ["DAGSTER_HOME"] = str(data_dir() / "dagster_home")
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(dagster_home_yaml(str(home)))
    return home


def _instance():
    import dagster as dg

    dagster_home()
    return dg.DagsterInstance.get()


def _select(keys: list[str], first: str | None, last: str | None) -> list[str]:
    chosen = [k for k in keys if (first is None or k >= first) and (last is None or k <= last)]
    if not chosen:
        raise SystemExit(f"no day partitions between {first or keys[0]} and {last or keys[-1]} "
                         f"(partitions run {keys[0]}..{keys[-1]})")
    return chosen


def chunks(keys: list[str], weight: dict[str, int], max_keys: int, max_weight: int) -> list[list[str]]:
    """``keys`` (sorted days) cut into runs of consecutive days, each at most ``max_keys``
    days and, unless one day alone exceeds it, ``max_weight`` summed weight."""
    out: list[list[str]] = []
    current: list[str] = []
    load = 0
    for key in keys:
        w = weight.get(key, 0)
        gap = current and dt.date.fromisoformat(key) - dt.date.fromisoformat(current[-1]) != dt.timedelta(days=1)
        if current and (gap or len(current) >= max_keys or load + w > max_weight):
            out.append(current)
            current, load = [], 0
        current.append(key)
        load += w
    if current:
        out.append(current)
    return out


def latest_records(instance, asset: str, partitions: set[str] | None = None) -> dict[str, tuple[int, dict]]:
    """{partition: (storage id, metadata values)} of the asset's latest materializations."""
    import dagster as dg

    key = dg.AssetKey(asset)
    ids = instance.get_latest_storage_id_by_partition(key, dg.DagsterEventType.ASSET_MATERIALIZATION, partitions)
    wanted = sorted(ids.values())
    out: dict[str, tuple[int, dict]] = {}
    for i in range(0, len(wanted), 500):
        batch = wanted[i:i + 500]
        records = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=key, storage_ids=batch),
                                                  limit=len(batch)).records
        for r in records:
            mat = r.asset_materialization
            out[mat.partition] = (r.storage_id, {k: v.value for k, v in mat.metadata.items()})
    return out


class Progress:
    """One line per finished chunk: counts, rate and time left."""

    def __init__(self, log, what: str, total: int, unit: str, total_units: int):
        self.log, self.what, self.total, self.unit, self.total_units = log, what, total, unit, total_units
        self.done = self.units = 0
        self.started = time.perf_counter()

    def step(self, items: int, units: int) -> None:
        self.done += items
        self.units += units
        spent = time.perf_counter() - self.started
        rate = self.units / spent if spent > 0 else 0.0
        left = spent / self.done * (self.total - self.done) if self.done else 0.0
        self.log(f"  {self.what} {self.done}/{self.total} ({self.units:,}/{self.total_units:,} {self.unit}, "
                 f"{rate:,.0f} {self.unit}/s), {spent:.1f} s, ~{left:.0f} s left")


def _materialize(selection: list[str], keys: list[str], instance, resources: dict, run_config: dict):
    import dagster as dg

    from .assets import ALL_ASSETS

    tags = {"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1],
            "newsclust/command": "newsclust run"}
    ops = {a: c for a, c in run_config.get("ops", {}).items() if a in selection}  # config of selected assets only
    run_config = {**{k: v for k, v in run_config.items() if k != "ops"}, **({"ops": ops} if ops else {})}
    return dg.materialize(ALL_ASSETS, selection=selection, instance=instance, resources=resources,
                          run_config=run_config, tags=tags)


def plan_days(days: list[str], instance, resources: dict, force: bool,
              lookback: int = 0) -> tuple[list[str], dict[str, int]]:
    """(days to store, articles per day of ``days`` and the ``lookback`` days before them):
    every day unless its stored state matches the source."""
    from .ingest.news_source import articles_for_days, content_hash
    from .vectors.milvus_store import day_number, ids_by_day

    first = dt.date.fromisoformat(days[0]) - dt.timedelta(days=lookback)
    span = [first + dt.timedelta(days=i) for i in range((dt.date.fromisoformat(days[-1]) - first).days + 1)]
    current = articles_for_days(resources["news_source"].path, span)
    frames = {d.isoformat(): r.articles for d, r in current.items()}
    sizes = {k: len(f) for k, f in frames.items()}
    if force:
        return days, sizes
    raw = latest_records(instance, "raw_news", set(days))
    stored = latest_records(instance, "milvus_collection", set(days))
    milvus = resources["milvus"]
    with milvus.client() as client:
        held = {}
        if client.has_collection(milvus.collection_name):
            client.load_collection(milvus.collection_name)
            held = ids_by_day(client, milvus.collection_name, day_number(days[0]), day_number(days[-1]))
    todo = []
    for key in days:
        done = (key in raw and key in stored and stored[key][0] > raw[key][0]
                and raw[key][1].get("content_hash") == content_hash(frames[key])
                and held.get(day_number(key), []) == sorted(frames[key]["id"]))
        if not done:
            todo.append(key)
    return todo, sizes


def plan_windows(window_days: list[str], window: int, instance, asset_config: dict, force: bool) -> list[str]:
    """Windows to (re)cluster: never clustered, clustered with other settings, or clustered
    before one of their days was last stored."""
    from .assets.clusters import ClusterConfig
    from .assets.knn import KnnConfig
    from .ranges import config_digest

    if force:
        return list(window_days)
    digests = {"cluster_labels": config_digest(ClusterConfig(**asset_config.get("cluster_labels", {}))),
               "knn_distances": config_digest(KnnConfig(**asset_config.get("knn_distances", {})))}
    records = {a: latest_records(instance, a, set(window_days)) for a in digests}
    first = dt.date.fromisoformat(window_days[0]) - dt.timedelta(days=window - 1)
    span = [(first + dt.timedelta(days=i)).isoformat()
            for i in range((dt.date.fromisoformat(window_days[-1]) - first).days + 1)]
    stored = {k: v[0] for k, v in latest_records(instance, "milvus_collection", set(span)).items()}
    todo = []
    for key in window_days:
        end = dt.date.fromisoformat(key)
        newest_day = max((stored.get((end - dt.timedelta(days=i)).isoformat(), 0) for i in range(window)), default=0)
        fresh = all(key in records[a] and records[a][key][1].get("settings_digest") == d
                    and records[a][key][0] > newest_day for a, d in digests.items())
        if not fresh or records["cluster_labels"][key][0] < records["knn_distances"][key][0]:
            todo.append(key)
    return todo


def run(first: str | None = None, last: str | None = None, windows: str = "all", instance=None,
        resources: dict | None = None, log=print, asset_config: dict | None = None, maps: str = "last",
        force: bool = False) -> dict:
    """Materialize the graph; returns the summary of the last window, with every window's
    cluster_labels metadata under ``"windows"``. ``asset_config``: {asset: {field: value}}."""
    from .definitions import default_resources
    from .partitions import WINDOW_DAYS, daily_partitions, window_bounds
    from .ranges import range_pickle_io_manager

    instance = instance or _instance()
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    asset_config = asset_config or {}
    windowed_config = {**quiet, "ops": {a: {"config": c} for a, c in asset_config.items() if c}}
    resources = {"io_manager": range_pickle_io_manager, **(resources or default_resources())}
    days = _select(daily_partitions.get_partition_keys(), first, last)
    window_days = days if windows == "all" else days[-1:]
    map_days = window_days if maps == "all" else ([] if maps == "none" else window_days[-1:])
    started = time.perf_counter()
    log(f"newsclust: {len(days)} days {days[0]}..{days[-1]}, windows of {WINDOW_DAYS} days, "
        f"DAGSTER_HOME={os.environ.get('DAGSTER_HOME', '(ephemeral)')}")

    todo, sizes = plan_days(days, instance, resources, force, lookback=WINDOW_DAYS - 1)
    if len(todo) < len(days):
        log(f"  {len(days) - len(todo)} of {len(days)} days already stored from the same articles: skipped "
            "(--force to redo)")
    progress = Progress(log, "days", len(todo), "articles", sum(sizes[k] for k in todo))
    for chunk in chunks(todo, sizes, DAY_CHUNK_DAYS, DAY_CHUNK_ARTICLES):
        _materialize(DAILY, chunk, instance, resources, quiet)
        progress.step(len(chunk), sum(sizes[k] for k in chunk))
    log(f"  stored {len(todo)} days in {time.perf_counter() - started:.1f} s")

    to_cluster = plan_windows(window_days, WINDOW_DAYS, instance, asset_config, force)
    if len(to_cluster) < len(window_days):
        log(f"  {len(window_days) - len(to_cluster)} of {len(window_days)} windows already clustered from the same "
            "days and settings: skipped")
    window_rows = {}
    for key in to_cluster:
        lo, hi = window_bounds(key)
        window_rows[key] = sum(sizes.get((lo + dt.timedelta(days=i)).isoformat(), 0) for i in range((hi - lo).days + 1))
    with_maps = maps == "all"
    progress = Progress(log, "windows", len(to_cluster), "article-windows", sum(window_rows.values()))
    for chunk in chunks(to_cluster, window_rows, WINDOW_CHUNK, WINDOW_CHUNK_ROWS):
        _materialize(WINDOWED if with_maps else WINDOWED[:2], chunk, instance, resources, windowed_config)
        progress.step(len(chunk), sum(window_rows[k] for k in chunk))
    if not with_maps and map_days:
        plots = latest_records(instance, "umap_plot", set(map_days))
        labels = latest_records(instance, "cluster_labels", set(map_days))
        stale = [k for k in map_days if k not in plots or plots[k][0] < labels.get(k, (0,))[0]
                 or not Path(str(plots[k][1].get("path", ""))).exists()]
        for chunk in chunks(stale, {}, WINDOW_CHUNK, 0):
            _materialize(WINDOWED[2:], chunk, instance, resources, windowed_config)
    labels = latest_records(instance, "cluster_labels", set(window_days))
    per_window = [{"partition": k, **{m: v for m, v in labels[k][1].items() if not isinstance(v, (dict, list))}}
                  for k in window_days if k in labels]
    labels_md = labels[window_days[-1]][1]
    plot = latest_records(instance, "umap_plot", {window_days[-1]}).get(window_days[-1])
    summary = {
        "window": labels_md["window"],
        "articles": labels_md["dagster/row_count"],
        "clusters": labels_md["clusters"],
        "noise_share": labels_md["noise_share"],
        "map": plot[1]["path"] if plot and map_days else None,
        "labels_csv": labels_md["labels_csv"],
        "seconds": round(time.perf_counter() - started, 1),
        "days_stored": len(todo),
        "windows_clustered": len(to_cluster),
        "windows": per_window,
    }
    for key in ("ari_all_vs_category", "nmi_all_vs_category"):
        if key in labels_md:
            summary[key.replace("_vs_category", "")] = labels_md[key]
    return summary


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
    p.add_argument("--maps", choices=["last", "all", "none"], default="last",
                   help="draw the last day's map (default), every window's, or none")
    p.add_argument("--force", action="store_true",
                   help="redo every day and window, even those already materialized from the same input")
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
    summary = run(args.first, args.last, args.windows, asset_config=asset_config, maps=args.maps, force=args.force)
    if summary["map"]:
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
