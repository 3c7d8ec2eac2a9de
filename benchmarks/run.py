"""Entry point: ``python -m benchmarks.run`` (``make bench``).

In one sitting and one process tree: the model's throughput at several batch sizes; the
notebook approach and newsclust side by side on the first N articles of the shared 10k
set for each N; the scale run of the stages after embedding at 10k/50k/100k vectors.
Each (approach, N) runs in its own child process, so peak RSS is its own. Results are
printed and written to benchmarks/results/ as JSON and markdown.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from .measure import run_child, true_peak
from .report import markdown

RESULTS = Path(__file__).resolve().parent / "results"


def write_results(name: str, result: dict, md: str) -> dict:
    """benchmarks/results/<name>.json and .md; prints the markdown."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2))
    (RESULTS / f"{name}.md").write_text(md)
    print(md)
    return result


PACKAGES = [
    "torch",
    "sentence-transformers",
    "pymilvus",
    "milvus-lite",
    "umap-learn",
    "pynndescent",
    "hdbscan",
    "fast_hdbscan",
    "numba",
    "numpy",
    "scipy",
    "plotly",
    "dagster",
    "openai",
]


def machine() -> dict:
    cpu = ""
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    mem = ""
    try:
        kb = int(
            next(
                line.split()[1]
                for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")
            )
        )
        mem = f"{kb / 2**20:.1f} GiB"
    except (OSError, StopIteration):
        pass
    versions = {}
    for p in PACKAGES:
        try:
            versions[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            versions[p] = "not installed"
    return {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "cores": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "memory": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


def worker(module: str, n: int, workdir: Path, timeout_s: float) -> dict:
    out = workdir / f"{module}_{n}.json"
    child = run_child([sys.executable, "-m", f"benchmarks.{module}", str(n), str(workdir), str(out)], timeout_s)
    if child["outcome"] != "ok" or not out.exists():
        print(f"  {module} N={n}: {child['outcome']}\n{child['output']}", flush=True)
        return {"n": n, "outcome": child["outcome"], "stages": {}, "error": child["output"][-1500:]}
    result = json.loads(out.read_text())
    result["process_peak_rss_mib"] = true_peak(child, result)
    return result


def growth(scale: list[dict]) -> list[dict]:
    """Exponent b of time ~ N^b between consecutive sizes, per stage and in total."""
    rows = []
    for a, b in zip(scale, scale[1:]):
        if not a.get("stages") or not b.get("stages"):
            continue
        ratio = b["n"] / a["n"]
        row = {
            "from": a["n"],
            "to": b["n"],
            "n_log_n_exponent": round(math.log(ratio * math.log(b["n"]) / math.log(a["n"])) / math.log(ratio), 3),
        }
        for stage in list(a["stages"]) + ["total"]:
            ta = sum(s["seconds"] for s in a["stages"].values()) if stage == "total" else a["stages"][stage]["seconds"]
            tb = sum(s["seconds"] for s in b["stages"].values()) if stage == "total" else b["stages"][stage]["seconds"]
            row[stage] = round(math.log(tb / ta) / math.log(ratio), 3) if ta > 0 and tb > 0 else None
        rows.append(row)
    return rows


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    p.add_argument("--sizes", default="1000,2000,5000,10000", help="N for the side-by-side comparison")
    p.add_argument("--scale", default="10000,50000,100000", help="vector counts for the scale run ('' to skip)")
    p.add_argument("--throughput-texts", type=int, default=2000)
    p.add_argument("--out", default=str(RESULTS), help="directory for results.json and results.md")
    p.add_argument("--workdir", default="", help="scratch directory (default: a temporary one)")
    args = p.parse_args(argv)
    sizes = [int(x) for x in args.sizes.split(",") if x]
    scale = [int(x) for x in args.scale.split(",") if x]
    if scale and 10_000 not in sizes:
        raise SystemExit("the scale run builds on the 10,000-article newsclust run: keep 10000 in --sizes")
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="newsclust_bench_"))
    workdir.mkdir(parents=True, exist_ok=True)
    report = {"machine": machine(), "sizes": sizes, "comparison": [], "scale": []}
    print(f"benchmark on {report['machine']['cores']} cores, {report['machine']['cpu']}; scratch {workdir}", flush=True)
    report["throughput"] = worker("throughput", args.throughput_texts, workdir, 1800)
    print(f"  model throughput: {report['throughput'].get('docs_per_second')}", flush=True)
    # warm-up, not reported: fills numba's disk cache for both approaches' UMAP and HDBSCAN
    # code, so that no one's stage pays the one-off compilation
    for module in ("notebook", "newsclust_path"):
        worker(module, 300, workdir, 1800)
    for n in sizes:
        for module in ("notebook", "newsclust_path"):
            result = worker(module, n, workdir, 3600)
            result.setdefault("approach", "newsclust" if module == "newsclust_path" else "notebook")
            report["comparison"].append(result)
            stages = {k: v["seconds"] for k, v in result.get("stages", {}).items()}
            print(f"  {result['approach']:9s} N={n}: {stages} outcome={result.get('outcome')}", flush=True)
    for n in scale:
        result = worker("scale", n, workdir, 3600)
        result["n"] = result.get("n", n)
        report["scale"].append(result)
        print(f"  scale N={n}: { {k: v['seconds'] for k, v in result.get('stages', {}).items()} }", flush=True)
    report["growth"] = growth(report["scale"])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(report, indent=2))
    text = markdown(report)
    (out / "results.md").write_text(text)
    print(text)
    print(f"written: {out / 'results.json'}, {out / 'results.md'}")


if __name__ == "__main__":
    main()
