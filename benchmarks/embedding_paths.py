"""``python -m benchmarks.embedding_paths [--texts N] [--streams a,b,...]`` (issue 24 item 2): the
CPU paths for the bundled MiniLM side by side, speed with story quality beside it.

- speed: the same N texts of the shared HuffPost file (headline + description, as the product
  embeds them) through each backend (``torch``, ``onnx``, ``onnx-int8``; batches of 32),
  interleaved, median of 3 after a warm-up;
- agreement with torch: mean and minimum cosine, and the share of each text's 15 nearest
  neighbours kept;
- story quality: one window and the causal stream of story ids (pairwise F1, the product's
  functions through ``benchmarks.stream_path``) on each development stream
  (``benchmarks.streams``), with each backend's vectors.

Results: benchmarks/results/embedding_paths.{json,md}.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from newsclust_assets.vectors.embedding_models import BACKENDS, LocalSentenceTransformer

from . import stream_path, streams
from .data import first_articles
from .run import machine, write_results

STREAMS = ["uci-daily", "dense-labelled", "sparse-1", "sparse-2", "sparse-returns"]


def _knn(v: np.ndarray, k: int = 15) -> np.ndarray:
    sims = v @ v.T
    np.fill_diagonal(sims, -np.inf)
    return np.argsort(-sims, axis=1)[:, :k]


def speed(n: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        texts = [a["text"] for a in first_articles(n, Path(tmp))]
    models = {b: LocalSentenceTransformer(backend=b) for b in BACKENDS}
    for m in models.values():
        m.embed(texts[:64])  # load (and export) first: not timed
    times: dict[str, list[float]] = {b: [] for b in BACKENDS}
    vectors = {}
    for _ in range(3):
        for b, m in models.items():
            start = time.perf_counter()
            vectors[b] = m.embed(texts).vectors
            times[b].append(time.perf_counter() - start)
    ref = _knn(vectors["torch"])
    out = {}
    for b in BACKENDS:
        seconds = sorted(times[b])[1]
        cos = (vectors[b] * vectors["torch"]).sum(1)
        kept = np.mean([len(set(x) & set(y)) / ref.shape[1] for x, y in zip(ref, _knn(vectors[b]))])
        out[b] = {
            "docs_per_second": round(len(texts) / seconds, 1),
            "cosine_mean": round(float(cos.mean()), 4),
            "cosine_min": round(float(cos.min()), 4),
            "neighbours_kept": round(float(kept), 3),
        }
    return {"texts": len(texts), "backends": out}


def quality(names: list[str]) -> dict:
    out: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        paths = streams.write(tmp, names)
        for name in names:
            frame, _, labels = stream_path.load(paths[name])
            window = streams.VARIANTS[name][1]
            texts = list(frame["text"])
            out[name] = {"articles": len(frame)}
            for b in BACKENDS:
                vectors = LocalSentenceTransformer(backend=b).embed(texts).vectors
                one = stream_path.one_window(frame, vectors, labels)
                flow = stream_path.stream(frame, vectors, labels, window)
                out[name][b] = {"one_window": one["f1"], "stream": flow["f1"]}
                print(name, b, out[name][b], flush=True)
    return out


def main(n: int, names: list[str]) -> dict:
    info = machine()
    result = {"machine": info, "speed": speed(n), "quality": quality(names)}
    s = result["speed"]
    torch_rate = s["backends"]["torch"]["docs_per_second"]
    md = [
        f"The bundled all-MiniLM-L6-v2 on the CPU, {info['date']}, {info['cores']} cores, "
        f"torch {info['versions'].get('torch')}: {s['texts']} texts of the shared HuffPost file, batches of 32, "
        "interleaved, median of 3.",
        "",
        "| backend | docs/s | vs torch | cosine to torch (mean / min) | 15 nearest kept |",
        "|---|---|---|---|---|",
    ]
    for b, r in s["backends"].items():
        md.append(
            f"| {b} | {r['docs_per_second']} | {r['docs_per_second'] / torch_rate:.2f}x | "
            f"{r['cosine_mean']} / {r['cosine_min']} | {r['neighbours_kept']} |"
        )
    md += ["", "Story quality with each backend's vectors (pairwise F1, one window / stream):", ""]
    md += ["| stream | articles | " + " | ".join(BACKENDS) + " |", "|---|---|" + "---|" * len(BACKENDS)]
    for name, r in result["quality"].items():
        cells = [f"{r[b]['one_window']:.3f} / {r[b]['stream']:.3f}" for b in BACKENDS]
        md.append(f"| {name} | {r['articles']} | " + " | ".join(cells) + " |")
    return write_results("embedding_paths", result, "\n".join(md) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--streams", default=",".join(STREAMS))
    args = parser.parse_args()
    main(args.texts, [s for s in args.streams.split(",") if s])
