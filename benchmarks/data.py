"""The first N articles of the shared HuffPost file, parsed once, the same for both approaches."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pandas as pd

from newsclust_assets.ingest.news_source import articles_for_day, read_articles

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


def day_frames(path: Path) -> tuple[list[dt.date], list[pd.DataFrame]]:
    """raw_news for every day of ``path`` that has articles: (days, one frame per day)."""
    days = sorted({a["date"] for a in read_articles(path)[0]})
    frames = [articles_for_day(path, d).articles for d in days]
    kept = [(d, f) for d, f in zip(days, frames) if len(f)]
    return [d for d, _ in kept], [f for _, f in kept]
