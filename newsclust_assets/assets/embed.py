import dagster as dg
import numpy as np
import pandas as pd

from ..artifacts import EmbeddedDay
from ..ranges import by_day, day_asset, day_record, days_of, output
from ..resources import EmbeddingResource, MilvusResource
from ..vectors.milvus_store import describe

DIMENSION_CHECK = "dimension_matches_collection"


@day_asset(
    kinds={"pytorch", "numpy"},
    description="L2-normalised float32 vectors of the day's articles, encoded in batches. A range run encodes "
    "all its days' texts together, so batches are full however few articles a day holds.",
    check_specs=[
        dg.AssetCheckSpec(
            DIMENSION_CHECK,
            asset="embeddings",
            blocking=True,
            description="Vectors are finite, unit length, and of the dimension of the Milvus collection (if it exists). "
            "Blocking: a mismatch stops milvus_collection from writing.",
        )
    ],
)
def embeddings(context: dg.AssetExecutionContext, raw_news, embedder: EmbeddingResource, milvus: MilvusResource):
    days = by_day(context, raw_news)
    kept: dict[str, pd.DataFrame] = {}
    blank_by_day: dict[str, int] = {}
    for key, frame in days.items():
        # raw_news never yields an empty text; a custom source might, and an endpoint must never see one
        blank = frame["text"].fillna("").str.strip() == ""
        blank_by_day[key] = int(blank.sum())
        kept[key] = frame.loc[~blank].reset_index(drop=True)
    if sum(blank_by_day.values()):
        context.log.warning(f"skipped {sum(blank_by_day.values())} articles with empty text")
    texts = [t for key in days_of(context) for t in kept[key]["text"]]
    run = embedder.embed(texts)
    if run.vectors.shape[0] != len(texts):
        raise ValueError(f"embedding model returned {run.vectors.shape[0]} vectors for {len(texts)} texts")
    dim = run.vectors.shape[1] if run.vectors.ndim == 2 else 0
    with milvus.client() as client:
        existing = describe(client, milvus.collection_name)
    collection_dim = existing["dimension"] if existing else None
    norms = np.linalg.norm(run.vectors, axis=1) if len(texts) else np.ones(0)
    unit = bool(np.all(np.abs(norms - 1.0) < 1e-3))
    problems = []
    if collection_dim is not None and collection_dim != dim:
        problems.append(
            f"vectors are {dim}-d but collection {milvus.collection_name!r} holds {collection_dim}-d vectors"
        )
    if not unit:
        problems.append("some vectors are not unit length")
    check = dg.AssetCheckResult(
        check_name=DIMENSION_CHECK,
        passed=not problems,
        metadata={
            "vector_dimension": dim,
            "collection_dimension": collection_dim if collection_dim is not None else "none yet",
            "problems": "; ".join(problems) or "none",
        },
        description="; ".join(problems) or None,
    )
    values, start = {}, 0
    for key in days_of(context):
        n = len(kept[key])
        values[key] = EmbeddedDay(kept[key], run.vectors[start : start + n], run.model)
        start += n
        day_md = {"dagster/row_count": n, "skipped_empty_texts": blank_by_day[key]}
        context.add_asset_metadata(
            day_record(days_of(context), key, day_md, not n, ("skipped_empty_texts",)), partition_key=key
        )
    metadata = {
        "model": run.model,
        "dimension": dim,
        "docs_per_second": round(run.docs_per_second, 1),
        "encode_seconds": round(run.seconds, 3),
        "requests": run.requests,
        "truncated_texts": run.truncated,
        "retries": run.retries,
        "run_days": len(values),
        "run_articles": len(texts),
    }
    return dg.MaterializeResult(value=output(context, values), metadata=metadata, check_results=[check])
