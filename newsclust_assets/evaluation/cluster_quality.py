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


def distinct_headlines(headlines, limit: int) -> list[str]:
    """The first ``limit`` headlines that differ once case, punctuation and spacing are ignored."""
    seen, out = set(), []
    for h in headlines:
        key = " ".join("".join(ch for ch in str(h).lower() if ch.isalnum() or ch.isspace()).split())
        if key in seen:
            continue
        seen.add(key)
        out.append(str(h))
        if len(out) == limit:
            break
    return out


def clusters_markdown(frame: pd.DataFrame, top_words: dict[int, list[str]], examples: int = 2,
                      max_rows: int = 50) -> str:
    """Markdown table: one row per cluster (largest first, at most ``max_rows``) with size,
    its most central headline, top words and other distinct example headlines.

    ``frame`` needs columns label, headline and centrality (or probability).
    """
    order_by = "centrality" if "centrality" in frame else "probability"
    lines = ["| cluster | size | central headline | top words | other headlines |", "|---:|---:|---|---|---|"]
    labels = sorted(c for c in frame["label"].unique() if c >= 0)
    for label in labels[:max_rows]:
        members = frame[frame["label"] == label].sort_values(order_by, ascending=False, kind="stable")
        heads = distinct_headlines(members["headline"], examples + 1)
        words = ", ".join(top_words.get(int(label), []))
        others = " · ".join(_md_cell(h) for h in heads[1:])
        lines.append(f"| {label} | {len(members)} | {_md_cell(heads[0]) if heads else ''} | {_md_cell(words)} | {others} |")
    if len(labels) > max_rows:
        lines.append(f"| ... | {len(labels) - max_rows} more clusters | | | |")
    noise = int((frame["label"] < 0).sum())
    lines.append(f"| noise | {noise} | | | |")
    return "\n".join(lines)
