"""The model's best throughput on this machine: the same texts encoded at several batch
sizes (after a warm-up), docs/s for each."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from newsclust_assets.vectors.embedding_models import LocalSentenceTransformer

from .data import first_articles

BATCH_SIZES = (8, 16, 32, 64, 128)


def main(n: int, workdir: Path, out: Path) -> None:
    texts = [a["text"] for a in first_articles(n, workdir)]
    model = LocalSentenceTransformer()
    model.embed(texts[:64])  # warm-up: model load, first-call allocations
    rates = {}
    for batch in BATCH_SIZES:
        model.batch_size = batch
        start = time.perf_counter()
        model.embed(texts)
        rates[batch] = round(len(texts) / (time.perf_counter() - start), 1)
    best = max(rates, key=rates.get)
    out.write_text(
        json.dumps(
            {
                "texts": len(texts),
                "docs_per_second": rates,
                "best_batch_size": best,
                "best_docs_per_second": rates[best],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
