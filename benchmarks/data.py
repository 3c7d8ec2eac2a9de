"""The first N articles of the shared HuffPost file, parsed once, the same for both approaches."""

from __future__ import annotations

import os
from pathlib import Path

from newsclust_assets.news_source import read_articles

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "news_category_10k.jsonl"


def source_path() -> Path:
    path = Path(os.environ.get("NEWSCLUST_BENCH_SOURCE") or DEFAULT_SOURCE)
    if not path.exists():
        raise SystemExit(f"benchmark data not found: {path} (set NEWSCLUST_BENCH_SOURCE)")
    return path


def first_lines_file(n: int, workdir: Path) -> Path:
    """A file holding the first ``n`` lines of the source (the articles both approaches get)."""
    out = workdir / f"first_{n}.jsonl"
    with source_path().open("rb") as src, out.open("wb") as dst:
        for i, line in enumerate(src):
            if i >= n:
                break
            dst.write(line)
    return out


def first_articles(n: int, workdir: Path) -> list[dict]:
    articles, _ = read_articles(first_lines_file(n, workdir))
    return articles
