"""A scripted stream of stories with known transitions, for tests of story tracking. No Dagster imports.

``python -m newsclust_assets.evaluation.story_stream`` prints the script and what the
tracker finds day by day.

Each story has a direction in a 64-d space; its articles are that direction plus a little
noise (cosine about 0.8 within a story, about 0 across stories). Each day lists the
clusters of its window (W = 3 days) as the articles they hold, as ``cluster_labels``
would give them, so the tracker's input is exact and the expected transitions are too:

- day 1: stories A (5 articles), B (4) and C (3) are born;
- day 2: A grows (+4), B grows (+1), C continues with no new articles;
- day 3: A and B land in one cluster: B merges into A; D is born; C's articles are
  noise: C ends;
- day 4: A's cluster splits in two: A continues in the larger, the smaller (A's three
  drifted articles and three new ones like them) is split from A (A2);
- day 5: A and A2 are noise (end); E is born;
- day 6: D and E continue;
- day 7: new articles like C's: C returns after 4 days unseen.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

FIRST_DAY = dt.date(2024, 5, 1)
WINDOW = 3
DIM = 64


def _arts(story: str, numbers) -> list[tuple[str, int]]:
    return [(story, i) for i in numbers]


# day -> the window's clusters, each a list of (story, article number); window articles in
# no cluster are noise
SCRIPT: dict[int, list[list[tuple[str, int]]]] = {
    1: [_arts("A", range(5)), _arts("B", range(4)), _arts("C", range(3))],
    2: [_arts("A", range(9)), _arts("B", range(5)), _arts("C", range(3))],
    3: [_arts("A", range(14)) + _arts("B", range(5)), _arts("D", range(4))],
    4: [
        _arts("A", range(5, 11)) + _arts("B", [4]) + _arts("A", range(14, 18)),
        _arts("A", range(11, 14)) + _arts("A2", range(3)),
        _arts("D", range(6)),
    ],
    5: [_arts("D", range(8)), _arts("E", range(3))],
    6: [_arts("D", range(4, 10)), _arts("E", range(5))],
    7: [_arts("D", range(6, 12)), _arts("E", range(6)), _arts("C", range(10, 14))],
}
# the day each article arrives: story -> [(first number, last number + 1, day)]
ARRIVALS: dict[str, list[tuple[int, int, int]]] = {
    "A": [(0, 5, 1), (5, 9, 2), (9, 14, 3), (14, 18, 4)],
    "B": [(0, 4, 1), (4, 5, 2)],
    "C": [(0, 3, 1), (10, 14, 7)],
    "D": [(0, 4, 3), (4, 6, 4), (6, 8, 5), (8, 10, 6), (10, 12, 7)],
    "E": [(0, 3, 5), (3, 5, 6), (5, 6, 7)],
    "A2": [(0, 3, 4)],
}
# A2 is made of A's last three articles (11-13, which drifted from A's subject: cosine
# about 0.2 to A's axis) and three new ones like them. The split is found by shared
# articles; the two halves are not one subject, so the tracker's rule 0 keeps them apart.
DIRECTION = {"A2": "A"}  # the letter a story is drawn and named as
DRIFTED = {("A", n) for n in range(11, 14)} | {("A2", n) for n in range(3)}
DRIFT_COSINE = 0.2

# what the tracker must report: day -> sorted (event, story letter, other letter)
EXPECTED = {
    1: [("born", "A", ""), ("born", "B", ""), ("born", "C", "")],
    2: [("continued", "A", ""), ("continued", "B", ""), ("continued", "C", "")],
    3: [("born", "D", ""), ("continued", "A", ""), ("ended", "C", ""), ("merged", "B", "A")],
    4: [("continued", "A", ""), ("continued", "D", ""), ("split", "A2", "A")],
    5: [("born", "E", ""), ("continued", "D", ""), ("ended", "A", ""), ("ended", "A2", "")],
    6: [("continued", "D", ""), ("continued", "E", "")],
    7: [("continued", "D", ""), ("continued", "E", ""), ("returned", "C", "")],
}


def _article_day(story: str, number: int) -> int:
    return next(day for lo, hi, day in ARRIVALS[story] if lo <= number < hi)


def scripted_days(seed: int = 0) -> list[tuple[str, pd.DataFrame, np.ndarray]]:
    """[(day, window frame (id, label, cluster_name, date, headline), unit vectors)] in order."""
    rng = np.random.default_rng(seed)
    letters = sorted({DIRECTION.get(s, s) for day in SCRIPT.values() for c in day for s, _ in c})
    basis = np.linalg.qr(rng.normal(size=(DIM, len(letters) + 1)))[0].T
    axes = dict(zip(letters, basis))
    drift = DRIFT_COSINE * axes["A"] + np.sqrt(1 - DRIFT_COSINE**2) * basis[-1]
    vectors: dict[str, np.ndarray] = {}
    out = []
    for day in sorted(SCRIPT):
        rows, vecs = [], []
        clustered = {a for cluster in SCRIPT[day] for a in cluster}
        window = [
            (story, n)
            for story, spans in ARRIVALS.items()
            for lo, hi, d in spans
            for n in range(lo, hi)
            if day - WINDOW < d <= day
        ]
        groups = list(enumerate(SCRIPT[day])) + [(-1, [a for a in window if a not in clustered])]
        for label, cluster in groups:
            for story, number in cluster:
                aid = f"{story}-{number}"
                if aid not in vectors:
                    axis = drift if (story, number) in DRIFTED else axes[DIRECTION.get(story, story)]
                    v = axis + rng.normal(scale=0.5 / np.sqrt(DIM), size=DIM)
                    vectors[aid] = v / np.linalg.norm(v)
                born = FIRST_DAY + dt.timedelta(days=_article_day(story, number) - 1)
                rows.append(
                    {
                        "id": aid,
                        "label": label,
                        "cluster_name": f"story {DIRECTION.get(story, story)}",
                        "date": born.isoformat(),
                        "headline": f"{story} article {number}",
                    }
                )
                vecs.append(vectors[aid])
        out.append(((FIRST_DAY + dt.timedelta(days=day - 1)).isoformat(), pd.DataFrame(rows), np.array(vecs)))
    return out


def letter_events(events: list[dict], letter_of: dict[str, str]) -> list[tuple[str, str, str]]:
    """Tracker events with story ids replaced by the script's letters."""
    return sorted(
        (e["event"], letter_of.get(e["story"], e["story"]), letter_of.get(e["other"], e["other"])) for e in events
    )


def track(settings=None):
    """Run the tracker over the script: [(day, report)] and story id -> the script's letter
    (the story of the articles first given that id)."""
    from ..stories.tracking import advance

    state, letter_of, out = None, {}, []
    for day, frame, vecs in scripted_days():
        state, report = advance(state, day, frame, vecs, settings)
        firsts = report.articles[report.articles["first_story"] == report.articles["story"]]
        for sid, group in firsts.groupby("story"):
            letter_of.setdefault(sid, group["id"].iloc[0].split("-")[0])
        out.append((day, report))
    return out, letter_of


def main() -> None:
    reports, letter_of = track()
    for day, report in reports:
        print(day, letter_events(report.events, letter_of))


if __name__ == "__main__":
    main()
