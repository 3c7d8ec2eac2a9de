"""Which days, windows and story days are stale, and how they are cut into Dagster range
runs: the one planner of ``newsclust run`` (and ``evaluate``) and of the news-source sensor.

A day's stored news is stale when the content hash ``raw_news`` recorded is not the hash of
the day's articles in the source now (``content_matches``). ``newsclust run`` also checks
that milvus_collection was stored after raw_news and that Milvus holds exactly the day's ids
(``plan_days``); the sensor, which must not open Milvus Lite while a run may hold its lock,
asks the event log only and adds days whose stories are older than their news
(``stale_source_days``). A window is stale when it was clustered before one of its days was
stored or with other settings; stories are redone from the first day whose window was
re-clustered (or whose stories are missing) to the end, because each day continues the day
before. Both cut their days with ``chunks``.
"""

from __future__ import annotations

import datetime as dt

DAILY = ["raw_news", "embeddings", "milvus_collection"]
WINDOWED = ["knn_distances", "cluster_labels", "umap_plot"]
STORIES = ["stories", "story_timeline"]
LATEST = ["umap_plot", "story_timeline"]  # one value each (the latest day's), not one per day
DAY_CHUNK_ARTICLES = 2048  # articles per daily run: ~10 s of CPU embedding, so progress shows often
WINDOW_CHUNK = 31  # windows per run (each window's graph is held until its step ends); and WINDOW_RUN_ROWS
# A stretch of at least this many consecutive days without an article, and with nothing stored,
# is not materialized by newsclust run: such a day would cost three materialization events
# (~16 ms) and give nothing, while a cut between runs costs a run (~0.5 s) only at a stretch's
# ends. Shorter gaps stay inside their range run, so a sparse stream keeps its few runs.
EMPTY_STRETCH_DAYS = 31


def select_days(keys: list[str], first: str | None, last: str | None) -> list[str]:
    chosen = [k for k in keys if (first is None or k >= first) and (last is None or k <= last)]
    if not chosen:
        raise SystemExit(
            f"no day partitions between {first or keys[0]} and {last or keys[-1]} "
            f"(partitions run {keys[0]}..{keys[-1]})"
        )
    return chosen


def chunks(keys: list[str], weight: dict[str, int], max_keys: int, max_weight: int) -> list[list[str]]:
    """``keys`` (sorted days) cut into runs of consecutive days, each at most ``max_keys``
    days and, unless one day alone exceeds it, ``max_weight`` summed weight."""
    out: list[list[str]] = []
    current: list[str] = []
    load = 0
    for key in keys:
        w = weight.get(key, 0)
        gap = current and dt.date.fromisoformat(key) - dt.date.fromisoformat(current[-1]) != dt.timedelta(days=1)
        if current and (gap or len(current) >= max_keys or load + w > max_weight):
            out.append(current)
            current, load = [], 0
        current.append(key)
        load += w
    if current:
        out.append(current)
    return out


def content_matches(record: tuple[int, dict] | None, content_hash: str | None) -> bool:
    """Whether a day's latest raw_news materialization (``record``: storage id, metadata)
    holds the source's current articles of the day (``content_hash``; None: the source has
    none that day, and any stored materialization is current)."""
    if record is None:
        return False
    if content_hash is None:
        return True
    metadata = record[1]
    if "content_hash" not in metadata and metadata.get("dagster/row_count") == 0:
        from ..ingest.news_source import EMPTY_DAY_HASH

        return content_hash == EMPTY_DAY_HASH  # an empty day records its row count only
    return metadata.get("content_hash") == content_hash


def source_day_hashes(path: str) -> dict[str, str]:
    """{day: content hash of the day's articles} for every day of the news file that has any
    (the hash ``raw_news`` records, so the two can be compared)."""
    from ..ingest.news_source import articles_for_days, content_hash, read_articles_cached

    articles, _ = read_articles_cached(path)
    days = sorted({a["date"] for a in articles})
    return {
        d.isoformat(): content_hash(r.articles) for d, r in articles_for_days(path, days).items() if len(r.articles)
    }


def stale_source_days(
    hashes: dict[str, str],
    raw: dict[str, tuple[int, dict]],
    stories: dict[str, tuple[int, dict]],
    partitions: list[str],
) -> list[str]:
    """Partition days (in order) whose stored news does not match the source (``hashes``:
    ``source_day_hashes``; ``raw``: raw_news's latest records) or whose stories are missing or
    older than their raw_news. Days without articles count between days with articles, so
    windows and the chain of stories stay whole; days after the file's last day wait for news."""
    last = max(hashes, default="")
    todo = []
    for day in sorted(d for d in partitions if d <= last):
        stored = raw.get(day)
        told = stories.get(day)
        if not content_matches(stored, hashes.get(day)) or told is None or (stored and told[0] < stored[0]):
            todo.append(day)
    return todo


def latest_records(instance, asset: str, partitions: set[str] | None = None) -> dict[str, tuple[int, dict]]:
    """{partition: (storage id, metadata values)} of the asset's latest materializations
    (values as plain Python: numbers, text, a table as a list of rows)."""
    import dagster as dg

    key = dg.AssetKey(asset)
    ids = instance.get_latest_storage_id_by_partition(key, dg.DagsterEventType.ASSET_MATERIALIZATION, partitions)
    wanted = sorted(ids.values())
    out: dict[str, tuple[int, dict]] = {}
    for i in range(0, len(wanted), 500):
        batch = wanted[i : i + 500]
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, storage_ids=batch), limit=len(batch)
        ).records
        for r in records:
            mat = r.asset_materialization
            out[mat.partition] = (r.storage_id, {k: _plain(v) for k, v in mat.metadata.items()})
    return out


def latest_record(instance, asset: str) -> tuple[int, dict] | None:
    """(storage id, metadata values) of the latest materialization of an asset without day
    partitions (the map, the timeline), or None."""
    import dagster as dg

    records = instance.fetch_materializations(dg.AssetKey(asset), limit=1).records
    if not records:
        return None
    return records[0].storage_id, {k: _plain(v) for k, v in records[0].asset_materialization.metadata.items()}


def _plain(value):
    """A metadata value as plain Python: a table as its rows (a list of dicts)."""
    import dagster as dg

    if isinstance(value, dg.TableMetadataValue):
        return [record.data for record in value.records]
    return value.value


def resolved(resource):
    """A resource with its ``dagster.EnvVar`` fields (tokens, keys) resolved, for use outside a
    run (planning, story-search): Dagster resolves them only when it initialises a resource.

    A context manager (Dagster's own), on purpose: Dagster initialises the resource inside an
    ephemeral instance that it enters, which sets the "current defs-state storage" context variable. The plain
    ``process_config_and_initialize()`` leaves that instance to be exited by ``__del__``, i.e.
    whenever the garbage collector gets to it; the exit then restores the variable to whatever
    it held back then, possibly the storage of an instance that is gone, and the next in-process
    ``dagster.materialize`` fails with "Attempted to resolve undefined DagsterInstance weakref"
    (the suite's 1-in-8 flake of 2026-12-06). Exiting here, in order, leaves nothing behind."""
    return resource.process_config_and_initialize_cm()


def empty_stretches(days: list[str], empty: set[str], min_days: int = EMPTY_STRETCH_DAYS) -> set[str]:
    """The days of ``days`` (sorted) that lie in runs of at least ``min_days`` consecutive
    calendar days, each of them in ``empty``."""
    out: set[str] = set()
    run: list[str] = []
    for key in days:
        if key in empty and run and (dt.date.fromisoformat(key) - dt.date.fromisoformat(run[-1])).days == 1:
            run.append(key)
            continue
        if len(run) >= min_days:
            out.update(run)
        run = [key] if key in empty else []
    if len(run) >= min_days:
        out.update(run)
    return out


def plan_days(
    days: list[str],
    instance,
    resources: dict,
    force: bool,
    lookback: int = 0,
    source_span: tuple[str, str] | None = None,
) -> tuple[list[str], dict[str, int], dict[int, int], list[str]]:
    """(days to store, articles per day of ``days`` and the ``lookback`` days before them,
    {day number: rows} Milvus holds for days outside ``source_span``, days left alone as part
    of a stretch of ``EMPTY_STRETCH_DAYS`` or more days without an article and with nothing
    stored): every other day is to store unless its stored state matches the source."""
    from ..ingest.news_source import articles_for_days, content_hash
    from ..vectors.milvus_store import day_number, ids_by_day, rows_outside

    first = dt.date.fromisoformat(days[0]) - dt.timedelta(days=lookback)
    span = [first + dt.timedelta(days=i) for i in range((dt.date.fromisoformat(days[-1]) - first).days + 1)]
    current = articles_for_days(resources["news_source"].path, span)
    frames = {d.isoformat(): r.articles for d, r in current.items()}
    sizes = {k: len(f) for k, f in frames.items()}
    raw = latest_records(instance, "raw_news", set(days))
    stored = latest_records(instance, "milvus_collection", set(days))
    held, outside = {}, {}
    with resolved(resources["milvus"]) as milvus, milvus.client() as client:
        if client.has_collection(milvus.collection_name):
            client.load_collection(milvus.collection_name)
            if source_span:
                outside = rows_outside(client, milvus.collection_name, *map(day_number, source_span))
            if not force:
                held = ids_by_day(client, milvus.collection_name, day_number(days[0]), day_number(days[-1]))
    if force:
        return days, sizes, outside, []
    todo = []
    for key in days:
        done = (
            content_matches(raw.get(key), content_hash(frames[key]))
            and key in stored
            and stored[key][0] > raw[key][0]
            and held.get(day_number(key), []) == sorted(frames[key]["id"])
        )
        if not done:
            todo.append(key)
    untouched = {k for k in todo if not sizes[k] and k not in raw and not held.get(day_number(k))}
    quiet = empty_stretches(todo, untouched)
    return [k for k in todo if k not in quiet], sizes, outside, sorted(quiet)


def plan_windows(window_days: list[str], window: int, instance, asset_config: dict, force: bool) -> list[str]:
    """Windows to (re)cluster: never clustered, clustered with other settings, or clustered
    before one of their days was last stored."""
    from ..assets.clusters import ClusterConfig
    from ..assets.knn import KnnConfig
    from ..ranges import config_digest

    if force:
        return list(window_days)
    digests = {
        "cluster_labels": config_digest(ClusterConfig(**asset_config.get("cluster_labels", {}))),
        "knn_distances": config_digest(KnnConfig(**asset_config.get("knn_distances", {}))),
    }
    records = {a: latest_records(instance, a, set(window_days)) for a in digests}
    first = dt.date.fromisoformat(window_days[0]) - dt.timedelta(days=window - 1)
    span = [
        (first + dt.timedelta(days=i)).isoformat()
        for i in range((dt.date.fromisoformat(window_days[-1]) - first).days + 1)
    ]
    stored = {k: v[0] for k, v in latest_records(instance, "milvus_collection", set(span)).items()}
    todo = []
    for key in window_days:
        end = dt.date.fromisoformat(key)
        newest_day = max((stored.get((end - dt.timedelta(days=i)).isoformat(), 0) for i in range(window)), default=0)
        fresh = all(
            key in records[a] and records[a][key][1].get("settings_digest") == d and records[a][key][0] > newest_day
            for a, d in digests.items()
        )
        if not fresh or records["cluster_labels"][key][0] < records["knn_distances"][key][0]:
            todo.append(key)
    return todo


def plan_stories(window_days: list[str], instance, force: bool) -> list[str]:
    """Days whose stories to (re)compute, in order: from the first day whose stories are
    missing, older than its window's labels or older than the day before's stories, to the
    last day with labels (stories carry state from day to day, so a redone day redoes every
    later one)."""
    labels = latest_records(instance, "cluster_labels", set(window_days))
    before = (dt.date.fromisoformat(window_days[0]) - dt.timedelta(days=1)).isoformat()
    done = latest_records(instance, "stories", set(window_days) | {before})
    have = [k for k in window_days if k in labels]
    start = len(have)
    previous = done.get(before, (0, {}))[0]
    for i, key in enumerate(have):
        if force or key not in done or done[key][0] < labels[key][0] or done[key][0] < previous:
            start = i
            break
        previous = done[key][0]
    todo = have[start:]
    gap = next(
        (
            i
            for i in range(1, len(todo))
            if (dt.date.fromisoformat(todo[i]) - dt.date.fromisoformat(todo[i - 1])).days != 1
        ),
        len(todo),
    )
    return todo[:gap]  # stop before a day whose window has no labels (a failed range)
