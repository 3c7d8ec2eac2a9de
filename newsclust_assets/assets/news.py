import datetime as dt

import dagster as dg
import pandas as pd

from ..ingest.news_source import articles_for_day, count_outside
from ..partitions import FIRST_DAY, LAST_DAY, daily_partitions
from ..resources import NewsSourceResource


@dg.asset(
    partitions_def=daily_partitions,
    group_name="newsclust",
    kinds={"python", "pandas"},
    description="One day of articles from the news source: stable ids, bad rows and duplicates counted and skipped.",
)
def raw_news(context: dg.AssetExecutionContext, news_source: NewsSourceResource) -> dg.MaterializeResult[pd.DataFrame]:
    day = dt.date.fromisoformat(context.partition_key)
    result = articles_for_day(news_source.path, day)
    frame = result.articles
    report = result.report
    metadata = {
        "dagster/row_count": len(frame),
        "source": dg.MetadataValue.path(news_source.path),
        "source_rows_read": report.rows_read,
        "skipped_malformed": report.skipped_total,
        "skipped_in_day_duplicates": result.skipped_in_day_duplicates,
        "skipped_cross_day_duplicates": result.skipped_cross_day_duplicates,
        "repaired_non_utf8_rows": report.repaired_non_utf8,
        "truncated_rows": report.truncated,
        "categories": int(frame.loc[frame["category"] != "", "category"].nunique()),
    }
    for reason, count in sorted(report.skipped.items()):
        metadata[f"skipped_{reason}"] = count
    if result.source_days:
        metadata["source_first_day"] = result.source_days[0].isoformat()
        metadata["source_last_day"] = result.source_days[1].isoformat()
    if len(frame):
        metadata["preview"] = dg.MetadataValue.md(
            frame[["id", "headline", "category"]].head(10).to_markdown(index=False)
        )
    outside = count_outside(news_source.path, FIRST_DAY, LAST_DAY)
    metadata["source_articles_outside_partitions"] = outside
    if outside:
        context.log.warning(f"{outside} articles of {news_source.path} are dated outside the partitions "
                            f"{FIRST_DAY}..{LAST_DAY}: set NEWSCLUST_START_DATE/NEWSCLUST_END_DATE to include them")
    if report.skipped_total:
        context.log.warning(f"skipped {report.skipped_total} malformed rows in {news_source.path}: {dict(report.skipped)}")
    return dg.MaterializeResult(value=frame, metadata=metadata)
