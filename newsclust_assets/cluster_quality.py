"""Summaries of a clustering: agreement with a reference labelling and a markdown table.
No Dagster imports."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score


def agreement(reference: list[str] | np.ndarray, labels: np.ndarray) -> dict[str, float] | None:
    """ARI and NMI of ``labels`` against ``reference`` (e.g. the source's category).

    ``*_all`` treats noise as one more label; ``*_clustered`` scores only the articles
    that got a cluster. None when the reference is missing for every article.
    """
    ref = np.asarray([r if isinstance(r, str) else "" for r in reference], dtype=object)
    labels = np.asarray(labels)
    known = ref != ""
    if not known.any():
        return None
    ref, labels = ref[known], labels[known]
    out = {
        "ari_all": float(adjusted_rand_score(ref, labels)),
        "nmi_all": float(normalized_mutual_info_score(ref, labels)),
    }
    clustered = labels >= 0
    if clustered.sum() >= 2:
        out["ari_clustered"] = float(adjusted_rand_score(ref[clustered], labels[clustered]))
        out["nmi_clustered"] = float(normalized_mutual_info_score(ref[clustered], labels[clustered]))
    return out


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")


def clusters_markdown(frame: pd.DataFrame, top_words: dict[int, list[str]], examples: int = 2) -> str:
    """Markdown table: one row per cluster with size, top words and example headlines.

    ``frame`` needs columns label, probability, headline.
    """
    lines = ["| cluster | size | top words | example headlines |", "|---:|---:|---|---|"]
    for label in sorted(c for c in frame["label"].unique() if c >= 0):
        members = frame[frame["label"] == label].sort_values("probability", ascending=False, kind="stable")
        heads = " · ".join(_md_cell(h) for h in members["headline"].head(examples))
        words = ", ".join(top_words.get(int(label), []))
        lines.append(f"| {label} | {len(members)} | {_md_cell(words)} | {heads} |")
    noise = int((frame["label"] < 0).sum())
    lines.append(f"| noise | {noise} | | |")
    return "\n".join(lines)
