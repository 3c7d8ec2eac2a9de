"""``python -m benchmarks.product_path`` (``make bench-product``): what users run, timed.

In one sitting, each row in its own child process (so peak RSS is its own):

1. the model's best throughput (batch sizes 8-128 on 2,000 texts);
2. the function path: the whole shared HuffPost history (every day, every day's 30-day
   window, the last map) through the functions the assets call, no Dagster;
3. the same work through ``newsclust run`` (Dagster range runs, Milvus Lite, CSV labels,
   the last map), from an empty data directory;
4. ``newsclust run`` again on the same directory: the resume path with nothing to do;
5. a sparse stream (every 25th article of the shared file: ~400 articles over 4.4 years,
   1,607 days) through ``newsclust run``: one window over everything (``--windows last``,
   as the issue measured it) and every day's 30-day window;
6. the 10k raw -> map function path (one window over all 10k, ``benchmarks.newsclust_path``);
7. kNN at 10k / 50k / 100k vectors: exact numpy blocks vs the in-process HNSW index, with
   recall@15 of HNSW against exact.

Results: printed, and written to benchmarks/results/product_path.{md,json}.
``--history`` runs rows 2-4 alone into ``results/history_with_stories.json``.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from pathlib import Path

from .data import source_path
from .measure import run_child, true_peak
from .run import RESULTS, machine

SPARSE_EVERY = 25


def sparse_file(workdir: Path) -> Path:
    """Every SPARSE_EVERY-th line of the shared file: a few hundred articles over its 4.4 years."""
    out = workdir / "sparse.jsonl"
    with source_path().open("rb") as src, out.open("wb") as dst:
        for i, line in enumerate(src):
            if i % SPARSE_EVERY == 0:
                dst.write(line)
    return out


def cli(workdir: Path, source: Path, name: str, *args: str, window_days: int = 30, timeout_s: float = 3600) -> dict:
    data = workdir / name
    summary = workdir / f"{name}.json"
    env_backup = dict(os.environ)
    os.environ.update(
        {
            "NEWSCLUST_SOURCE": str(source),
            "NEWSCLUST_DATA_DIR": str(data),
            "NEWSCLUST_WINDOW_DAYS": str(window_days),
            "PYTHONWARNINGS": "ignore",
        }
    )
    os.environ.pop("DAGSTER_HOME", None)
    try:
        child = run_child(
            [sys.executable, "-m", "newsclust_assets.cli", "run", *args, "--json", str(summary)], timeout_s
        )
    finally:
        os.environ.clear()
        os.environ.update(env_backup)
    row = {
        "outcome": child["outcome"],
        "seconds": round(child["seconds"], 1),
        "peak_rss_mib": round(child["peak_rss_mib"], 1),
    }
    if child["outcome"] == "ok":
        s = json.loads(summary.read_text())
        row.update({k: s[k] for k in ("articles", "clusters", "noise_share", "days_stored", "windows_clustered")})
        row["maps_bytes"] = sum(p.stat().st_size for p in (data / "maps").iterdir()) if (data / "maps").exists() else 0
    else:
        row["error"] = child["output"][-1500:]
    print(f"  {name}: {row}", flush=True)
    return row


def child_json(module: str, args: list[str], out: Path, timeout_s: float = 3600) -> dict:
    child = run_child([sys.executable, "-m", f"benchmarks.{module}", *args, str(out)], timeout_s)
    if child["outcome"] != "ok":
        print(child["output"], flush=True)
        return {"outcome": child["outcome"], "error": child["output"][-1500:]}
    result = json.loads(out.read_text())
    if isinstance(result, dict):
        result.update({"wall_seconds": round(child["seconds"], 1), "peak_rss_mib": true_peak(child, result)})
    print(f"  {module}: {json.dumps(result)[:600]}", flush=True)
    return result


def history_rows(work: Path, source: Path) -> dict:
    """Rows 2-4, side by side: the function path, ``newsclust run``, and its resume."""
    return {
        "functions_history": child_json("history_functions", [str(source), str(work)], work / "functions.json"),
        "cli_history": cli(work, source, "cli_history"),
        "cli_history_resumed": cli(work, source, "cli_history"),
    }


def main() -> None:
    info = machine()
    full = source_path()
    with tempfile.TemporaryDirectory(prefix="newsclust-product-") as tmp:
        work = Path(tmp)
        sparse = sparse_file(work)
        results = {"machine": info}
        results["throughput"] = child_json("throughput", ["2000", str(work)], work / "throughput.json")
        results.update(history_rows(work, full))
        results["sparse_one_window"] = cli(work, sparse, "sparse_one_window", "--windows", "last", window_days=1700)
        results["sparse_every_window"] = cli(work, sparse, "sparse_every_window")
        results["functions_10k_one_window"] = child_json("newsclust_path", ["10000", str(work)], work / "path.json")
        results["knn_scale"] = child_json(
            "knn_scale", [str(work / "vectors.npy"), "10000,50000,100000", "50000"], work / "knn.json"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "product_path.json").write_text(json.dumps(results, indent=2))
    md = report(results)
    (RESULTS / "product_path.md").write_text(md)
    print(md)


def _fmt(v, unit=""):
    return f"{v:,.1f}{unit}" if isinstance(v, (int, float)) else str(v)


def report(r: dict) -> str:
    m = r["machine"]
    f, c, again = r["functions_history"], r["cli_history"], r["cli_history_resumed"]
    fs = {k: v["seconds"] for k, v in f.get("stages", {}).items()}
    f_total = f.get("wall_seconds", 0)
    lines = [
        f"Product path, {m['date']}, {m['cores']} cores, Python {m['python']}, dagster {m['versions']['dagster']}, "
        f"milvus-lite {m['versions']['milvus-lite']}, torch {m['versions']['torch']}.",
        "",
        "| run | articles / days | wall s | peak RSS MiB | notes |",
        "|---|---|---|---|---|",
        f"| function path, whole history (every window, last map) | {f.get('articles')} / {f.get('days')} | "
        f"{_fmt(f_total)} | {_fmt(f.get('peak_rss_mib'))} | stages: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in fs.items())
        + " |",
        f"| `newsclust run`, whole history | {c.get('articles', '-')} (last window) / {f.get('days')} | "
        f"{_fmt(c['seconds'])} | {_fmt(c['peak_rss_mib'])} | {c.get('windows_clustered')} windows clustered, "
        f"maps {c.get('maps_bytes', 0) / 1e6:.1f} MB |",
        f"| `newsclust run` again (resume, nothing changed) | - | {_fmt(again['seconds'])} | "
        f"{_fmt(again['peak_rss_mib'])} | {again.get('days_stored')} days stored, "
        f"{again.get('windows_clustered')} windows clustered |",
    ]
    for key, label in (
        ("sparse_one_window", "sparse stream, one window over all (`--windows last`)"),
        ("sparse_every_window", "sparse stream, every day's 30-day window"),
    ):
        s = r[key]
        lines.append(
            f"| {label} | {s.get('articles', '-')} (last window) / 1607 | {_fmt(s['seconds'])} | "
            f"{_fmt(s['peak_rss_mib'])} | {s.get('windows_clustered')} windows, {s.get('clusters')} clusters "
            f"in the last |"
        )
    p = r["functions_10k_one_window"]
    ps = {k: v["seconds"] for k, v in p.get("stages", {}).items()}
    lines.append(
        f"| function path, 10k raw -> map, one window | {p.get('articles')} / {p.get('days')} | "
        f"{_fmt(p.get('wall_seconds'))} | {_fmt(p.get('peak_rss_mib'))} | stages: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in ps.items())
        + " |"
    )
    lines += ["", "| kNN, N vectors | exact s | HNSW s | HNSW recall@15 |", "|---|---|---|---|"]
    for row in r["knn_scale"] if isinstance(r["knn_scale"], list) else []:
        lines.append(
            f"| {row['n']:,} | {_fmt(row.get('exact_seconds', '-'))} | {_fmt(row['hnsw_seconds'])} | "
            f"{row['recall_at_15']:.3f} |"
        )
    t = r["throughput"]
    embed_rate = f.get("stages", {}).get("embed", {}).get("docs_per_second", 0)
    best = t.get("best_docs_per_second", 0)
    ratio = c["seconds"] / f_total if f_total else float("nan")
    overhead = (c["seconds"] - f_total) / f["days"] if f.get("days") else float("nan")
    knn = {row["n"]: row for row in r["knn_scale"]} if isinstance(r["knn_scale"], list) else {}
    growth, g = "", float("inf")
    nlogn = math.log2(2 * math.log(100000) / math.log(50000))  # N log N from 50k to 100k, as a power of N
    if 50000 in knn and 100000 in knn:
        g = math.log2(knn[100000]["hnsw_seconds"] / knn[50000]["hnsw_seconds"])
        growth = f"HNSW N^{g:.2f} from 50k to 100k (N log N: N^{nlogn:.2f})"
    lines += [
        "",
        "| target | met | measured |",
        "|---|---|---|",
        f"| whole 10k history through `newsclust run` <= 1.5x the function path | "
        f"{'yes' if ratio <= 1.5 else '**no**'} | {ratio:.2f}x ({c['seconds']:.0f} s vs {f_total:.0f} s; "
        f"Dagster adds {overhead * 1000:.0f} ms per day) |",
        f"| sparse 5-year stream <= 60 s end to end | "
        f"{'yes' if r['sparse_one_window']['seconds'] <= 60 else '**no**'} | "
        f"{r['sparse_one_window']['seconds']:.0f} s one window, {r['sparse_every_window']['seconds']:.0f} s every window |",
        f"| embedding >= 95 % of the model's best throughput | {'yes' if embed_rate >= 0.95 * best else '**no**'} | "
        f"{embed_rate:.0f} docs/s = {embed_rate / best:.0%} of {best:.0f} (batch {t.get('best_batch_size')}) |",
        f"| store 10k <= 5 s | {'yes' if fs.get('store', 99) <= 5 else '**no**'} | {fs.get('store', 0):.1f} s |",
        f"| 10k raw -> map <= 80 s (function path) | {'yes' if p.get('wall_seconds', 999) <= 80 else '**no**'} | "
        f"{p.get('wall_seconds')} s |",
        f"| 100k: growth <= N log N from 50k to 100k, recall@15 >= 0.95 | "
        f"{'yes' if knn.get(100000, {}).get('recall_at_15', 0) >= 0.95 and g <= nlogn else '**no**'} | {growth}; "
        f"recall {knn.get(100000, {}).get('recall_at_15', float('nan')):.3f} |",
        f"| peak RSS <= 1.5 GiB, 10k history run | {'yes' if c['peak_rss_mib'] <= 1536 else '**no**'} | "
        f"{c['peak_rss_mib']:,.0f} MiB |",
    ]
    return "\n".join(lines) + "\n"


def history_only() -> None:
    """Rows 2-4 alone (function path, ``newsclust run``, resume), side by side, into
    ``results/history_with_stories.json``: about 12 minutes instead of the whole sitting."""
    info = machine()
    with tempfile.TemporaryDirectory(prefix="newsclust-history-") as tmp:
        out = {"machine": info, **history_rows(Path(tmp), source_path())}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "history_with_stories.json").write_text(json.dumps(out, indent=2))
    f, c = out["functions_history"], out["cli_history"]
    if f.get("wall_seconds") and c.get("seconds"):
        print(
            f"newsclust run {c['seconds']} s / function path {f['wall_seconds']} s = "
            f"{c['seconds'] / f['wall_seconds']:.2f}x"
        )


if __name__ == "__main__":
    if sys.argv[1:] == ["--history"]:
        history_only()
    elif sys.argv[1:] == ["--report"]:  # re-write the markdown from the recorded JSON
        md = report(json.loads((RESULTS / "product_path.json").read_text()))
        (RESULTS / "product_path.md").write_text(md)
        print(md)
    else:
        main()
