import datetime as dt

import dagster as dg
import pandas as pd

from ..artifacts import EmbeddedDay
from ..vectors.milvus_store import day_number, ensure_collection, ids_for_days, write_day
from ..partitions import daily_partitions
from ..resources import MilvusResource

DUPLICATE_CHECK = "no_duplicate_ids_for_day"


@dg.asset(
    partitions_def=daily_partitions,
    group_name="newsclust",
    kinds={"milvus"},
    description="The day's ids, vectors and text upserted into one Milvus collection by primary key: "
                "re-materializing a day replaces its rows, never duplicates them.",
    check_specs=[dg.AssetCheckSpec(
        DUPLICATE_CHECK, asset="milvus_collection",
        description="After the write, the collection holds each of the day's ids exactly once and nothing else for the day.",
    )],
)
def milvus_collection(context: dg.AssetExecutionContext, embeddings: EmbeddedDay,
                      milvus: MilvusResource):
    day = dt.date.fromisoformat(context.partition_key)
    spec = milvus.spec(embeddings.dimension, embeddings.model)
    with milvus.client() as client:
        created = ensure_collection(client, spec)
        counts = write_day(client, spec, day, embeddings.articles, embeddings.vectors, flush=milvus.is_lite)
        d = day_number(day)
        stored = pd.Series(ids_for_days(client, milvus.collection_name, d, d), dtype=object)
        total = int(client.query(milvus.collection_name, filter="day >= 0", output_fields=["count(*)"])[0]["count(*)"])
    expected = set(embeddings.articles["id"])
    duplicates = int(len(stored) - stored.nunique())
    missing = len(expected - set(stored))
    extra = len(set(stored) - expected)
    check = dg.AssetCheckResult(
        check_name=DUPLICATE_CHECK,
        passed=duplicates == 0 and missing == 0 and extra == 0,
        metadata={"rows_for_day": len(stored), "expected": len(expected), "duplicate_rows": duplicates,
                  "missing_ids": missing, "unexpected_ids": extra},
    )
    metadata = {
        "collection": milvus.collection_name,
        "uri": milvus.display_uri,
        "created_collection": created,
        "dagster/row_count": len(stored),
        "collection_total_rows": total,
        **{f"rows_{k}": v for k, v in counts.items()},
    }
    return dg.MaterializeResult(metadata=metadata, check_results=[check])
