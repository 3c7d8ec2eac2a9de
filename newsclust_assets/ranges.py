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
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import pickle
import warnings
from typing import Any, TypeVar

import dagster as dg

T = TypeVar("T")

# Backfill policies are marked beta in Dagster 1.13; they are the documented way to give one
# run a range of partitions, so their warning is not repeated on every load.
warnings.filterwarnings("ignore", message=r"Parameter `backfill_policy` .* is currently in beta")

# Days per run of a backfill launched in the UI. One policy for all six assets, so Dagster
# puts a range's daily assets and its windows in the same run (assets with different
# policies get separate runs); 62 days embed in full batches even at 6 articles a day, and
# a run holds at most 62 windows' graphs in memory until its steps end.
BACKFILL = dg.BackfillPolicy.multi_run(max_partitions_per_run=62)

# Input metadata of a self-dependent asset's input (``stories``): load only the partition
# before the run's first day (None when it has none); the asset carries its state through
# the range itself.
PREVIOUS_DAY = "newsclust/previous_day_only"


def day_asset_args() -> dict:
    """What every newsclust asset shares: day partitions, the backfill policy, the group."""
    from .partitions import daily_partitions

    return {"partitions_def": daily_partitions, "backfill_policy": BACKFILL, "group_name": "newsclust"}


def config_digest(config: dg.Config) -> str:
    """A short hash of every field of an asset's config, recorded in its metadata, so that
    ``newsclust run`` redoes a window whose settings changed and skips one whose did not."""
    return hashlib.sha256(json.dumps(config.model_dump(), sort_keys=True).encode()).hexdigest()[:16]


def days_of(context: dg.AssetExecutionContext) -> list[str]:
    """The day partitions this run materializes, in order."""
    return list(context.partition_keys)


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
        if (context.definition_metadata or {}).get(PREVIOUS_DAY):
            return self._load_previous_day(context)
        if not (context.has_asset_key and context.has_asset_partitions and len(context.asset_partition_keys) > 1):
            return super().load_input(context)
        paths = {day: self.day_path(context, day) for day in context.asset_partition_keys}
        missing = [key for key, path in paths.items() if not self.path_exists(path)]
        if missing:
            raise FileNotFoundError(
                f"{context.asset_key.to_user_string()} has no stored value for {len(missing)} of "
                f"{len(paths)} days (first {missing[0]}): materialize it for those days first"
            )
        context.log.debug(f"loading {len(paths)} partitions of {context.asset_key.to_user_string()}")
        return {key: self.load_from_path(context=context, path=path) for key, path in paths.items()}

    def _load_previous_day(self, context: dg.InputContext) -> Any:
        if not context.has_asset_partitions:
            return None  # the first partition
        step = context.step_context
        start = step.partition_key_range.start if step.has_partition_key_range else step.partition_key
        before = (dt.date.fromisoformat(start) - dt.timedelta(days=1)).isoformat()
        if before not in context.asset_partition_keys:
            return None
        path = self.day_path(context, before)
        return self.load_from_path(context=context, path=path) if self.path_exists(path) else None

    def handle_output(self, context: dg.OutputContext, obj: Any):
        if not (context.has_asset_partitions and len(context.asset_partition_keys) > 1):
            return super().handle_output(context, obj)
        days = list(context.asset_partition_keys)
        if not isinstance(obj, dict) or set(obj) != set(days):
            raise TypeError(
                f"a range run of {context.asset_key.to_user_string()} must return one value per "
                f"day partition ({len(days)}), got {type(obj).__name__}"
            )
        for day in days:
            path = self.day_path(context, day)
            self.make_directory(path.parent)
            self.dump_to_path(context=context, obj=obj[day], path=path)


@dg.io_manager(
    config_schema={"base_dir": dg.Field(str, is_required=False)},
    description="Pickles each day partition to its own file, also when one run covers a range of days.",
)
def range_pickle_io_manager(init_context) -> RangePickleIOManager:
    base = init_context.resource_config.get("base_dir") or init_context.instance.storage_directory()
    return RangePickleIOManager(base_dir=base)
