"""The benchmark's markdown report and its verdict on each target."""

from __future__ import annotations

import math

STAGES = ["load", "embed", "store", "knn", "cluster", "plot"]
STAGE_NAMES = {
    "load": "load (parse, per day)",
    "embed": "embed",
    "store": "store (Milvus Lite)",
    "knn": "kNN graph",
    "cluster": "reduce + cluster",
    "plot": "plot (2-D + HTML)",
}
RSS_TARGET_MIB = 1536


def _total(result: dict) -> float:
    return sum(s["seconds"] for s in result.get("stages", {}).values())


def _peak(result: dict) -> float:
    return max((s["peak_rss_mib"] for s in result.get("stages", {}).values()), default=0.0)


def _fmt(x, digits=2):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.{digits}f}" if isinstance(x, float) else str(x)


def _pair(report: dict, n: int) -> tuple[dict, dict]:
    nb = next(r for r in report["comparison"] if r["n"] == n and r.get("approach") == "notebook")
    nc = next(r for r in report["comparison"] if r["n"] == n and r.get("approach") == "newsclust")
    return nb, nc


def targets(report: dict) -> list[tuple[str, bool, str]]:
    out = []
    best = report["throughput"].get("best_docs_per_second")
    sizes = report["sizes"]
    n_max = max(sizes)
    nb, nc = _pair(report, n_max)
    if best and nc.get("stages"):
        embed = nc["stages"]["embed"]
        rate = n_max / embed.get("encode_seconds", embed["seconds"])
        out.append(
            (
                f"Embedding at >= 90 % of the model's best throughput (N={n_max})",
                rate >= 0.9 * best,
                f"{rate:.0f} docs/s = {rate / best:.0%} of {best:.0f} docs/s (best batch "
                f"{report['throughput']['best_batch_size']}); encode time, one call per day partition; "
                f"the stage's {embed['seconds']:.1f} s include loading the model",
            )
        )
    if nc.get("stages"):
        share = nc["stages"]["knn"]["seconds"] / nc["stages"]["embed"]["seconds"]
        k = 15
        out.append(
            (
                f"kNN graph for {n_max:,} vectors <= 10 % of embedding time, memory O(N k)",
                share <= 0.10 and nc["edges"] <= n_max * k,
                f"{nc['stages']['knn']['seconds']:.2f} s = {share:.1%} of {nc['stages']['embed']['seconds']:.1f} s; "
                f"{nc['edges']:,} edges <= N k = {n_max * k:,}; stage peak {nc['stages']['knn']['peak_rss_mib']:.0f} MiB",
            )
        )
        speed = _total(nb) / _total(nc)
        peak = _peak(nc)
        crashes = [r for r in report["comparison"] if r.get("approach") == "newsclust" and r.get("outcome") != "ok"]
        out.append(
            (
                f"{n_max:,} articles raw -> map >= 2x faster than the notebook",
                speed >= 2,
                f"{_total(nb):.1f} s / {_total(nc):.1f} s = {speed:.2f}x (notebook: {nb.get('outcome')})",
            )
        )
        out.append((f"peak RSS <= 1.5 GiB for {n_max:,} articles", peak <= RSS_TARGET_MIB, f"{peak:.0f} MiB"))
        out.append(
            (
                "newsclust never crashes, at any N",
                not crashes,
                ", ".join(
                    f"N={r['n']}: {r.get('outcome')}" for r in report["comparison"] if r.get("approach") == "newsclust"
                ),
            )
        )
    scale = [r for r in report.get("scale", []) if r.get("stages")]
    if scale:
        top = scale[-1]
        out.append(
            (
                f"{top['n']:,} vectors store -> kNN -> cluster -> plot completes",
                True,
                f"{_total(top):.0f} s, peak {_peak(top):.0f} MiB",
            )
        )
        first = scale[0]
        ratio = top["n"] / first["n"]
        exponent = math.log(_total(top) / _total(first)) / math.log(ratio)
        nlogn = math.log(ratio * math.log(top["n"]) / math.log(first["n"])) / math.log(ratio)
        out.append(
            (
                f"time grows at most like N log N from {first['n']:,} to {top['n']:,}",
                exponent <= nlogn,
                f"N^{exponent:.2f} (N log N is N^{nlogn:.2f} over this range)",
            )
        )
    return out


def markdown(report: dict) -> str:
    m = report["machine"]
    lines = [
        "# newsclust benchmark",
        "",
        f"Run {m['date']} on {m['cores']} cores ({m['cpu']}), {m['memory']} RAM, Python {m['python']}.",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()) + ".",
        "",
        "Command: `make bench` (`python -m benchmarks.run`). Each approach and N ran in its own process; "
        "peak RSS is that process's high-water mark during the stage. Ratios are newsclust / notebook "
        "(below 1 = newsclust faster).",
        "",
    ]
    lines += ["## Targets", "", "| target | met | measured |", "|---|---|---|"]
    for name, ok, detail in targets(report):
        lines.append(f"| {name} | {'yes' if ok else '**no**'} | {detail} |")
    tp = report["throughput"]
    if tp.get("docs_per_second"):
        lines += [
            "",
            f"## Model throughput (all-MiniLM-L6-v2, {tp['texts']} texts, one call per batch size)",
            "",
            "| batch size | " + " | ".join(str(b) for b in tp["docs_per_second"]) + " |",
            "|---|" + "---|" * len(tp["docs_per_second"]),
            "| docs/s | " + " | ".join(_fmt(v, 0) for v in tp["docs_per_second"].values()) + " |",
        ]
    for n in report["sizes"]:
        nb, nc = _pair(report, n)
        lines += [
            "",
            f"## N = {n:,}",
            "",
            "| stage | notebook s | newsclust s | ratio | notebook peak MiB | newsclust peak MiB |",
            "|---|---|---|---|---|---|",
        ]
        for st in STAGES:
            a, b = nb.get("stages", {}).get(st), nc.get("stages", {}).get(st)
            ratio = b["seconds"] / a["seconds"] if a and b and a["seconds"] > 0 else None
            note = f" ({a['outcome']})" if a and a.get("outcome") and a["outcome"] != "ok" else ""
            lines.append(
                f"| {STAGE_NAMES[st]} | {_fmt(a['seconds'] if a else None)}{note} | "
                f"{_fmt(b['seconds'] if b else None)} | {_fmt(ratio)} | "
                f"{_fmt(a['peak_rss_mib'] if a else None, 0)} | {_fmt(b['peak_rss_mib'] if b else None, 0)} |"
            )
        ta, tb = _total(nb), _total(nc)
        lines.append(
            f"| **total** | {ta:.2f} | {tb:.2f} | {_fmt(tb / ta if ta else None)} | {_peak(nb):.0f} | {_peak(nc):.0f} |"
        )
        lines += ["", "| | outcome | clusters | noise | ARI | NMI |", "|---|---|---|---|---|---|"]
        for r in (nb, nc):
            lines.append(
                f"| {r.get('approach')} | {r.get('outcome')} | {_fmt(r.get('clusters'))} | "
                f"{_fmt(r.get('noise_share'))} | {_fmt(r.get('ari_all'), 3)} | {_fmt(r.get('nmi_all'), 3)} |"
            )
    scale = report.get("scale", [])
    if scale:
        lines += [
            "",
            "## Scale run (stages after embedding)",
            "",
            "| vectors | store s | kNN s | cluster s | plot s | total s | peak MiB | clusters | noise |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in scale:
            s = r.get("stages", {})
            cells = [_fmt(s[k]["seconds"] if k in s else None) for k in ("store", "knn", "cluster", "plot")]
            lines.append(
                f"| {r['n']:,} | " + " | ".join(cells) + f" | {_total(r):.1f} | {_peak(r):.0f} | "
                f"{_fmt(r.get('clusters'))} | {_fmt(r.get('noise_share'))} |"
            )
        if report.get("growth"):
            lines += [
                "",
                "Growth exponent b (time ~ N^b) between sizes:",
                "",
                "| from | to | store | kNN | cluster | plot | total | N log N would be |",
                "|---|---|---|---|---|---|---|---|",
            ]
            for g in report["growth"]:
                lines.append(
                    f"| {g['from']:,} | {g['to']:,} | "
                    + " | ".join(_fmt(g.get(k)) for k in ("store", "knn", "cluster", "plot", "total"))
                    + f" | {g['n_log_n_exponent']:.2f} |"
                )
    return "\n".join(lines) + "\n"
