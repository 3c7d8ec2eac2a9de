"""Materialize the whole graph over a range of day partitions: ``newsclust run``'s engine.

Runs in one process against a persistent Dagster instance (``runs.instance``), so
``dagster dev`` started with the same DAGSTER_HOME shows every materialization, check
result and its metadata afterwards.

Each Dagster run covers a *range* of days (the assets' backfill policies): first the
daily assets raw_news -> embeddings -> milvus_collection in chunks of up to
``DAY_CHUNK_ARTICLES`` articles (full embedding batches, one bulk write a chunk), then
every day's window (knn_distances -> cluster_labels) in chunks of up to ``WINDOW_CHUNK``
windows, then ``stories`` day after day in order (``STORY_RUN_DAYS`` days a run), then the
maps (``maps="last"``: the last day's only) and the last day's story timeline. Progress is
logged after every chunk. A re-run resumes (``runs.planning`` says what is stale).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import time
from pathlib import Path

from .. import files
from ..partitions import Calendar, calendar_from_env
from ..settings import RUN_DAYS_MAX, STORY_RUN_DAYS, STORY_RUN_ROWS, WINDOW_RUN_ROWS, data_dir, env
from .failures import Interrupted, StepFailed, error_line
from .instance import open_instance
from .planning import (
    DAILY,
    DAY_CHUNK_ARTICLES,
    EMPTY_STRETCH_DAYS,
    LATEST,
    STORIES,
    WINDOW_CHUNK,
    WINDOWED,
    chunks,
    latest_record,
    latest_records,
    plan_days,
    plan_stories,
    plan_windows,
    select_days,
)
from .signals import SignalWatch, pause_point


def log_dir(data: Path | None = None) -> Path:
    """Where a failed step's full error goes: ``logs`` under the data directory."""
    return (data or data_dir()) / "logs"


def sweep_orphans(instance, log) -> int:
    """Mark failed the runs of ``newsclust run`` left STARTED by a process that is gone
    (kill -9, a crash, a reboot); returns how many."""
    import dagster as dg

    swept = 0
    runs = instance.get_runs(
        filters=dg.RunsFilter(
            statuses=[dg.DagsterRunStatus(v) for v in UNFINISHED], tags={"newsclust/command": "newsclust run"}
        )
    )
    for r in runs:
        pid = int(r.tags.get("newsclust/pid", "0") or 0)
        if r.tags.get("newsclust/host") != socket.gethostname() or not pid or alive(pid):
            continue
        instance.report_run_failed(
            r, message=f"the newsclust run process (pid {pid}) is gone; marked failed by the next newsclust run"
        )
        swept += 1
    if swept:
        log(f"  marked {swept} run(s) of a vanished newsclust process as failed")
    return swept


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Progress:
    """One line per finished chunk: counts, rate and time left."""

    def __init__(self, log, what: str, total: int, unit: str, total_units: int):
        self.log, self.what, self.total, self.unit, self.total_units = log, what, total, unit, total_units
        self.done = self.units = 0
        self.started = time.perf_counter()

    def step(self, items: int, units: int) -> None:
        self.done += items
        self.units += units
        spent = time.perf_counter() - self.started
        rate = self.units / spent if spent > 0 else 0.0
        left = spent / self.done * (self.total - self.done) if self.done else 0.0
        self.log(
            f"  {self.what} {self.done}/{self.total} ({self.units:,}/{self.total_units:,} {self.unit}, "
            f"{rate:,.0f} {self.unit}/s), {spent:.1f} s, ~{left:.0f} s left"
        )


def materialize(
    assets: list,
    selection: list[str],
    keys: list[str],
    instance,
    resources: dict,
    run_config: dict,
    watch: SignalWatch | None = None,
    logs: Path | None = None,
):
    """One range run of ``selection`` of ``assets``; StepFailed (one line, the full error in a
    log file under ``logs``) if a step fails, Interrupted if SIGINT or SIGTERM arrived
    meanwhile (the run is then marked canceled)."""
    import dagster as dg

    days = {"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]}
    tags = {
        **(days if set(selection) - set(LATEST) else {}),  # the map and the timeline have no day partitions
        "newsclust/command": "newsclust run",
        "newsclust/pid": str(os.getpid()),
        "newsclust/host": socket.gethostname(),
    }
    ops = {a: c for a, c in run_config.get("ops", {}).items() if a in selection}  # config of selected assets only
    run_config = {**{k: v for k, v in run_config.items() if k != "ops"}, **({"ops": ops} if ops else {})}
    try:
        result = dg.materialize(
            assets,
            selection=selection,
            instance=instance,
            resources=resources,
            run_config=run_config,
            tags=tags,
            raise_on_error=False,
        )
    except KeyboardInterrupt:
        result = None
    signo = watch.received() if watch else None
    if signo or result is None:
        raise Interrupted(signo or signal.SIGINT, cancel_own_runs(instance))
    pause_point("between_runs")
    if result.success:
        return result
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    span = keys[0] if len(keys) == 1 else f"{keys[0]}..{keys[-1]}"
    log_path = (logs or log_dir()) / f"run_{result.run_id}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as fh:
        for e in failures:
            fh.write(f"step {e.step_key} failed for {span}\n{e.event_specific_data.error.to_string()}\n")
    if failures:
        first = failures[0]
        line = f"{first.step_key} failed for {span}: {error_line(first.event_specific_data.error)}"
    else:
        line = f"run {result.run_id} for {span} failed"
    raise StepFailed(f"{line} (run {result.run_id[:8]}, full error: {log_path})", keys)


UNFINISHED = ("NOT_STARTED", "QUEUED", "STARTING", "STARTED", "CANCELING")


def cancel_own_runs(instance, interrupted: bool = True) -> int:
    """Every run of this process that an interrupt left unfinished (created but not started,
    or started) shows as canceled, and so does the newest if Dagster failed it on the way
    out; earlier failures stay failures. Returns how many runs were marked."""
    import dagster as dg

    mine = instance.get_runs(
        filters=dg.RunsFilter(tags={"newsclust/pid": str(os.getpid()), "newsclust/host": socket.gethostname()})
    )
    marked = 0
    for i, r in enumerate(mine):  # newest first
        hit = r.status.value in UNFINISHED or (i == 0 and r.status == dg.DagsterRunStatus.FAILURE and interrupted)
        if hit and not r.tags.get("newsclust/canceled"):
            instance.add_run_tags(r.run_id, {"newsclust/canceled": "interrupted"})
            instance.report_run_canceled(r, message="newsclust run was interrupted (SIGINT or SIGTERM)")
            marked += 1
    return marked


def days_drawn(metadata: dict) -> dict[str, str]:
    """{day: file} of a map or timeline drawing's metadata: its ``maps`` table when a run drew
    several, else its own day and path."""
    return {str(d["day"]): d["path"] for d in metadata.get("maps") or [metadata] if "day" in d}


def day_of(number: int) -> str:
    from ..vectors.milvus_store import EPOCH

    return (EPOCH + dt.timedelta(days=number)).isoformat()


def run(
    first: str | None = None,
    last: str | None = None,
    windows: str = "all",
    instance=None,
    resources: dict | None = None,
    log=print,
    asset_config: dict | None = None,
    maps: str = "last",
    force: bool = False,
    keep_going: bool = False,
    days_per_run: int = RUN_DAYS_MAX,
    watch: SignalWatch | None = None,
    calendar: Calendar | None = None,
    data: Path | None = None,
) -> dict:
    """Materialize the graph; returns the summary of the last window, with every window's
    cluster_labels metadata under ``"windows"`` and any failed range under ``"failures"``.
    ``asset_config``: {asset: {field: value}}. A failed range stops the command unless
    ``keep_going``; then the windows holding its days are left out. An interrupt at any
    moment (planning, a run created, a step, between runs) raises ``Interrupted`` after every
    run this process left unfinished is marked canceled. ``calendar``: the day partitions and
    window length (default: the environment's); ``data``: the data directory (default
    NEWSCLUST_DATA_DIR), where failed steps' logs go."""
    instance = instance or open_instance()
    if env("NEWSCLUST_PAUSE_AT") == "run_created":  # the test hook (pause_point)
        create_run = instance.create_run_for_job

        def created_then_paused(*args, **kwargs):
            made = create_run(*args, **kwargs)
            pause_point("run_created")
            return made

        instance.create_run_for_job = created_then_paused
    try:
        return _run(
            first,
            last,
            windows,
            instance,
            resources,
            log,
            asset_config,
            maps,
            force,
            keep_going,
            days_per_run,
            watch,
            calendar or calendar_from_env(),
            data or data_dir(),
        )
    except KeyboardInterrupt:
        signo = (watch.received() if watch else None) or signal.SIGINT
        raise Interrupted(signo, cancel_own_runs(instance)) from None


def _window_span(calendar: Calendar, key: str) -> list[str]:
    """The days of window ``key``."""
    lo, hi = calendar.window_bounds(key)
    return [(lo + dt.timedelta(days=i)).isoformat() for i in range((hi - lo).days + 1)]


def _window_rows(calendar: Calendar, key: str, sizes: dict[str, int]) -> int:
    """Articles in window ``key`` (``sizes``: articles per day)."""
    return sum(sizes.get(d, 0) for d in _window_span(calendar, key))


def _run(
    first,
    last,
    windows,
    instance,
    resources,
    log,
    asset_config,
    maps,
    force,
    keep_going,
    days_per_run,
    watch,
    calendar: Calendar,
    data: Path,
) -> dict:
    from .. import settings
    from ..assets import build_assets
    from ..environment import default_resources
    from ..event_storage import enable_event_batches
    from ..ingest.news_source import NewsSourceError
    from ..ranges import range_pickle_io_manager
    from ..vectors.milvus_store import day_number

    if calendar.problem:  # nothing to plan from: one line, before any work
        raise NewsSourceError(calendar.problem.split("; the partitions")[0])
    assets = build_assets(calendar)
    window_length = calendar.window_days
    enable_event_batches()

    # Dagster's console log off: a failed step is reported as one line by attempt(), its full
    # error goes to a log file, and everything stays in the Dagster UI
    quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    asset_config = asset_config or {}
    windowed_config = {**quiet, "ops": {a: {"config": c} for a, c in asset_config.items() if c}}
    resources = {"io_manager": range_pickle_io_manager, **(resources or default_resources())}
    days = select_days(calendar.daily.get_partition_keys(), first, last)
    window_days = days if windows == "all" else days[-1:]
    map_days = window_days if maps == "all" else ([] if maps == "none" else window_days[-1:])
    started = time.perf_counter()
    log(
        f"newsclust: {len(days)} days {days[0]}..{days[-1]}, windows of {window_length} days, data in {data}, "
        f"Dagster home {'(ephemeral)' if instance.is_ephemeral else instance.root_directory}"
    )
    pg_url = settings.dagster_pg_url()
    if pg_url and type(instance.run_storage).__name__ == "PostgresRunStorage":
        log(f"  Dagster storage: PostgreSQL ({settings.DAGSTER_PG_URL_VAR}) at {settings.pg_where(pg_url)}")
    every_day = calendar.daily.get_partition_keys()
    if every_day[-1] < calendar.last.isoformat():
        log(
            f"  note: the partitions end on {every_day[-1]}, the last complete day, not on {calendar.last} "
            "(NEWSCLUST_END_DATE or the source's last day is later): NEWSCLUST_END_DATE=today adds each day as it "
            "comes"
        )
    sweep_orphans(instance, log)
    failures: list[StepFailed] = []

    def attempt(selection, chunk, config) -> bool:
        try:
            materialize(assets, selection, chunk, instance, resources, config, watch, log_dir(data))
            return True
        except StepFailed as failure:
            failures.append(failure)
            log(f"  failed: {failure}")
            if not keep_going:
                raise
            return False

    todo, sizes, outside, left_alone = plan_days(
        days, instance, resources, force, lookback=window_length - 1, source_span=(every_day[0], every_day[-1])
    )
    if outside:
        reach = day_number(every_day[0]) - (window_length - 1)
        seen = any(reach <= d < day_number(every_day[0]) for d in outside)
        log(
            f"  note: Milvus holds {sum(outside.values()):,} articles of {len(outside)} days outside the source's "
            f"{every_day[0]}..{every_day[-1]} ({day_of(min(outside))}..{day_of(max(outside))})"
            f"{'; the first windows reach back to some of them' if seen else ''}: newsclust prune --yes deletes them"
        )
    if len(todo) + len(left_alone) < len(days):
        log(
            f"  {len(days) - len(todo) - len(left_alone)} of {len(days)} days already stored from the same articles: "
            "skipped (--force to redo)"
        )
    if left_alone:
        log(
            f"  {len(left_alone)} days in stretches of {EMPTY_STRETCH_DAYS}+ days without an article: nothing to store, "
            "not materialized (they show as missing in the Dagster UI)"
        )
    progress = Progress(log, "days", len(todo), "articles", sum(sizes[k] for k in todo))
    pause_point("planned")
    for chunk in chunks(todo, sizes, days_per_run, DAY_CHUNK_ARTICLES):
        attempt(DAILY, chunk, quiet)
        progress.step(len(chunk), sum(sizes[k] for k in chunk))
    failed_days = {d for f in failures for d in f.days}
    log(f"  stored {len(todo) - len(failed_days)} days in {time.perf_counter() - started:.1f} s")

    to_cluster = plan_windows(window_days, window_length, instance, asset_config, force)
    if len(to_cluster) < len(window_days):
        log(
            f"  {len(window_days) - len(to_cluster)} of {len(window_days)} windows already clustered from the same "
            "days and settings: skipped"
        )
    window_rows, blocked = {}, []
    for key in to_cluster:
        if failed_days.intersection(_window_span(calendar, key)):
            blocked.append(key)
        window_rows[key] = _window_rows(calendar, key, sizes)
    if blocked:
        log(f"  {len(blocked)} windows hold days that failed to store: not clustered")
        to_cluster = [k for k in to_cluster if k not in set(blocked)]
    progress = Progress(log, "windows", len(to_cluster), "article-windows", sum(window_rows[k] for k in to_cluster))
    for chunk in chunks(to_cluster, window_rows, WINDOW_CHUNK, WINDOW_RUN_ROWS):
        attempt(WINDOWED[:2], chunk, windowed_config)
        progress.step(len(chunk), sum(window_rows[k] for k in chunk))
    story_days = plan_stories(window_days, instance, force)
    if story_days:
        progress = Progress(log, "stories", len(story_days), "days", len(story_days))
        story_rows = {key: _window_rows(calendar, key, sizes) for key in story_days}
        for chunk in chunks(story_days, story_rows, STORY_RUN_DAYS, STORY_RUN_ROWS):
            attempt(STORIES[:1], chunk, windowed_config)
            progress.step(len(chunk), len(chunk))
    # the map(s) and the timeline: one value each, redrawn when their day's stories are newer
    drawings = (
        ("umap_plot", map_days, lambda days: {"days": days}),
        ("story_timeline", window_days[-1:], lambda days: {"day": days[-1]}),
    )
    for asset, wanted, which in drawings:
        made = latest_record(instance, asset)
        ready = latest_records(instance, "stories", set(wanted))
        # (storage id, {day: file}) of the latest drawing; one from before the map had no day
        # partitions names no day
        drawn_at, drawn = (-1, {}) if made is None else (made[0], days_drawn(made[1]))
        stale = [
            k
            for k in wanted
            if k in ready and (k not in drawn or drawn_at < ready[k][0] or not files.at(str(drawn[k])).exists())
        ]
        for chunk in chunks(stale, {}, WINDOW_CHUNK, 0):
            user = asset_config.get(asset) or {}
            attempt([asset], chunk, {**quiet, "ops": {asset: {"config": {**user, **which(chunk)}}}})
    labels = latest_records(instance, "cluster_labels", set(window_days))
    per_window = [
        {"partition": k, **{m: v for m, v in labels[k][1].items() if not isinstance(v, (dict, list))}}
        for k in window_days
        if k in labels
    ]
    summary = {
        "seconds": round(time.perf_counter() - started, 1),
        "days_stored": len(todo) - len(failed_days),
        "empty_days_left_alone": len(left_alone),
        "windows_clustered": len(to_cluster),
        "story_days": len(story_days),
        "windows": per_window,
        "failures": [str(f) for f in failures],
        "map": None,
    }
    if window_days[-1] in labels:
        labels_md = labels[window_days[-1]][1]
        plot = latest_record(instance, "umap_plot")
        summary.update(
            {
                "window": labels_md["window"],
                "articles": labels_md["dagster/row_count"],
                "clusters": labels_md["clusters"],
                "noise_share": labels_md["noise_share"],
                "map": plot[1]["path"] if plot and map_days and plot[1].get("day") == window_days[-1] else None,
                "labels_csv": labels_md["labels_csv"],
            }
        )
        for key in ("ari_all_vs_category", "nmi_all_vs_category"):
            if key in labels_md:
                summary[key.replace("_vs_category", "")] = labels_md[key]
    told = latest_records(instance, "stories", set(window_days))
    if told:
        summary["stories"] = {
            e: sum(int(md.get(e, 0)) for _, md in told.values())
            for e in ("born", "continued", "merged", "split", "returned", "ended")
        }
        summary["stories"]["days"] = len(told)
        if window_days[-1] in told:
            last_md = told[window_days[-1]][1]
            summary["stories"].update(active=last_md.get("active", 0), stories_csv=last_md.get("stories_csv"))
        timeline = latest_record(instance, "story_timeline")
        timeline = timeline if timeline and timeline[1].get("day") == window_days[-1] else None
        summary["timeline"] = timeline[1]["path"] if timeline else None
        summary["story_page"] = timeline[1].get("top_story_page") if timeline else None
        summary["story_pages"] = int(timeline[1].get("story_pages_written", 0)) if timeline else 0
    return summary


def format_summary(s: dict) -> str:
    if "window" not in s:
        return f"no window clustered (this command took {s['seconds']} s after loading)"
    line = (
        f"{s['articles']} articles, {s['clusters']} clusters, {s['noise_share']:.0%} noise "
        f"(window {s['window']}; this command took {s['seconds']} s after loading)"
    )
    if "ari_all" in s:
        line += f", ARI {s['ari_all']:.3f} / NMI {s['nmi_all']:.3f} vs category"
    if s.get("stories"):
        t = s["stories"]
        line += (
            f"\nstories over {t['days']} days: {t['born']} born, {t['merged']} merged, {t['split']} split, "
            f"{t['returned']} returned, {t['ended']} ended; {t.get('active', 0)} active on the last day"
        )
    return line
