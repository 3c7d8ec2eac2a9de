"""Scores over a stream of days: story ids against labelled stories. No Dagster imports.

Each article is scored by the story id it got when it was first clustered (``first_story``
in the ``story_articles_<day>.csv`` files), so the scores are causal: what a reader saw on
that day, before any later merge. Articles never clustered count as singletons (noise,
strictly). Also reported: the same scores with recorded merges followed to their
survivor, the mean number of story ids per labelled story (fragmentation; 1 is perfect)
(also counting only ids that hold at least 10 % of the story, so that a few stray
articles do not count as fragments) and the mean number of labelled stories per story id
(merging; 1 is perfect).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import files
from .scores import story_scores


def read_first_ids(directory: str | Path) -> tuple[dict[str, str], dict[str, str]]:
    """({article: first story id}, {story id: merged into}) from a story store directory."""
    root = files.at(directory)
    first: dict[str, str] = {}
    merged: dict[str, str] = {}
    for path in sorted(root.glob("story_articles_*.csv"), key=str):
        frame = files.read_csv_text(path, ["id", "first_story"])
        for a, sid in zip(frame["id"], frame["first_story"]):
            first.setdefault(a, sid)
    for path in sorted(root.glob("stories_*.csv"), key=str):
        frame = files.read_csv_text(path, ["story", "merged_into"])
        for sid, into in zip(frame["story"], frame["merged_into"]):
            if into:
                merged[sid] = into
    return first, merged


def _resolve(sid: str, merged: dict[str, str]) -> str:
    seen = set()
    while sid in merged and sid not in seen:
        seen.add(sid)
        sid = merged[sid]
    return sid


def stream_scores(truth: dict[str, str], first: dict[str, str], merged: dict[str, str]) -> dict:
    """``truth``: article -> labelled story (articles without one are left out)."""
    ids = [a for a, s in truth.items() if s]
    if not ids:
        return {}
    stories = [truth[a] for a in ids]
    codes: dict[str, int] = {}

    def labels(resolve: bool) -> list[int]:
        out = []
        for a in ids:
            sid = first.get(a)
            if sid is None:
                out.append(-1)
                continue
            if resolve:
                sid = _resolve(sid, merged)
            out.append(codes.setdefault(sid, len(codes)))
        return out

    causal, resolved = story_scores(stories, labels(False)), story_scores(stories, labels(True))
    frame = pd.DataFrame({"story": stories, "id": [first.get(a, "") for a in ids]})
    clustered = frame[frame["id"] != ""]
    return {
        "articles": len(ids),
        "clustered": len(clustered),
        "stories": frame["story"].nunique(),
        "story_ids": clustered["id"].nunique(),
        "pairwise_precision": causal.pairwise_precision,
        "pairwise_recall": causal.pairwise_recall,
        "pairwise_f1": causal.pairwise_f1,
        "ari": causal.ari,
        "bcubed_f1": causal.bcubed_f1,
        "pairwise_f1_merges_followed": resolved.pairwise_f1,
        "ari_merges_followed": resolved.ari,
        "ids_per_story": float(clustered.groupby("story")["id"].nunique().mean()) if len(clustered) else 0.0,
        "main_ids_per_story": _main_ids(clustered),
        "stories_per_id": float(clustered.groupby("id")["story"].nunique().mean()) if len(clustered) else 0.0,
    }


def _main_ids(clustered: pd.DataFrame, share: float = 0.1) -> float:
    """Mean number of story ids per labelled story, counting only ids that hold at least
    ``share`` of the story's clustered articles (strays left out)."""
    if not len(clustered):
        return 0.0
    counts = clustered.groupby(["story", "id"]).size()
    shares = counts / counts.groupby(level=0).transform("sum")
    return float((shares >= share).groupby(level=0).sum().mean())


def format_stream(s: dict) -> str:
    return (
        f"stream ({s['articles']} labelled articles, {s['stories']} stories, {s['story_ids']} story ids; each "
        f"article scored by its id at first assignment): pairwise P {s['pairwise_precision']:.3f} R "
        f"{s['pairwise_recall']:.3f} F1 {s['pairwise_f1']:.3f}, ARI {s['ari']:.3f}, B3 F1 {s['bcubed_f1']:.3f}; "
        f"ids per story {s['ids_per_story']:.2f} ({s['main_ids_per_story']:.2f} holding >= 10 % of it), "
        f"stories per id {s['stories_per_id']:.2f}; with merges followed: "
        f"F1 {s['pairwise_f1_merges_followed']:.3f}, ARI {s['ari_merges_followed']:.3f}"
    )
