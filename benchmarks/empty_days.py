"""``python -m benchmarks.empty_days [--baseline TREE]``: what an empty day costs.

A sparse stream over years is mostly days without an article, and each is still a day
partition of three assets. Two sources, each through ``newsclust run --windows last`` from an
empty data directory, in child processes:

1. *sparse*: every 25th line of the shared file (~400 articles over 1,606 days);
2. *empty*: the shared file's first and last day only, and the ~1,600 empty days between.

For each: the time ``newsclust run`` reports for storing the days (raw_news -> embeddings ->
milvus_collection), per day; the Dagster home's size per day; and the files under the IO
manager's storage. ``--baseline TREE`` runs a second checkout of the repository (e.g. a clone
at an earlier commit) side by side, interleaved, with this repository's virtual environment.
Results: printed, and written to benchmarks/results/empty_days.{md,json}.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .data import source_path
from .run import machine, write_results

REPO = Path(__file__).resolve().parent.parent


def sources(workdir: Path) -> dict[str, Path]:
    lines = source_path().read_bytes().splitlines()
    dates = [json.loads(line)["date"][:10] for line in lines]
    first, last = min(dates), max(dates)
    sparse = workdir / "sparse.jsonl"
    sparse.write_bytes(b"\n".join(lines[::25]) + b"\n")
    ends = workdir / "empty.jsonl"
    ends.write_bytes(b"\n".join(line for line, d in zip(lines, dates) if d in (first, last)) + b"\n")
    return {"sparse": sparse, "empty": ends}


def tree_size(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def one_run(tree: Path, source: Path, data: Path) -> dict:
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "NEWSCLUST_SOURCE": str(source),
        "NEWSCLUST_DATA_DIR": str(data),
        "PYTHONWARNINGS": "ignore",
    }
    env.pop("DAGSTER_HOME", None)
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "newsclust_assets.cli", "run", "--windows", "last"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    wall = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(f"newsclust run failed in {tree}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    stored = re.search(r"stored (\d+) days in ([\d.]+) s", proc.stdout)
    if stored is None:
        raise SystemExit(f"no 'stored N days' line from newsclust run in {tree}:\n{proc.stdout[-2000:]}")
    days, seconds = int(stored.group(1)), float(stored.group(2))
    home_bytes, home_files = tree_size(data / "dagster_home")
    storage = data / "dagster_home" / "storage"
    value_files = sum(1 for p in storage.rglob("*") if p.is_file()) if storage.exists() else 0
    return {
        "days": days,
        "store_s": seconds,
        "ms_per_day": round(1000 * seconds / days, 2),
        "wall_s": round(wall, 1),
        "dagster_home_mb": round(home_bytes / 2**20, 1),
        "kb_per_day": round(home_bytes / 1024 / days, 1),
        "dagster_home_files": home_files,
        "value_files": value_files,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="another checkout of the repository, run side by side")
    args = parser.parse_args(argv)
    trees = {"this tree": REPO}
    if args.baseline:
        trees = {"baseline": args.baseline.resolve(), **trees}
    rows = []
    with tempfile.TemporaryDirectory(prefix="newsclust-empty-days-") as tmp:
        work = Path(tmp)
        for name, source in sources(work).items():
            for label, tree in trees.items():  # interleaved: the same source on each tree in turn
                row = {
                    "source": name,
                    "tree": label,
                    "commit": commit(tree),
                    **one_run(tree, source, work / f"{name}-{label}"),
                }
                print(json.dumps(row), flush=True)
                rows.append(row)
    info = machine()
    md = [
        f"Empty days, {info['date']}, {info['cores']} cores, Python {info['python']}, "
        f"dagster {info['versions'].get('dagster')}, milvus-lite {info['versions'].get('milvus-lite')}.",
        "",
        "`newsclust run --windows last` from an empty data directory; 'store' is the time it reports for "
        "raw_news -> embeddings -> milvus_collection over every day.",
        "",
        "| source | tree | days | store s | ms / day | Dagster home MB | KB / day | files in home | value files |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        md.append(
            f"| {r['source']} | {r['tree']} ({r['commit']}) | {r['days']} | {r['store_s']:.1f} | {r['ms_per_day']} | "
            f"{r['dagster_home_mb']} | {r['kb_per_day']} | {r['dagster_home_files']} | {r['value_files']} |"
        )
    return write_results("empty_days", {"machine": info, "rows": rows}, "\n".join(md) + "\n")


def commit(tree: Path) -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=tree, capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=tree, capture_output=True, text=True
    )
    return out.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


if __name__ == "__main__":
    main()
