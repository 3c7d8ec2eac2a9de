"""``python -m benchmarks.window_scale [--sizes 30000,100000] [--baseline TREE]``: one window's
stages (store, kNN, clustering, map) at N articles, time and memory, side by side.

Each size runs ``benchmarks.scale`` in its own child process (the real 10k vectors varied to
N; see that module), first for ``--baseline TREE`` (another checkout, e.g. a clone at an
earlier commit, with this virtual environment) where given, then for this tree. The 10k
vectors come from ``benchmarks.newsclust_path 10000`` (run first when missing: it embeds the
first 10k shared articles). Peak RSS is each stage's own and the process's true peak
(``measure.Stages.process_peak``). Results: printed, and written to
benchmarks/results/window_scale.{md,json}.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from .empty_days import REPO, commit
from .measure import run_child, true_peak
from .run import machine, write_results

STAGES = ("store", "knn", "cluster", "plot")


def child(tree: Path, module: str, args: list[str], out: Path, timeout_s: float = 3600) -> dict:
    env_backup = dict(os.environ)
    os.environ["PYTHONPATH"] = str(tree)
    try:
        result = run_child([sys.executable, "-m", f"benchmarks.{module}", *args, str(out)], timeout_s, cwd=tree)
    finally:
        os.environ.clear()
        os.environ.update(env_backup)
    if result["outcome"] != "ok" or not out.exists():
        return {"outcome": result["outcome"], "error": result["output"][-1500:]}
    data = json.loads(out.read_text())
    data["process_peak_rss_mib"] = true_peak(result, data)
    data["outcome"] = "ok"
    return data


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="30000,100000")
    parser.add_argument("--baseline", type=Path, help="another checkout of the repository, run side by side")
    parser.add_argument("--baseline-sizes", default="30000", help="sizes to run on the baseline too")
    parser.add_argument("--workdir", type=Path, help="keep the 10k vectors here between runs")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    base_sizes = [int(s) for s in args.baseline_sizes.split(",")] if args.baseline else []
    rows = []
    with tempfile.TemporaryDirectory(prefix="newsclust-window-scale-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        if not (work / "vectors_10000.npy").exists():
            print("embedding the first 10k shared articles (benchmarks.newsclust_path 10000)", flush=True)
            ten = child(REPO, "newsclust_path", ["10000", str(work)], work / "newsclust_10000.json")
            if ten["outcome"] != "ok":
                raise SystemExit(f"benchmarks.newsclust_path 10000 failed: {ten.get('error')}")
        for n in sizes:
            trees = ([("baseline", args.baseline.resolve())] if n in base_sizes else []) + [("this tree", REPO)]
            for label, tree in trees:
                result = child(tree, "scale", [str(n), str(work)], work / f"scale_{label[:4]}_{n}.json")
                row = {"n": n, "tree": label, "commit": commit(tree), **result}
                print(json.dumps({k: v for k, v in row.items() if k != "error"})[:800], flush=True)
                rows.append(row)
    info = machine()
    md = [
        f"One window at N articles, {info['date']}, {info['cores']} cores, Python {info['python']}, "
        f"numpy {info['versions'].get('numpy')}, scipy {info['versions'].get('scipy')}.",
        "",
        "`benchmarks.scale` in a child process per row: seconds and peak RSS (MiB) of each stage, "
        "and the process's true peak.",
        "",
        "| N | tree | kNN | " + " | ".join(f"{s} s / MiB" for s in STAGES) + " | process peak MiB |",
        "|---|---|---|" + "---|" * len(STAGES) + "---|",
    ]
    for r in rows:
        if r["outcome"] != "ok":
            md.append(f"| {r['n']:,} | {r['tree']} ({r['commit']}) | - | {r['outcome']} |")
            continue
        cells = []
        for s in STAGES:
            st = r["stages"].get(s)
            cells.append(f"{st['seconds']:.1f} / {st['peak_rss_mib']:,.0f}" if st else "-")
        md.append(
            f"| {r['n']:,} | {r['tree']} ({r['commit']}) | {r.get('knn_method', '-')} | "
            + " | ".join(cells)
            + f" | {r['process_peak_rss_mib']:,.0f} |"
        )
    return write_results("window_scale", {"machine": info, "rows": rows}, "\n".join(md) + "\n")


if __name__ == "__main__":
    main()
