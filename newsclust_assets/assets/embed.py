import dagster as dg
import numpy as np
import pandas as pd

from ..artifacts import EmbeddedDay
from ..vectors.milvus_store import describe
from ..partitions import daily_partitions
from ..resources import EmbeddingResource, MilvusResource

DIMENSION_CHECK = "dimension_matches_collection"


@dg.asset(
    partitions_def=daily_partitions,
    group_name="newsclust",
    kinds={"pytorch", "numpy"},
    description="L2-normalised float32 vectors of the day's articles, encoded in batches.",
    check_specs=[dg.AssetCheckSpec(
        DIMENSION_CHECK, asset="embeddings", blocking=True,
        description="Vectors are finite, unit length, and of the dimension of the Milvus collection (if it exists). "
                    "Blocking: a mismatch stops milvus_collection from writing.",
    )],
)
def embeddings(context: dg.AssetExecutionContext, raw_news: pd.DataFrame, embedder: EmbeddingResource,
               milvus: MilvusResource):
    # raw_news never yields an empty text; a custom source might, and an endpoint must never see one
    blank = raw_news["text"].fillna("").str.strip() == ""
    if blank.any():
        context.log.warning(f"skipped {int(blank.sum())} articles with empty text")
        raw_news = raw_news.loc[~blank].reset_index(drop=True)
    texts = list(raw_news["text"])
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
        problems.append(f"vectors are {dim}-d but collection {milvus.collection_name!r} holds {collection_dim}-d vectors")
    if not unit:
        problems.append("some vectors are not unit length")
    check = dg.AssetCheckResult(
        check_name=DIMENSION_CHECK,
        passed=not problems,
        metadata={"vector_dimension": dim, "collection_dimension": collection_dim if collection_dim is not None else "none yet",
                  "problems": "; ".join(problems) or "none"},
        description="; ".join(problems) or None,
    )
    metadata = {
        "model": run.model,
        "dimension": dim,
        "dagster/row_count": len(texts),
        "docs_per_second": round(run.docs_per_second, 1),
        "encode_seconds": round(run.seconds, 3),
        "requests": run.requests,
        "truncated_texts": run.truncated,
        "retries": run.retries,
        "skipped_empty_texts": int(blank.sum()),
    }
    return dg.MaterializeResult(value=EmbeddedDay(raw_news, run.vectors, run.model), metadata=metadata,
                                check_results=[check])
