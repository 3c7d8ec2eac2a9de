import datetime as dt
import time

import dagster as dg
import pandas as pd

from ..ingest.news_source import NewsSourceError, articles_for_days, content_hash, count_outside
from ..ranges import day_asset, day_record, days_of, first_day, last_day, output
from ..resources import NewsSourceResource
from .tables import table

KEPT_WHEN_EMPTY = ("skipped_in_day_duplicates", "skipped_cross_day_duplicates")


def _day_metadata(result, source: str, outside: int) -> dict:
    frame, report = result.articles, result.report
    metadata = {
        "dagster/row_count": len(frame),
        "content_hash": content_hash(frame),
        "source": dg.MetadataValue.path(source),
        "source_rows_read": report.rows_read,
        "skipped_malformed": report.skipped_total,
        "skipped_in_day_duplicates": result.skipped_in_day_duplicates,
        "skipped_cross_day_duplicates": result.skipped_cross_day_duplicates,
        "repaired_non_utf8_rows": report.repaired_non_utf8,
        "truncated_rows": report.truncated,
        "rows_missing_headline": report.missing_headline,
        "categories": int(frame.loc[frame["category"] != "", "category"].nunique()) if len(frame) else 0,
        "source_articles_outside_partitions": outside,
    }
    for reason, count in sorted(report.skipped.items()):
        metadata[f"skipped_{reason}"] = count
    if result.source_days:
        metadata["source_first_day"] = result.source_days[0].isoformat()
        metadata["source_last_day"] = result.source_days[1].isoformat()
    if len(frame):
        preview = frame[["id", "headline", "category"]].head(10).astype(str)
        metadata["preview"] = table(
            preview.to_dict("records"), {"id": "string", "headline": "string", "category": "string"}
        )
    return metadata


@day_asset(
    lambda calendar: {
        "kinds": {"python", "pandas"},
        "description": "One day of articles from the news source: stable ids, bad rows and duplicates counted and "
        "skipped. A range run reads the source once for all its days."
        + (f" WARNING, when the code location loaded: {calendar.problem}." if calendar.problem else ""),
    }
)
def raw_news(context: dg.AssetExecutionContext, news_source: NewsSourceResource) -> dg.MaterializeResult:
    started = time.perf_counter()
    keys = days_of(context)
    try:
        results = articles_for_days(news_source.path, [dt.date.fromisoformat(k) for k in keys])
    except NewsSourceError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    report = next(iter(results.values())).report
    if results and next(iter(results.values())).source_days is None:
        raise dg.Failure(
            description=f"news source {news_source.path} holds no readable article ({report.rows_read} "
            f"rows read, skipped: {dict(report.skipped) or 'none'})",
            allow_retries=False,
        )
    first, last = first_day(context), last_day(context)
    outside = count_outside(news_source.path, dt.date.fromisoformat(first), dt.date.fromisoformat(last))
    frames: dict[str, pd.DataFrame] = {}
    for key, result in zip(keys, results.values()):
        frames[key] = result.articles
        metadata = _day_metadata(result, news_source.path, outside)
        empty = not len(result.articles)  # its row count and any duplicates it skipped (ranges.day_record)
        context.add_asset_metadata(day_record(keys, key, metadata, empty, KEPT_WHEN_EMPTY), partition_key=key)
    if outside:
        context.log.warning(
            f"{outside} articles of {news_source.path} are dated outside the partitions "
            f"{first}..{last}: set NEWSCLUST_START_DATE/NEWSCLUST_END_DATE to include them"
        )
    if report.skipped_total:
        context.log.warning(
            f"skipped {report.skipped_total} malformed rows in {news_source.path}: {dict(report.skipped)}"
        )
    articles = sum(len(f) for f in frames.values())
    context.log.info(
        f"read {articles} articles for {len(keys)} days {keys[0]}..{keys[-1]} in {time.perf_counter() - started:.1f} s"
    )
    # the run's metadata lands on each of its days' materializations: kept to two numbers
    return dg.MaterializeResult(
        value=output(context, frames), metadata={"run_days": len(keys), "run_articles": articles}
    )
