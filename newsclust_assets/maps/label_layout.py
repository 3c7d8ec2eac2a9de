"""Where the map's story labels go, so that no two overlap and none hides another story.

A greedy collision pass in the spirit of datamapplot's label placement, on a nominal
pixel grid of the plot area: labels are placed largest story first, each at its story's
centre if that box is free, else at the first free spot on rings around it (joined to the
centre by a leader line). A box is free when it stays inside the plot, overlaps no label
placed before it and covers no other story's centre. The browser draws the plot at least
this large on a laptop screen, and a wider plot only moves boxes further apart in x.
No Dagster imports.
"""

from __future__ import annotations

import math

import numpy as np

PLOT_H = 600.0  # plot height in pixels: the map's 800 less its fixed top and bottom margins
# plot widths the layout must hold at: the window less the legend, laptop to wide screen (the
# boxes keep their size in pixels while the stories move apart with the width)
PLOT_WIDTHS = (650.0, 900.0, 1150.0)
CHAR_PX = 6.6  # mean width of a character at the labels' 11 px font
LABEL_H = 22.0  # one line of 11 px text with its padding and border
PAD = 3.0  # kept free around every box
CENTRE_PX = 5.0  # a story's centre counts as a dot this wide
RINGS = (30.0, 48.0, 66.0, 88.0, 112.0, 140.0, 175.0, 215.0, 260.0, 310.0, 370.0)
ANGLES = 16


def label_box(text: str) -> tuple[float, float]:
    """(width, height) in pixels of a label of ``text``."""
    return CHAR_PX * len(text) + 10.0, LABEL_H


def _overlap(a: tuple, b: tuple) -> float:
    """Area shared by two boxes (x0, y0, x1, y1)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _covered(box: tuple, dots: np.ndarray, own: int) -> float:
    """Area of ``box`` over every dot but dot ``own`` (a label may sit on its own story)."""
    w = np.minimum(box[2], dots[:, 2]) - np.maximum(box[0], dots[:, 0])
    h = np.minimum(box[3], dots[:, 3]) - np.maximum(box[1], dots[:, 1])
    area = np.where((w > 0) & (h > 0), w * h, 0.0)
    area[own] = 0.0
    return float(area.sum())


def place_labels(
    centres: np.ndarray,
    sizes: list[tuple[float, float]],
    others: np.ndarray,
    ranges: tuple[float, float, float, float],
    widths=PLOT_WIDTHS,
    height: float = PLOT_H,
) -> list[tuple[float, float]]:
    """Pixel offsets (dx, dy; dy up) of each label from its centre. ``centres``: (k, 2) data
    coordinates of the labelled stories, in placement order (largest first); ``sizes``: each
    label's box in pixels; ``others``: (m, 2) centres of the stories left unlabelled, which
    labels must not cover either; ``ranges``: the axes' (x0, x1, y0, y1) as drawn. A spot is free only if it is free at every plot width of
    ``widths``. (0, 0) means "on the centre", anything else needs a leader line. When no spot
    is free the one overlapping least is taken."""
    centres = np.asarray(centres, float).reshape(-1, 2)
    every = np.vstack([centres, np.asarray(others, float).reshape(-1, 2)])
    if not len(centres):
        return []
    lo, hi = np.array([ranges[0], ranges[2]], float), np.array([ranges[1], ranges[3]], float)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    frac = np.where(hi - lo > 0, (every - lo) / span, 0.5)
    grids = [frac * np.array([w, height]) for w in widths]  # the centres in pixels at each width
    dots = [np.c_[px - CENTRE_PX, px + CENTRE_PX] for px in grids]  # (x0, y0, x1, y1) of every centre
    candidates = [(0.0, 0.0)] + [
        (r * math.cos(math.pi / 2 + 2 * math.pi * a / ANGLES), r * math.sin(math.pi / 2 + 2 * math.pi * a / ANGLES))
        for r in RINGS
        for a in range(ANGLES)
    ]
    placed: list[list[tuple]] = [[] for _ in widths]
    out: list[tuple[float, float]] = []

    def box_at(k: int, i: int, dx: float, dy: float, w: float, h: float) -> tuple:
        cx, cy = grids[k][i, 0] + dx, grids[k][i, 1] + dy
        return (cx - w / 2 - PAD, cy - h / 2 - PAD, cx + w / 2 + PAD, cy + h / 2 + PAD)

    for i, (w, h) in enumerate(sizes):
        best, best_cost = (0.0, 0.0), math.inf
        for dx, dy in candidates:
            cost = 0.0
            for k, width in enumerate(widths):
                box = box_at(k, i, dx, dy, w, h)
                cost += (
                    max(0.0, -box[0]) + max(0.0, box[2] - width) + max(0.0, -box[1]) + max(0.0, box[3] - height)
                ) * h
                cost += sum(_overlap(box, p) for p in placed[k])
                cost += _covered(box, dots[k], i)
                if cost >= best_cost:
                    break
            if cost < best_cost:
                best, best_cost = (dx, dy), cost
                if cost == 0:
                    break
        for k in range(len(widths)):
            placed[k].append(box_at(k, i, *best, w, h))
        out.append((float(best[0]), float(best[1])))
    return out
