"""Labelled streams for developing story tracking, made from the shared files.

``python -m benchmarks.streams OUT_DIR`` writes each variant as a JSON-lines file that
``newsclust evaluate`` reads (field ``story``; background rows have none). Every variant is
built by a fixed rule and seed from ``../shared/data``, so it is the same on every machine:

- ``uci-daily``: the UCI dev set as it is (3 dense days; every story within one day).
- ``dense-multiday``: 50 of UCI's 87 stories re-dated so that each runs over 1-5
  consecutive days of an 8-day stream; the other 37 stories (re-dated the same way) and the
  10,000 HuffPost rows (spread over the days with uneven volume) are unlabelled background:
  about 16,000 articles, 1,200-2,900 a day. Different stories of one subject (UCI has
  several) may now fall on the same or on neighbouring days.
- ``dense-labelled``: ``dense-multiday`` with all 87 stories labelled (the HuffPost rows stay
  background). In ``dense-multiday`` a merge with one of the 37 unlabelled UCI stories, which
  are often of the same subject, costs no precision; here it does, as in UCI itself.
- ``dense-returns``: the same, but a third of the labelled stories pause and return:
  their articles split into two bursts 10-90 days apart, over a 100-day stream (about 160
  articles a day).
- ``sparse-<seed>``: 69 stories with geometric sizes (mean 5.5, about 380 articles) drawn
  from UCI, each starting on a random day of five years and running over up to a week
  (the shape of the sparse labelled set the project is scored on).
- ``sparse-returns``: ``sparse-0`` with a third of its stories returning 30-300 days later.

Texts are the shared rows' own; only the dates (and, for background rows, the labels) change.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
UCI = SHARED / "uci_stories_dev.jsonl"
HUFFPOST = SHARED / "news_category_10k.jsonl"
# every variant lies in the past (the sparse ones span five years, returns up to 300 days more):
# Dagster makes no day partition after today, so `newsclust evaluate` would leave out later days
START = dt.date(2019, 1, 1)


def _rows(path: Path) -> list[dict]:
    if not path.exists():
        raise SystemExit(f"benchmarks.streams needs {path}")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _by_story(rows: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(r["story"], []).append(r)
    return out


def _dated(row: dict, day: dt.date, story: str | None) -> dict:
    out = {k: v for k, v in row.items() if k != "story"}
    out["date"] = day.isoformat()
    if story:
        out["story"] = story
    return out


def _spread(members: list[dict], first: int, length: int, rng, story: str | None) -> list[dict]:
    """A story's articles over ``length`` consecutive days from day ``first``, front-loaded
    as news is (day i gets weight 1 / (i + 1)), each day at least one article when it can."""
    weights = 1.0 / np.arange(1, length + 1)
    days = rng.choice(length, size=len(members), p=weights / weights.sum())
    days[: min(length, len(members))] = np.arange(min(length, len(members)))
    return [_dated(r, START + dt.timedelta(days=first + int(d)), story) for r, d in zip(members, days)]


def dense(seed: int = 0, days: int = 8, labelled: int = 50, returns: bool = False) -> list[dict]:
    rng = np.random.default_rng(seed)
    stories = _by_story(_rows(UCI))
    names = sorted(stories)
    rng.shuffle(names)
    span = 100 if returns else days
    out = []
    for i, name in enumerate(names):
        members = list(stories[name])
        rng.shuffle(members)
        length = int(rng.integers(1, 6))
        keep = name if i < labelled else None
        if returns and keep and i % 3 == 0 and len(members) >= 4:
            gap = int(rng.integers(10, 91))
            first = int(rng.integers(0, span - gap - 2 * length))
            half = len(members) // 2
            out += _spread(members[:half], first, length, rng, keep)
            out += _spread(members[half:], first + gap, int(rng.integers(1, 4)), rng, keep)
        else:
            first = int(rng.integers(0, span - length + 1))
            out += _spread(members, first, length, rng, keep)
    volume = rng.uniform(0.5, 1.5, span)
    huff = _rows(HUFFPOST)
    for r, d in zip(huff, rng.choice(span, size=len(huff), p=volume / volume.sum())):
        out.append(_dated(r, START + dt.timedelta(days=int(d)), None))
    return sorted(out, key=lambda r: r["date"])


def sparse(seed: int, returns: bool = False, n_stories: int = 69, mean_size: float = 383 / 69) -> list[dict]:
    rng = np.random.default_rng(seed)
    stories = _by_story(_rows(UCI))
    names = sorted(stories)
    rng.shuffle(names)
    out = []
    for i, (name, size) in enumerate(zip(names[:n_stories], rng.geometric(1 / mean_size, n_stories))):
        members = list(stories[name])
        pick = rng.choice(len(members), min(int(min(size, 40)), len(members)), replace=False)
        chosen = [members[j] for j in sorted(pick)]
        first = int(rng.integers(0, 5 * 365))
        if returns and i % 3 == 0 and len(chosen) >= 4:
            half = len(chosen) // 2
            gap = int(rng.integers(30, 301))
            out += [_dated(r, START + dt.timedelta(days=first + int(rng.integers(0, 7))), name) for r in chosen[:half]]
            out += [
                _dated(r, START + dt.timedelta(days=first + gap + int(rng.integers(0, 3))), name) for r in chosen[half:]
            ]
        else:
            out += [_dated(r, START + dt.timedelta(days=first + int(rng.integers(0, 7))), name) for r in chosen]
    return sorted(out, key=lambda r: r["date"])


def uci_daily() -> list[dict]:
    return _rows(UCI)


# name -> (builder, the window a user would run the stream with, in days)
VARIANTS = {
    "uci-daily": (uci_daily, 1),
    "dense-multiday": (lambda: dense(0), 1),
    "dense-labelled": (lambda: dense(0, labelled=87), 1),
    "dense-returns": (lambda: dense(1, returns=True), 7),
    "sparse-0": (lambda: sparse(0), 30),
    "sparse-1": (lambda: sparse(1), 30),
    "sparse-2": (lambda: sparse(2), 30),
    "sparse-returns": (lambda: sparse(0, returns=True), 30),
}


def write(out_dir: str | Path, names: list[str] | None = None) -> dict[str, Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name in names or list(VARIANTS):
        rows = VARIANTS[name][0]()
        path = out_dir / f"{name}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        paths[name] = path
    return paths


if __name__ == "__main__":
    for name, path in write(sys.argv[1] if len(sys.argv) > 1 else "streams").items():
        print(f"{name}: {path} (window {VARIANTS[name][1]} days)")
