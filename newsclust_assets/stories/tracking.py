"""Stories over time: carry story identity from one day's window to the next. No Dagster imports.

Each day D has its window's clusters (``cluster_labels`` for the W days ending on D).
``advance(state, day, clusters, vectors)`` matches them to the stories known on day D-1
and returns the state for D plus what happened. The rules, in order (newsLens, Laban &
Hearst 2017, and Story Forest chain clusters across overlapping windows by shared
articles; MONIC, Spiliopoulou et al. 2006, names the transitions):

0. **One subject, one story (optional, ``join_clusters``, off by default).** Today's
   clusters whose articles are, on average, at least ``similarity_threshold`` similar
   (average linkage over the clusters, without the news time that the window's
   clustering counts) are one story today. Off by default because it joined what the
   labels keep apart on both labelled sets measured; without it, a cluster of one subject
   on a later day is recorded as split from the earlier story (rule 4), so the lineage
   still links them. The count is ``joined``.
1. **Continue by shared articles.** A story's articles still in today's window vote for
   the cluster they are in now. A cluster and a story are a candidate pair when the
   cluster holds at least ``overlap_share`` of the story's surviving articles, or at least
   ``overlap_share`` of the cluster comes from the story. Pairs are assigned one to one
   by Jaccard overlap (``scipy.optimize.linear_sum_assignment``).
2. **Split.** An unmatched cluster made mostly (``overlap_share``) of one story's articles,
   when that story continued in another cluster, is a new story split from it.
3. **Continue or return by similarity.** A cluster still unmatched (mostly new articles,
   or windows that share no days) is matched one to one to an unmatched story seen in the
   last ``return_days`` days when the mean cosine similarity of all their cross pairs
   reaches ``similarity_threshold``: the rule average linkage uses to merge two groups,
   so "the same story" means the same in a window and across days. A story seen
   yesterday continues; one unseen for a while *returns*.
4. **Split by similarity.** A cluster still unmatched that is that similar to a story
   another cluster continued is split from it.
5. **Birth.** Any cluster left is a new story.
6. **Merge.** A story seen yesterday and matched to no cluster merges into the story of
   the cluster that took at least ``overlap_share`` of its surviving articles, or, with no
   articles left in the window, of a continued cluster it is that similar to.
7. **End.** A story seen yesterday that is left unmatched has *ended* today (status
   ``dormant``, after ``end_after_days`` unseen ``ended``); it can still *return* within
   ``return_days``.

Story ids are ``<born day as YYYYMMDD>-<n>``: deterministic (a re-run of the same day
gives the same ids), never reused (``n`` counts up within the day), and readable. Each
article keeps the story id it first got (``first_story``, the causal id scored by
``newsclust evaluate``); its id *now* (``story``) follows its cluster, and changes
only through a recorded merge or split, or when re-clustering moves it (the stability
check counts those). A story keeps its name until more than ``rename_share`` of its
articles are new since it was named.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..clustering.average_linkage import join_groups, label_sums
from ..clustering.window_clustering import ClusterSettings
from ..knobs import check, knob

STATUSES = ("active", "dormant", "ended", "merged")
EVENTS = ("born", "continued", "returned", "split", "merged", "ended")


@dataclass(frozen=True)
class TrackSettings:
    """How stories are carried from day to day: each field is the declaration of one
    ``stories`` setting. The time rule's weight and scale default to the clustering's, so that
    news time means the same in a window and across days. The bar for joining across days is
    deliberately higher than within a window (0.3 against 0.27, a day counting as at most 60
    articles against 75): a window merges loosely so that one event is not cut in two, and the
    tracker keeps different events of one subject on different days apart. Measured on every
    stream variant of ``make bench-quality``: docs/story_quality.md, 2026-12-07."""

    overlap_share: float = knob(
        0.5, "share of shared articles that makes a cluster continue a story", lo=0, hi=1, lo_open=True
    )
    similarity_threshold: float = knob(
        0.3,
        "mean cross-pair cosine for continuing / returning by content (as average linkage merges; "
        "stricter than the clustering's by default)",
        lo=-1,
        hi=1,
        what="a cosine",
    )
    end_after_days: int = knob(7, "unseen this many days: status ended (dormant before)", lo=1)
    return_days: int = knob(30, "a story unseen at most this long can return", lo=1)
    rename_share: float = knob(
        1 / 3, "a story is renamed when more than this share of its articles is new since it was named", lo=0, hi=1
    )
    join_clusters: bool = knob(
        False, "today's clusters of one subject (mean cosine >= similarity_threshold, no time) are one story"
    )
    time_weight: float = knob(
        ClusterSettings.time_weight, "the clustering's time_weight, for matching across days", lo=0, hi=1
    )
    time_scale: float = knob(
        ClusterSettings.time_scale,
        "the clustering's time_scale, for matching across days",
        lo=0,
        lo_open=True,
        what="a number of articles",
    )
    day_cap: float = knob(
        60.0,
        "a day counts as at most this many articles of news time when matching across days; 0 = no cap",
        lo=0,
        what="a number of articles",
    )
    gate_new: bool = knob(
        False,
        "new articles continue a story by shared articles only when they also match its whole history "
        "(off: the window's decision stands)",
    )

    def __post_init__(self):
        check(self)


@dataclass
class Story:
    id: str
    name: str
    born: str
    last_seen: str
    status: str = "active"
    merged_into: str = ""
    parents: list[str] = field(default_factory=list)  # split from / merged in
    children: list[str] = field(default_factory=list)  # split off / merged into
    articles: int = 0  # in its cluster on last_seen's window
    total: int = 0  # articles that ever got this story first
    vector_sum: np.ndarray | None = None  # sum of its members' unit vectors (last window seen)
    name_members: frozenset = frozenset()
    history_sum: np.ndarray | None = None  # sum of the unit vectors of every article first given it
    history_n: int = 0  # how many articles that is (= total)
    position_sum: float = 0.0  # their positions in the stream's news time, summed


@dataclass
class StoryState:
    """What day D hands to day D+1: the stories that can still continue, return or merge,
    and the story of every article of D's window that was in a cluster."""

    day: str | None = None
    stories: dict[str, Story] = field(default_factory=dict)
    current: dict[str, str] = field(default_factory=dict)  # article -> story id on ``day``
    first: dict[str, tuple[str, str]] = field(default_factory=dict)  # article -> (first story, day)
    volume: dict[str, int] = field(default_factory=dict)  # day -> articles published that day (news time)


@dataclass
class DayReport:
    day: str
    events: list[dict]  # {"event", "story", "other"}: other = parent / survivor
    counts: dict[str, int]  # per event, plus active, grown, stories_live
    stories: pd.DataFrame  # one row per story touched or live today
    articles: pd.DataFrame  # id, story, story_name, first_story, first_seen, date (clustered articles)
    changed_ids: int  # articles clustered yesterday and today whose id changed outside merges/splits
    compared_ids: int  # articles clustered yesterday and today
    named: dict = field(
        default_factory=dict
    )  # story -> members, central headlines, words, offline name: (re)named today


STORY_COLUMNS = [
    "story",
    "name",
    "status",
    "event",
    "other",
    "articles",
    "new_articles",
    "total",
    "born",
    "last_seen",
    "parents",
    "children",
    "merged_into",
]
ARTICLE_COLUMNS = ["id", "story", "story_name", "first_story", "first_seen", "story_born", "date", "headline", "link"]


def _mean_cross(sum_a: np.ndarray, n_a: int, sum_b: np.ndarray, n_b: int) -> float:
    return float(sum_a @ sum_b) / (n_a * n_b)


def news_positions(volume: dict[str, int], day_cap: float = 0.0) -> dict[str, float]:
    """Each day's position in the stream's news time: the articles published on earlier days
    plus half of the day's own (each day counted as at most ``day_cap`` articles when it is
    set), as ``average_linkage.news_time`` places a window's articles."""
    out, before = {}, 0.0
    for d in sorted(volume):
        n = float(min(volume[d], day_cap)) if day_cap else float(volume[d])
        out[d] = before + n / 2.0
        before += n
    return out


def story_similarity(vector_sum: np.ndarray, n: int, position: float, story: Story, settings: TrackSettings) -> float:
    """What average linkage would see between a group of ``n`` articles (the sum of their
    unit vectors, their mean position in news time) and a story: the mean cosine over all
    cross pairs with every article the story ever got, less the time rule's loss for the
    news-time gap."""
    if story.history_sum is None:  # a state written before stories kept their history
        if story.vector_sum is None or not story.articles:
            return -1.0
        return _mean_cross(vector_sum, n, story.vector_sum, story.articles)
    value = _mean_cross(vector_sum, n, story.history_sum, story.history_n)
    if settings.time_weight > 0:
        at = story.position_sum / story.history_n
        value -= settings.time_weight * min(1.0, abs(position - at) / settings.time_scale)
    return value


class MemoryArchive:
    """Every story the tracker has recorded, its newest version, searchable by vector: the
    in-process story store (``story_memory.MilvusArchive`` keeps the same in Milvus)."""

    def __init__(self):
        self.stories: dict[str, Story] = {}
        self._matrix: tuple[list[str], np.ndarray] | None = None

    def put(self, day: str, stories: list[Story]) -> None:
        for s in stories:
            self.stories[s.id] = s
        self._matrix = None

    def nearest(self, probes: np.ndarray, day: str, exclude=(), limit: int = 10) -> dict[str, Story]:
        """The ``limit`` stories (not merged, not in ``exclude``) nearest to each probe (a sum of
        unit vectors), by cosine to the mean of every article they got."""
        if self._matrix is None:
            ids = sorted(i for i, s in self.stories.items() if s.status != "merged" and s.history_sum is not None)
            sums = [self.stories[i].history_sum for i in ids]
            cents = np.stack([v for v in sums if v is not None]) if ids else np.zeros((0, probes.shape[1]))
            cents = cents / np.maximum(np.linalg.norm(cents, axis=1, keepdims=True), 1e-12)
            self._matrix = (ids, cents)
        ids, cents = self._matrix
        keep = [j for j, i in enumerate(ids) if i not in exclude]
        if not keep:
            return {}
        probes = probes / np.maximum(np.linalg.norm(probes, axis=1, keepdims=True), 1e-12)
        sims = probes @ cents[keep].T
        top = np.argsort(-sims, axis=1, kind="stable")[:, :limit]
        return {ids[keep[j]]: self.stories[ids[keep[j]]] for row in top for j in row}


def join_clusters(labels: np.ndarray, vectors: np.ndarray, threshold: float) -> tuple[np.ndarray, int]:
    """Labels with today's clusters of one subject joined (rule 0), and how many clusters
    were joined into another. Noise stays noise."""
    labels = np.asarray(labels)
    member = labels >= 0
    present = np.unique(labels[member])
    if present.size < 2:
        return labels, 0
    index = np.searchsorted(present, labels[member])
    sums = label_sums(np.asarray(vectors)[member], index, present.size)
    group = join_groups(sums, np.bincount(index, minlength=present.size), threshold)
    out = labels.copy()
    out[member] = group[index]
    return out, int(present.size - (group.max() + 1))


def _assign(score: np.ndarray) -> list[tuple[int, int]]:
    """One-to-one pairs (row, col) maximising the total of the positive scores."""
    from scipy.optimize import linear_sum_assignment

    if score.size == 0 or not (score > 0).any():
        return []
    rows, cols = linear_sum_assignment(-score)
    return [(int(r), int(c)) for r, c in zip(rows, cols) if score[r, c] > 0]


def advance(
    state: StoryState | None,
    day: str,
    clusters: pd.DataFrame,
    vectors: np.ndarray,
    settings: TrackSettings | None = None,
    archive=None,
) -> tuple[StoryState, DayReport]:
    """One day. ``clusters``: the window's articles (id, label, cluster_name, date, headline;
    label -1 = noise), row i for row i of ``vectors`` (unit rows). ``state``: the previous
    day's (None on the first day)."""
    settings = settings or TrackSettings()
    state = state or StoryState()
    if state.day is not None and state.day >= day:
        raise ValueError(f"stories for {day} cannot follow the state of {state.day}: days must go forward")
    first_seen = dict(state.first)
    today = dt.date.fromisoformat(day)
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    vectors = np.asarray(vectors, np.float64)
    labels = clusters["label"].to_numpy()
    joined = 0
    if settings.join_clusters:
        labels, joined = join_clusters(labels, vectors, settings.similarity_threshold)
    ids = clusters["id"].astype(str).tolist()
    volume = dict(state.volume)
    if "date" in clusters and len(clusters):
        volume.update(Counter(clusters["date"].astype(str).str[:10]))
    position = news_positions(volume, settings.day_cap)
    place = (
        np.array([position.get(d, 0.0) for d in clusters["date"].astype(str).str[:10]])
        if "date" in clusters
        else np.zeros(len(ids))
    )
    fresh = np.array([a not in first_seen for a in ids], bool)
    live = {sid: s for sid, s in state.stories.items() if s.status != "merged"}
    members = {int(c): np.flatnonzero(labels == c) for c in np.unique(labels) if c >= 0}
    order = sorted(members, key=lambda c: (-members[c].size, c))  # largest cluster first: stable id order
    sums = {c: vectors[members[c]].sum(0) for c in order}

    probes: dict[int, tuple[np.ndarray, int, float]] = {}

    def probe(c: int) -> tuple[np.ndarray, int, float]:
        """What a cluster is matched on: its new articles (all of them when none is new)."""
        if c not in probes:
            rows = members[c][fresh[members[c]]]
            rows = rows if rows.size else members[c]
            probes[c] = (vectors[rows].sum(0), int(rows.size), float(place[rows].mean()))
        return probes[c]

    def like(c: int, story: Story) -> float:
        return story_similarity(*probe(c), story, settings)

    # 1. shared articles
    survivors = Counter(state.current[a] for a in ids if a in state.current and state.current[a] in live)
    votes = {
        c: Counter(
            state.current[ids[i]] for i in members[c] if ids[i] in state.current and state.current[ids[i]] in live
        )
        for c in order
    }
    prev = sorted(survivors)
    col = {sid: j for j, sid in enumerate(prev)}
    jaccard = np.zeros((len(order), len(prev)))
    for r, c in enumerate(order):
        for sid, inter in votes[c].items():
            if inter >= settings.overlap_share * survivors[sid] or inter >= settings.overlap_share * members[c].size:
                jaccard[r, col[sid]] = inter / (members[c].size + survivors[sid] - inter)
    story_of: dict[int, str] = {}
    how: dict[int, tuple[str, str]] = {}  # cluster -> (event, other)
    split_off: dict[int, int] = {}  # cluster of new articles -> the cluster whose story they did not match
    for r, j in _assign(jaccard):
        c = order[r]
        new_rows = members[c][fresh[members[c]]]
        if settings.gate_new and new_rows.size and like(c, live[prev[j]]) < settings.similarity_threshold:
            # the window put new articles with the story's, but they do not match its whole history
            # (as average linkage would not merge them into it): they are matched on their own below
            extra = max(members) + 1
            members[extra] = new_rows
            members[c] = members[c][~fresh[members[c]]]
            probes.pop(c, None)
            sums[extra], sums[c] = vectors[new_rows].sum(0), vectors[members[c]].sum(0)
            votes[extra] = Counter()
            split_off[extra] = c
        story_of[c] = prev[j]
        how[c] = ("continued", "")
    if split_off:
        order = sorted(members, key=lambda c: (-members[c].size, c))
    matched = set(story_of.values())

    # 2. splits by shared articles
    for c in order:
        if c in story_of or not votes.get(c):
            continue
        sid, inter = votes[c].most_common(1)[0]
        if sid in matched and inter >= settings.overlap_share * members[c].size:
            how[c] = ("split", sid)

    # 3. continue / return by similarity
    horizon = (today - dt.timedelta(days=settings.return_days)).isoformat()
    open_clusters = [c for c in order if c not in how]
    pool = {
        sid: s
        for sid, s in live.items()
        if sid not in matched
        and s.last_seen >= horizon
        and (s.history_sum is not None or (s.vector_sum is not None and s.articles > 0))
    }
    if archive is not None and open_clusters:
        found = archive.nearest(np.stack([probe(c)[0] for c in open_clusters]), day, exclude=set(state.stories))
        pool.update({sid: s for sid, s in found.items() if sid not in pool})
    candidates = sorted(pool)
    unarchived: dict[str, Story] = {}
    sim = np.zeros((len(open_clusters), len(candidates)))
    for r, c in enumerate(open_clusters):
        for j, sid in enumerate(candidates):
            value = like(c, pool[sid])
            if value >= settings.similarity_threshold:
                sim[r, j] = value - settings.similarity_threshold + 1e-9
    for r, j in _assign(sim):
        c, sid = open_clusters[r], candidates[j]
        story_of[c] = sid
        how[c] = ("continued", "") if pool[sid].last_seen == yesterday else ("returned", "")
        matched.add(sid)
        if sid not in live:  # back from the archive
            live[sid] = unarchived[sid] = pool[sid]

    # 4. splits by similarity: like a story another cluster continued
    for c in order:
        if c in how:
            continue
        like_sid, like_sim = "", settings.similarity_threshold
        for kin, sid in story_of.items():
            s = live[sid]
            if s.vector_sum is None or not s.articles:
                continue
            value = _mean_cross(sums[c], members[c].size, sums[kin], members[kin].size)
            if value >= like_sim:
                like_sid, like_sim = sid, value
        if like_sid:
            how[c] = ("split", like_sid)

    # 5. births (and the splits' new ids), in cluster order
    events: list[dict] = []
    born_today = 0
    stories = {**state.stories, **unarchived}
    for c in order:
        event, other = how.get(c, ("split", story_of[split_off[c]]) if c in split_off else ("born", ""))
        if c in story_of:
            continue
        born_today += 1
        sid = f"{today:%Y%m%d}-{born_today}"
        stories[sid] = Story(sid, sid, day, day, parents=[other] if other else [])  # named below
        if other:
            stories[other] = _copy(stories[other])
            stories[other].children.append(sid)
        story_of[c] = sid
        how[c] = (event, other)

    # 6. merges, 7. ends
    continued = {story_of[c] for c in order}
    merged: dict[str, str] = {}
    for sid, s in live.items():
        if sid in continued or s.last_seen != yesterday:
            continue
        target = ""
        if survivors.get(sid):
            for c in order:
                if votes[c].get(sid, 0) >= settings.overlap_share * survivors[sid]:
                    target = story_of[c]
                    break
        elif s.vector_sum is not None and s.articles:
            best = settings.similarity_threshold
            for c in order:
                if how[c][0] in ("continued", "returned"):
                    value = _mean_cross(sums[c], members[c].size, s.vector_sum, s.articles)
                    if value >= best:
                        target, best = story_of[c], value
        if target and target != sid:
            merged[sid] = target

    new_current: dict[str, str] = {}
    named: dict[str, dict] = {}
    new_first: Counter = Counter()
    for c in order:
        sid = story_of[c]
        rows = members[c]
        event, other = how[c]
        s = _copy(stories[sid])  # every cluster's story exists by now: continued, returned or born
        s.last_seen, s.status, s.articles = day, "active", int(rows.size)
        s.vector_sum = sums[c].astype(np.float32)
        member_ids = frozenset(ids[i] for i in rows)
        if not s.name_members or len(member_ids - s.name_members) > settings.rename_share * len(member_ids):
            order_rows = rows[np.argsort(-(vectors[rows] @ sums[c]), kind="stable")]  # most central first
            if "cluster_name" in clusters:
                s.name = _LABEL_PREFIX.sub("", str(clusters["cluster_name"].iloc[order_rows[0]]))
            s.name_members = member_ids
            heads = (
                list(dict.fromkeys(str(clusters["headline"].iloc[i]) for i in order_rows[:20]))
                if "headline" in clusters
                else []
            )
            words = s.name.split(" [", 1)[1].rstrip("]").split(" / ") if " [" in s.name else []
            named[sid] = {"members": sorted(member_ids), "headlines": heads[:8], "words": words, "offline": s.name}
        stories[sid] = s
        new_rows = [i for i in rows if ids[i] not in first_seen]
        if new_rows:
            added = vectors[new_rows].sum(0)
            s.history_sum = added if s.history_sum is None else s.history_sum + added
            s.history_n += len(new_rows)
            s.position_sum += float(place[new_rows].sum())
        for i in rows:
            a = ids[i]
            new_current[a] = sid
            if a not in first_seen:
                first_seen[a] = (sid, day)
                new_first[sid] += 1
        events.append({"event": event, "story": sid, "other": other})
    for sid, target in merged.items():
        s = _copy(stories[sid])
        s.status, s.merged_into = "merged", target
        s.children.append(target)
        stories[sid] = s
        t = _copy(stories[target])
        t.parents.append(sid)
        stories[target] = t
        events.append({"event": "merged", "story": sid, "other": target})
    for sid, s in live.items():
        if sid not in continued and sid not in merged:
            unseen = (today - dt.date.fromisoformat(s.last_seen)).days
            s = _copy(s)
            s.status = "dormant" if unseen <= settings.end_after_days else "ended"
            stories[sid] = s
            if s.last_seen == yesterday:
                events.append({"event": "ended", "story": sid, "other": ""})
    for sid, n in new_first.items():
        stories[sid].total += n

    # stability: articles clustered yesterday and today whose id changed, outside merges and splits
    compared = changed = 0
    for a, sid in new_current.items():
        before = state.current.get(a)
        if before is None:
            continue
        compared += 1
        if before != sid and merged.get(before) != sid and before not in stories[sid].parents:
            changed += 1

    tally = Counter(e["event"] for e in events)
    counts = {name: int(tally.get(name, 0)) for name in EVENTS}
    counts["active"] = len(order)
    counts["joined"] = joined
    counts["grown"] = sum(
        1
        for c in order
        if how[c][0] in ("continued", "returned")
        and members[c].size > (state.stories[story_of[c]].articles if story_of[c] in state.stories else 0)
    )
    event_of = {e["story"]: e for e in events}
    horizon_keep = (today - dt.timedelta(days=settings.return_days)).isoformat()
    kept = {sid: s for sid, s in stories.items() if s.status != "merged" and s.last_seen >= horizon_keep}
    if archive is not None:  # every story changed today, as it stands tonight: stories that leave the
        # state stay findable there, and can still return
        touched = set(story_of.values()) | set(merged) | {e["story"] for e in events} | (set(stories) - set(kept))
        archive.put(day, [stories[sid] for sid in sorted(touched) if stories[sid].history_sum is not None])
    counts["stories_live"] = len(kept)
    table_rows = []
    for sid in list(story_of.values()) + list(merged) + [e["story"] for e in events if e["event"] == "ended"]:
        s = stories[sid]
        e = event_of.get(sid, {})
        table_rows.append(
            {
                "story": sid,
                "name": s.name,
                "status": s.status,
                "event": e.get("event", ""),
                "other": e.get("other", ""),
                "articles": s.articles if s.last_seen == day else 0,
                "new_articles": int(new_first.get(sid, 0)),
                "total": s.total,
                "born": s.born,
                "last_seen": s.last_seen,
                "parents": " ".join(s.parents),
                "children": " ".join(s.children),
                "merged_into": s.merged_into,
            }
        )
    table = pd.DataFrame(table_rows, columns=STORY_COLUMNS)
    art = []
    for c in order:
        sid = story_of[c]
        for i in members[c]:
            a = ids[i]
            art.append(
                {
                    "id": a,
                    "story": sid,
                    "story_name": stories[sid].name,
                    "first_story": first_seen[a][0],
                    "first_seen": first_seen[a][1],
                    "story_born": stories[sid].born,
                    "date": str(clusters["date"].iloc[i]) if "date" in clusters else "",
                    "headline": str(clusters["headline"].iloc[i]) if "headline" in clusters else "",
                    "link": _text(clusters["link"].iloc[i]) if "link" in clusters else "",
                }
            )
    articles = pd.DataFrame(art, columns=ARTICLE_COLUMNS)
    window = set(ids)
    new_state = StoryState(
        day=day,
        stories=kept,
        current=new_current,
        first={a: v for a, v in first_seen.items() if a in window},
        volume=volume,
    )
    return new_state, DayReport(day, events, counts, table, articles, changed, compared, named)


_LABEL_PREFIX = re.compile(r"^-?\d+: ")  # cluster_labels names start with the window's label number


def apply_names(state: StoryState, report: DayReport, names: dict[str, str]) -> None:
    """Replace the names of stories (re)named today, e.g. by an LLM, in the state and the
    day's tables."""
    for sid, name in names.items():
        if sid in state.stories:
            state.stories[sid] = replace(state.stories[sid], name=name)
    if names:
        report.stories["name"] = [names.get(sid, n) for sid, n in zip(report.stories["story"], report.stories["name"])]
        report.articles["story_name"] = [
            names.get(sid, n) for sid, n in zip(report.articles["story"], report.articles["story_name"])
        ]


def _text(value) -> str:
    """A cell as text: "" for a missing value."""
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def _copy(story: Story) -> Story:
    """A copy whose lists can change without touching the previous day's state."""
    return replace(story, parents=list(story.parents), children=list(story.children))
