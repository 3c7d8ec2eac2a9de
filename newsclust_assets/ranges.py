"""Partition ranges: one run materializes many day partitions.

Every asset has a backfill policy, so a backfill launched in the UI (or ``newsclust run``)
hands one run a *range* of days instead of one run per day. Each asset then reads its
inputs for the whole range at once, does the work in bulk (full embedding batches, one
bulk upsert and one flush, one Milvus read for all windows), and records per-day
metadata on each day's materialization with ``context.add_asset_metadata(..., partition_key=day)``.

Values passed between assets stay one pickle per day partition: ``RangePickleIOManager``
stores a range output given as ``{day: value}`` one file per day, so a later single-day
run loads exactly what a per-day run would have stored, and vice versa. It is Dagster's
public ``UPathIOManager``, so its ``base_dir`` may be any fsspec URL (``s3://bucket/prefix``
with s3fs installed, ``gs://``, ``memory://`` in tests) as well as a local directory; the
files are named as Dagster's own filesystem IO manager names them (``<base>/<asset>/<day>``).

An empty day (an empty frame, or an ``EmbeddedDay`` of no rows) gets no file of its own: a
sparse stream over years is mostly empty days, and a file each cost them disk and time. A run
writes one small file per asset instead, ``<base>/<asset>/_empty_days/<first>..<last>.<ns>``,
naming its range's empty days and holding one empty value to load for them; a day's own file,
when there is one, always wins (a day that gains articles gets one; a day that loses them has
its file removed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import pickle
import time
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import dagster as dg
import pandas as pd

from .artifacts import EmbeddedDay
from .partitions import Calendar

T = TypeVar("T")

# Backfill policies are marked beta in Dagster 1.13; they are the documented way to give one
# run a range of partitions, so their warning is not repeated on every load.
warnings.filterwarnings("ignore", message=r"Parameter `backfill_policy` .* is currently in beta")
# The daily assets, the windows and stories have runs of different sizes (``Calendar.policy``);
# a job over several of them (the sensor's) takes the smallest, which is what its runs want
# (``Calendar.sensor_run_days``), so Dagster's note on every load that it does so is not repeated.
warnings.filterwarnings("ignore", message=r"Asset job .* materializes assets with varying BackfillPolicies")

# Input metadata of a self-dependent asset's input (``stories``): load only the partition
# before the run's first day (None when it has none); the asset carries its state through
# the range itself.
PREVIOUS_DAY = "newsclust/previous_day_only"

# Input metadata of a latest-only asset's input (the map, the timeline): every day partition is
# mapped to it (AllPartitionMapping), and the IO manager gives a ``DayValues`` that reads a day
# only when the asset asks for it.
DAYS_ON_DEMAND = "newsclust/days_on_demand"

EMPTY_DAYS = "_empty_days"  # per asset: one file per run naming the run's empty days


def is_empty_day(value: Any) -> bool:
    """A day's value that holds no article and nothing else that differs from day to day: an
    empty frame (``raw_news``) or an ``EmbeddedDay`` of no rows (``embeddings``). Never a
    value that carries more (the stories' state, a window's days), even with no article."""
    if isinstance(value, pd.DataFrame):
        return value.empty
    return type(value) is EmbeddedDay and value.articles.empty


class DayAsset:
    """An asset of day partitions, declared before the days are known: ``build(calendar)``
    makes the Dagster asset for a calendar's days (``definitions.build_defs``), so importing
    an asset module reads nothing. ``spec``: the ``dg.asset`` arguments, or a function of
    the calendar giving them (a window's mapping, a description naming its length).
    ``partitioned`` False: one value, the latest (the map, the timeline), not one per day.
    ``runs``: which of the calendar's backfill policies sizes its runs (``Calendar.policy``)."""

    def __init__(
        self, fn: Callable, spec: dict | Callable[[Calendar], dict], partitioned: bool = True, runs: str = "daily"
    ):
        self.fn, self.spec, self.name, self.partitioned, self.runs = fn, spec, fn.__name__, partitioned, runs

    def build(self, calendar: Calendar) -> dg.AssetsDefinition:
        spec = self.spec(calendar) if callable(self.spec) else self.spec
        shared: dict = {"group_name": "newsclust"}
        if self.partitioned:
            shared.update(partitions_def=calendar.daily, backfill_policy=calendar.policy(self.runs))
        return dg.asset(**shared, **spec)(self.fn)


def day_asset(
    spec: Callable[[Calendar], dict] | None = None, runs: str = "daily", **kwargs
) -> Callable[[Callable], DayAsset]:
    """``@day_asset(kinds=..., description=...)`` or ``@day_asset(lambda calendar: {...})``:
    what every newsclust asset shares (day partitions, the backfill policy, the group) is
    added when the asset is built for a calendar. ``runs``: "daily", "window" or "stories",
    the backfill policy that sizes its runs."""
    return lambda fn: DayAsset(fn, spec if spec is not None else kwargs, runs=runs)


def latest_asset(**spec) -> Callable[[Callable], DayAsset]:
    """``@latest_asset(...)``: an asset with one value, drawn for the latest day (or days its
    config names) from inputs declared with ``days_on_demand``, so the Dagster UI shows it as
    materialized once it is, rather than as one of many day partitions."""
    return lambda fn: DayAsset(fn, spec, partitioned=False)


def days_on_demand(asset: str) -> dg.AssetIn:
    """An input of a latest-only asset: every day of ``asset`` (the lineage the UI draws), read
    one day at a time when asked for (``DayValues``)."""
    return dg.AssetIn(asset, partition_mapping=dg.AllPartitionMapping(), metadata={DAYS_ON_DEMAND: True})


def latest_day(context: dg.AssetExecutionContext, asset: str) -> str:
    """The last day partition of ``asset`` that is materialized (a one-line failure if none is)."""
    days = context.instance.get_materialized_partitions(dg.AssetKey(asset))
    if not days:
        raise dg.Failure(
            description=f"no day of {asset} is materialized yet: materialize it first", allow_retries=False
        )
    return max(days)


def first_day(context: dg.AssetExecutionContext) -> str:
    """The first day partition of the asset being run."""
    return context.assets_def.partitions_def.get_first_partition_key()


def last_day(context: dg.AssetExecutionContext) -> str:
    """The last day partition of the asset being run now (today when the partitions grow daily)."""
    return context.assets_def.partitions_def.get_last_partition_key()


def window_days(context: dg.AssetExecutionContext) -> int:
    """Days per window of a windowed asset being run: as its window mapping to the articles
    (``Calendar.window_mapping``) says."""
    mapping = context.assets_def.get_partition_mapping(dg.AssetKey("milvus_collection"))
    if not isinstance(mapping, dg.TimeWindowPartitionMapping):
        raise TypeError(f"{context.asset_key.to_user_string()} has no window mapping to milvus_collection")
    return 1 - mapping.start_offset


def config_digest(config: dg.Config) -> str:
    """A short hash of every field of an asset's config, recorded in its metadata, so that
    ``newsclust run`` redoes a window whose settings changed and skips one whose did not."""
    return hashlib.sha256(json.dumps(config.model_dump(), sort_keys=True).encode()).hexdigest()[:16]


def days_of(context: dg.AssetExecutionContext) -> list[str]:
    """The day partitions this run materializes, in order."""
    return list(context.partition_keys)


def day_record(keys: list[str], key: str, metadata: dict, empty: bool, keep: tuple[str, ...] = ()) -> dict:
    """What an asset records for day ``key`` of a run over ``keys``: ``metadata``, or, for an
    empty day that is not the run's last, its row count and those of ``keep`` that are not
    zero. A sparse stream is mostly empty days, each a materialization event; the last day
    keeps everything, so a one-day run of an empty day still says why it is empty."""
    if not empty or key == keys[-1]:
        return metadata
    return {"dagster/row_count": 0, **{k: metadata[k] for k in keep if metadata.get(k)}}


def by_day(context: dg.AssetExecutionContext, value: Any) -> dict[str, Any]:
    """An upstream input as {day: value}: Dagster passes one value for a one-day run and a
    dict for a range."""
    days = days_of(context)
    return {days[0]: value} if len(days) == 1 else dict(value)


def output(context: dg.AssetExecutionContext, values: dict[str, T]) -> T | dict[str, T]:
    """The asset's value for the IO manager: the value itself for one day, the dict for a range."""
    days = days_of(context)
    return values[days[0]] if len(days) == 1 else {d: values[d] for d in days}


class RangePickleIOManager(dg.UPathIOManager):
    """Pickles each day partition to its own file, also when one run covers a range of days:
    a range run returns ``{day: value}`` and each day is written where a one-day run writes it.
    A range is read back as ``{day: value}`` without a log line per day: each log line is an
    event in Dagster's event log (about 18 ms each on SQLite), which cost a 366-day run 13 s.
    Only ``UPathIOManager``'s public methods are used."""

    extension = ""  # the names Dagster's default filesystem IO manager gives: stored values stay readable

    def __init__(self, base_dir: str, **storage_options):
        from upath import UPath

        self.base = UPath(base_dir, **storage_options)
        super().__init__(base_path=self.base)

    def dump_to_path(self, context: dg.OutputContext, obj: Any, path) -> None:
        with path.open("wb") as f:
            pickle.dump(obj, f, pickle.HIGHEST_PROTOCOL)

    def load_from_path(self, context: dg.InputContext, path) -> Any:
        with path.open("rb") as f:
            return pickle.load(f)

    def day_path(self, context: dg.InputContext | dg.OutputContext, day: str):
        """Where day partition ``day`` of the context's asset is stored."""
        return self.get_path_for_partition(context, self.base / self.get_asset_relative_path(context), day)

    def load_input(self, context: dg.InputContext) -> Any:
        if (context.definition_metadata or {}).get(DAYS_ON_DEMAND):
            return DayValues(self, context)
        if (context.definition_metadata or {}).get(PREVIOUS_DAY):
            return self._load_previous_day(context)
        if not (context.has_asset_key and context.has_asset_partitions):
            return super().load_input(context)
        days = list(context.asset_partition_keys)
        values = self._load_days(context, days)
        if len(days) == 1:
            return values[days[0]]
        context.log.debug(f"loading {len(days)} partitions of {context.asset_key.to_user_string()}")
        return values

    def _load_days(self, context: dg.InputContext, days: list[str], required: bool = True) -> dict[str, Any]:
        """{day: value} of ``days``, from each day's file or, for an empty day, the empty-day
        files; a day with neither is an error (``required``) or left out."""
        paths = {day: self.day_path(context, day) for day in days}
        found = {day for day, path in paths.items() if self.path_exists(path)}
        empty = self._empty_days(context) if len(found) < len(days) else {}
        missing = [d for d in days if d not in found and d not in empty]
        if missing and required:
            raise FileNotFoundError(
                f"{context.asset_key.to_user_string()} has no stored value for {len(missing)} of "
                f"{len(paths)} days (first {missing[0]}): materialize it for those days first"
            )
        return {
            day: self.load_from_path(context=context, path=paths[day]) if day in found else empty[day]
            for day in days
            if day in found or day in empty
        }

    def _empty_folder(self, context: dg.InputContext | dg.OutputContext):
        return self.base / self.get_asset_relative_path(context) / EMPTY_DAYS

    def _empty_days(self, context: dg.InputContext) -> dict[str, Any]:
        """{day: empty value} from the asset's empty-day files, later runs' over earlier ones'."""
        folder = self._empty_folder(context)
        if not self.path_exists(folder):
            return {}
        out: dict[str, Any] = {}
        for path in sorted(folder.iterdir(), key=lambda p: int(p.name.rsplit(".", 1)[-1])):
            days, value = self.load_from_path(context=context, path=path)
            out.update(dict.fromkeys(days, value))
        return out

    def _load_previous_day(self, context: dg.InputContext) -> Any:
        if not context.has_asset_partitions:
            return None  # the first partition
        step = context.step_context
        start = step.partition_key_range.start if step.has_partition_key_range else step.partition_key
        before = (dt.date.fromisoformat(start) - dt.timedelta(days=1)).isoformat()
        if before not in context.asset_partition_keys:
            return None
        return self._load_days(context, [before], required=False).get(before)

    def handle_output(self, context: dg.OutputContext, obj: Any):
        if not context.has_asset_partitions:
            return super().handle_output(context, obj)
        days = list(context.asset_partition_keys)
        if len(days) == 1 and not is_empty_day(obj):
            return super().handle_output(context, obj)  # Dagster's own: its "path" metadata too
        if len(days) == 1:
            obj = {days[0]: obj}
        elif not isinstance(obj, dict) or set(obj) != set(days):
            raise TypeError(
                f"a range run of {context.asset_key.to_user_string()} must return one value per "
                f"day partition ({len(days)}), got {type(obj).__name__}"
            )
        empty = [day for day in days if is_empty_day(obj[day])]
        if empty:
            folder = self.base / self.get_asset_relative_path(context)
            stored = {p.name for p in folder.iterdir()} if self.path_exists(folder) else set()
            for day in empty:
                if day in stored:  # the day held articles once: its own file would win
                    self.unlink(self.day_path(context, day))
            marks = self._empty_folder(context)
            self.make_directory(marks)
            path = marks / f"{empty[0]}..{empty[-1]}.{time.time_ns()}"
            self.dump_to_path(context=context, obj=(empty, obj[empty[0]]), path=path)
        for day in days:
            if day not in empty:
                path = self.day_path(context, day)
                self.make_directory(path.parent)
                self.dump_to_path(context=context, obj=obj[day], path=path)


class DayValues:
    """The day values of an upstream asset, each read from storage when asked for:
    ``values[day]`` (an error naming the asset and day if it was never materialized)."""

    def __init__(self, manager: RangePickleIOManager, context: dg.InputContext):
        self.manager, self.context = manager, context

    def __getitem__(self, day: str) -> Any:
        return self.manager._load_days(self.context, [day])[day]


@dg.io_manager(
    config_schema={"base_dir": dg.Field(str, is_required=False)},
    description="Pickles each day partition to its own file, also when one run covers a range of days.",
)
def range_pickle_io_manager(init_context) -> RangePickleIOManager:
    base = init_context.resource_config.get("base_dir") or init_context.instance.storage_directory()
    return RangePickleIOManager(base_dir=base)
