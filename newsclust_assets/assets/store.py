import datetime as dt
import time

import dagster as dg

from ..ranges import by_day, day_asset, day_record, days_of
from ..resources import MilvusResource
from ..vectors.milvus_store import count_rows, day_number, ensure_collection, ids_by_day, write_days

DUPLICATE_CHECK = "no_duplicate_ids_for_day"


@day_asset(
    kinds={"milvus"},
    description="The day's ids, vectors and text upserted into one Milvus collection by primary key: "
    "re-materializing a day replaces its rows, never duplicates them. A range run writes all its "
    "days in bulk and flushes once.",
    check_specs=[
        dg.AssetCheckSpec(
            DUPLICATE_CHECK,
            asset="milvus_collection",
            description="After the write, the collection holds each of the day's ids exactly once and nothing else for the day.",
        )
    ],
)
def milvus_collection(context: dg.AssetExecutionContext, embeddings, milvus: MilvusResource):
    started = time.perf_counter()
    days = by_day(context, embeddings)
    keys = days_of(context)
    first = next(iter(days.values()))
    spec = milvus.spec(first.dimension, first.model)
    with milvus.client() as client:
        created = ensure_collection(client, spec)
        counts = write_days(
            client,
            spec,
            {dt.date.fromisoformat(k): (days[k].articles, days[k].vectors) for k in keys},
            flush=milvus.is_lite,
        )
        stored = ids_by_day(client, milvus.collection_name, day_number(keys[0]), day_number(keys[-1]))
        total = count_rows(client, milvus.collection_name)
    failing, totals = [], {"duplicate_rows": 0, "missing_ids": 0, "unexpected_ids": 0}
    for key in keys:
        ids = stored.get(day_number(key), [])
        expected = set(days[key].articles["id"])
        day_counts = {
            "duplicate_rows": len(ids) - len(set(ids)),
            "missing_ids": len(expected - set(ids)),
            "unexpected_ids": len(set(ids) - expected),
        }
        for name, value in day_counts.items():
            totals[name] += value
        if any(day_counts.values()):
            failing.append(key)
        day_md = {
            "dagster/row_count": len(ids),
            "rows_for_day": len(ids),
            **{f"rows_{k}": v for k, v in counts[dt.date.fromisoformat(key)].items()},
            **day_counts,
        }
        # a day that held nothing and holds nothing: its row count only (ranges.day_record)
        context.add_asset_metadata(day_record(keys, key, day_md, not any(day_md.values())), partition_key=key)
    check = dg.AssetCheckResult(
        check_name=DUPLICATE_CHECK,
        passed=not failing,
        metadata={
            "days_checked": len(keys),
            "rows_for_day": sum(len(v) for v in stored.values()),
            "expected": sum(len(days[k].articles) for k in keys),
            **totals,
            "failing_days": ", ".join(failing[:20]) or "none",
        },
        description=f"{len(failing)} days do not hold exactly their articles: {', '.join(failing[:5])}"
        if failing
        else None,
    )
    seconds = time.perf_counter() - started
    context.log.info(
        f"stored {sum(c['upserted'] for c in counts.values())} rows for {len(keys)} days in {seconds:.1f} s"
    )
    metadata = {
        "collection": milvus.collection_name,
        "uri": milvus.display_uri,
        "created_collection": created,
        "collection_total_rows": total,
        "run_days": len(keys),
        "store_seconds": round(seconds, 3),
    }
    return dg.MaterializeResult(metadata=metadata, check_results=[check])
