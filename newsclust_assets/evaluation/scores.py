"""Story-clustering scores against labelled stories. No Dagster imports.

Conventions, stated once and used everywhere (CLI, metadata, benchmarks):

- **Noise counts strictly**: every article labelled -1 (noise) is a cluster of its own,
  a singleton. Leaving an article unclustered therefore costs recall and never buys
  precision.
- Only articles with a story label take part; articles without one (empty or missing
  label) are counted in ``unlabelled`` and left out of every score.
- **Pairwise** precision / recall / F1 count unordered pairs of articles: a predicted pair
  is two articles in the same cluster, a true pair two in the same story. With no
  predicted pairs precision is 1 (nothing claimed, nothing wrong); with no true pairs
  recall is 1. F1 is their harmonic mean (0 when both are 0).
- **B-cubed** (Bagga & Baldwin 1998; Amigó et al. 2009): per article, precision is the
  share of its cluster that shares its story, recall the share of its story that shares
  its cluster; both averaged over articles.
- **ARI / AMI** (scikit-learn's adjusted_rand_score, here ``adjusted_rand`` from the same
  contingency table, and adjusted_mutual_info_score with arithmetic averaging) on the same
  noise-as-singletons labelling.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import adjusted_mutual_info_score

NOISE_CONVENTION = "strict: each noise article is a singleton cluster; articles without a story label are left out"


@dataclass(frozen=True)
class StoryScores:
    articles: int  # articles scored (with a story label)
    unlabelled: int  # articles left out: no story label
    stories: int  # labelled stories among the scored articles
    clusters: int  # predicted clusters among them (noise not counted)
    noise_share: float  # share of scored articles labelled noise
    pairwise_precision: float
    pairwise_recall: float
    pairwise_f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    ari: float
    ami: float

    def as_dict(self) -> dict:
        return asdict(self)


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def _pairs(counts: np.ndarray) -> float:
    counts = np.asarray(counts, np.float64)
    return float((counts * (counts - 1) / 2).sum())


def noise_as_singletons(labels: np.ndarray) -> np.ndarray:
    """Cluster labels with every -1 replaced by a label of its own (above every real one)."""
    labels = np.asarray(labels, np.int64).copy()
    noise = labels < 0
    top = int(labels.max()) + 1 if labels.size and (~noise).any() else 0
    labels[noise] = top + np.arange(int(noise.sum()))
    return labels


def _codes(values) -> np.ndarray:
    return np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)[1].astype(np.int64)


def contingency(a, b) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The non-zero cells of the contingency table of labelings ``a`` and ``b`` (their
    counts, and each cell's group in ``a`` and in ``b``), and the sizes of the groups."""
    a = np.unique(np.asarray(a), return_inverse=True)[1].ravel()
    b = np.unique(np.asarray(b), return_inverse=True)[1].ravel()
    width = int(b.max()) + 1 if b.size else 1
    keys, cells = np.unique(a * width + b, return_counts=True)
    return cells.astype(np.int64), keys // width, keys % width, np.bincount(a), np.bincount(b)


def adjusted_rand(a, b) -> float:
    """scikit-learn's ``adjusted_rand_score`` (Hubert & Arabie's ARI, from the pair confusion
    matrix) without its input checks, ten times faster: every window's metadata scores its
    clusters against the categories (and its stories, when labelled), 1,600 windows in a
    5-year history."""
    cells, _, _, sa, sb = contingency(a, b)
    n, same = int(cells.sum()), int((cells**2).sum())
    fp, fn = int((sb**2).sum()) - same, int((sa**2).sum()) - same
    tp, tn = same - n, n * n - fp - fn - same
    if fn == 0 and fp == 0:
        return 1.0
    return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))


def normalized_mutual_info(a, b) -> float:
    """scikit-learn's ``normalized_mutual_info_score`` (the entropies' arithmetic mean)."""
    cells, rows, cols, sa, sb = contingency(a, b)
    if sa.size == sb.size == 1:
        return 1.0
    n = float(cells.sum())
    p = cells / n
    mi = max(float((p * (np.log(cells * n) - np.log(sa[rows] * sb[cols].astype(np.float64)))).sum()), 0.0)
    if mi == 0.0:
        return 0.0
    ha, hb = (float(-(q * np.log(q)).sum()) for q in (sa / n, sb / n))
    return mi / ((ha + hb) / 2)


def story_scores(stories, labels) -> StoryScores:
    """Scores of cluster ``labels`` (-1 = noise) against ``stories`` (one label per article;
    None, NaN or "" = unlabelled)."""
    stories = list(stories)
    labels = np.asarray(labels, np.int64)
    if len(stories) != labels.size:
        raise ValueError(f"{len(stories)} story labels for {labels.size} cluster labels")
    known = np.array(
        [s is not None and not (isinstance(s, float) and np.isnan(s)) and str(s) != "" for s in stories], bool
    )
    n = int(known.sum())
    unlabelled = int(labels.size - n)
    if n == 0:
        return StoryScores(0, unlabelled, 0, 0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
    truth = _codes([s for s, k in zip(stories, known) if k])
    raw = labels[known]
    pred = noise_as_singletons(raw)
    # the non-zero (cluster, story) cells: O(n log n), never clusters x stories dense
    cell, c_of_cell, s_of_cell, cluster_size, story_size = contingency(pred, truth)
    tp = _pairs(cell)
    pred_pairs, true_pairs = _pairs(cluster_size), _pairs(story_size)
    p = tp / pred_pairs if pred_pairs else 1.0
    r = tp / true_pairs if true_pairs else 1.0
    # B-cubed: each article of cell (c, s) has precision n_cs / |c| and recall n_cs / |s|
    bp = float((cell * cell / cluster_size[c_of_cell]).sum() / n)
    br = float((cell * cell / story_size[s_of_cell]).sum() / n)
    if n == 1:
        ari = ami = 1.0
    else:
        ari = adjusted_rand(truth, pred)
        ami = float(adjusted_mutual_info_score(truth, pred))
    return StoryScores(
        articles=n,
        unlabelled=unlabelled,
        stories=int(story_size.size),
        clusters=int(np.unique(raw[raw >= 0]).size),
        noise_share=float((raw < 0).mean()),
        pairwise_precision=p,
        pairwise_recall=r,
        pairwise_f1=_f1(p, r),
        bcubed_precision=bp,
        bcubed_recall=br,
        bcubed_f1=_f1(bp, br),
        ari=ari,
        ami=ami,
    )
