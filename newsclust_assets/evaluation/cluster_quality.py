"""Summaries of a clustering: agreement with a reference labelling and a markdown table.
No Dagster imports."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .scores import adjusted_rand, normalized_mutual_info


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
        "ari_all": adjusted_rand(ref, labels),
        "nmi_all": normalized_mutual_info(ref, labels),
    }
    clustered = labels >= 0
    if clustered.sum() >= 2:
        out["ari_clustered"] = adjusted_rand(ref[clustered], labels[clustered])
        out["nmi_clustered"] = normalized_mutual_info(ref[clustered], labels[clustered])
    return out


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~-])")


def md_text(text) -> str:
    """``text`` as literal text inside Dagster's markdown: HTML tags and entities shown as
    typed, markdown syntax (links, images, emphasis, code, table pipes) backslash-escaped,
    line breaks flattened, so a headline can neither change a table nor inject a link."""
    text = str(text).replace("\r", " ").replace("\n", " ")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


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


CLUSTER_COLUMNS = {
    "cluster": "string",
    "size": "int",
    "central_headline": "string",
    "top_words": "string",
    "other_headlines": "string",
}


def cluster_rows(
    frame: pd.DataFrame, top_words: dict[int, list[str]], examples: int = 2, max_rows: int = 50
) -> list[dict]:
    """One row per cluster (by label, at most ``max_rows``, then one row counting the rest)
    with its size, most central headline, top words and other distinct example headlines,
    and a last row for the noise; the columns are ``CLUSTER_COLUMNS``. Text as written: the
    Dagster UI shows a table's cells as plain text.

    ``frame`` needs columns label, headline and centrality (or probability).
    """
    order_by = "centrality" if "centrality" in frame else "probability"
    rows: list[dict] = []
    labels = np.asarray(frame["label"])
    members = labels >= 0
    # one sort for all clusters (by label, then most central first), then contiguous slices:
    # a filter per cluster cost 40 ms a window, a tenth of a 1,607-window backfill
    order = np.lexsort((-np.asarray(frame[order_by], np.float64)[members], labels[members]))
    sorted_labels = labels[members][order]
    headlines = np.asarray(frame["headline"], dtype=object)[members][order]
    ids, starts, sizes = np.unique(sorted_labels, return_index=True, return_counts=True)
    for label, start, size in list(zip(ids.tolist(), starts.tolist(), sizes.tolist()))[:max_rows]:
        heads = distinct_headlines(headlines[start : start + size], examples + 1)
        rows.append(
            {
                "cluster": str(label),
                "size": int(size),
                "central_headline": heads[0] if heads else "",
                "top_words": ", ".join(top_words.get(int(label), [])),
                "other_headlines": " · ".join(heads[1:]),
            }
        )
    blank = {"central_headline": "", "top_words": "", "other_headlines": ""}
    if len(ids) > max_rows:
        rest = int(sizes[max_rows:].sum())
        rows.append({"cluster": f"{len(ids) - max_rows} more clusters", "size": rest, **blank})
    rows.append({"cluster": "noise", "size": int((frame["label"] < 0).sum()), **blank})
    return rows
