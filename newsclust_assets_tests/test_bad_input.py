"""Bad input through the real assets: every case ends in a counted, reported skip or a
clear error, nothing stored is lost, and re-running never duplicates data."""

import json
from pathlib import Path

import dagster as dg
import pytest

from newsclust_assets.vectors.milvus_store import TEXT_LIMITS

from .conftest import AFTER_DAILY, ALL_ASSETS, DAILY, make_resources, md, sample_rows, step_error, stored_rows
from .test_map_plot import plotly_traces

DAYS = ["2024-03-02", "2024-03-03", "2024-03-04"]  # 03-04 has no article in this source
SCRIPT = "<script>alert('owned')</script><img src=x onerror=alert(2)>"


def art(headline, day, link, desc="A description.", **extra):
    return {"headline": headline, "short_description": desc, "date": day, "link": link, **extra}


def write_bad_source(path):
    good = sample_rows("2024-03-02", "2024-03-03")  # 9 + 10 articles
    day2_links = [r["link"] for r in good if r["date"] == "2024-03-02"]
    lines = [json.dumps(r).encode() for r in good]
    lines += [
        b"{not json at all",
        b'["a", "list"]',
        json.dumps({"headline": "No date here", "short_description": "x", "link": "https://x.org/nd"}).encode(),
        json.dumps(art("Bad date", "yesterday", "https://x.org/bd")).encode(),
        json.dumps(art("", "2024-03-02", "https://x.org/empty", desc="")).encode(),
        json.dumps(art("Strike repeat", "2024-03-02", day2_links[0])).encode(),  # in-day duplicate
        json.dumps(art("Strike later", "2024-03-03", day2_links[1])).encode(),  # cross-day duplicate
        json.dumps(art("Latin-1 XX", "2024-03-02", "https://x.org/latin")).encode().replace(b"XX", b"caf\xe9"),
        json.dumps(art("A very long article", "2024-03-03", "https://x.org/long", desc="word " * 20_000)).encode(),
        json.dumps(art(SCRIPT, "2024-03-03", "https://x.org/xss", category="CRIME")).encode(),
        json.dumps(art("Too early", "2019-01-01", "https://x.org/early")).encode(),  # outside the partitions
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def run_all(resources, instance):
    daily = {
        d: dg.materialize(ALL_ASSETS, selection=DAILY, partition_key=d, instance=instance, resources=resources)
        for d in DAYS
    }
    window = dg.materialize(
        ALL_ASSETS, selection=AFTER_DAILY, partition_key=DAYS[-1], instance=instance, resources=resources
    )
    return daily, window


def test_bad_rows_end_to_end_are_counted_stored_once_and_shown_as_text(tmp_path, instance):
    source = write_bad_source(tmp_path / "news.jsonl")
    resources = make_resources(tmp_path, source)
    daily, window = run_all(resources, instance)

    raw = {d: md(r, "raw_news") for d, r in daily.items()}
    assert [raw[d]["dagster/row_count"] for d in DAYS] == [9 + 1, 10 + 2, 0]  # + latin-1, + long and script
    for d in DAYS:
        assert raw[d]["skipped_malformed"] == 5
        assert raw[d]["skipped_malformed_json"] == 1 and raw[d]["skipped_not_an_object"] == 1
        assert raw[d]["skipped_missing_or_bad_date"] == 2 and raw[d]["skipped_missing_text"] == 1
        assert raw[d]["repaired_non_utf8_rows"] == 1 and raw[d]["truncated_rows"] == 1
        assert raw[d]["source_articles_outside_partitions"] == 1
    assert raw["2024-03-02"]["skipped_in_day_duplicates"] == 1
    assert raw["2024-03-03"]["skipped_cross_day_duplicates"] == 1

    latin = daily["2024-03-02"].output_for_node("raw_news")
    assert "caf\ufffd" in latin.loc[latin["link"] == "https://x.org/latin", "headline"].iloc[0]
    assert md(daily["2024-03-03"], "embeddings")["truncated_texts"] == 1  # the long text, cut again to 2000
    assert md(daily["2024-03-04"], "embeddings")["dagster/row_count"] == 0

    stored = stored_rows(resources["milvus"], ("id", "day", "text", "headline"))
    assert len(stored) == 22 and stored["id"].is_unique
    long_text = stored.loc[stored["headline"] == "A very long article", "text"].iloc[0]
    assert len(long_text.encode()) <= TEXT_LIMITS["text"]
    assert SCRIPT in set(stored["headline"])  # stored as the text it is

    labels = window.output_for_node("cluster_labels")
    assert len(labels) == 22
    html = Path(md(window, "umap_plot")["path"]).read_text()
    hover = [text for trace in plotly_traces(html) for text in trace["text"]]
    assert any("&lt;script&gt;alert('owned')&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in h for h in hover)
    assert "<script>alert('owned')" not in html and "onerror=alert(2)>" not in html

    again, _ = run_all(resources, instance)  # re-running every asset duplicates nothing
    assert all(md(r, "milvus_collection")["rows_new"] == 0 for r in again.values())
    stored_again = stored_rows(resources["milvus"], ("id",))
    assert sorted(stored_again["id"]) == sorted(stored["id"])


def test_csv_source_with_a_malformed_row(tmp_path, instance):
    source = tmp_path / "news.csv"
    source.write_text(
        'title,description,date,url\n"Port strike, day 1",Dockers walk out,2024-03-02,https://x.org/a\n'
        "Port strike day 2,Talks stall,2024-03-02,https://x.org/b\n"
        "Broken,row,2024-03-02,https://x.org/c,EXTRA,FIELDS\n"
        ",,2024-03-02,https://x.org/d\n"
    )
    resources = make_resources(tmp_path, source)
    result = dg.materialize(
        ALL_ASSETS, selection=DAILY, partition_key="2024-03-02", instance=instance, resources=resources
    )
    meta = md(result, "raw_news")
    assert meta["dagster/row_count"] == 2
    assert meta["skipped_malformed_csv"] == 1 and meta["skipped_missing_text"] == 1
    assert sorted(stored_rows(resources["milvus"], ("id", "headline"))["headline"]) == [
        "Port strike day 2",
        "Port strike, day 1",
    ]


def test_missing_source_file_is_a_clear_error_and_keeps_stored_rows(tmp_path, instance):
    source = write_bad_source(tmp_path / "news.jsonl")
    resources = make_resources(tmp_path, source)
    dg.materialize(ALL_ASSETS, selection=DAILY, partition_key="2024-03-02", instance=instance, resources=resources)
    assert len(stored_rows(resources["milvus"])) == 10
    source.rename(tmp_path / "moved.jsonl")
    result = dg.materialize(
        ALL_ASSETS,
        selection=DAILY,
        partition_key="2024-03-02",
        instance=instance,
        resources=resources,
        raise_on_error=False,
    )
    assert not result.success
    assert f"news source file not found: {source}" in step_error(result, "raw_news")
    assert len(stored_rows(resources["milvus"])) == 10  # nothing stored is lost


def test_partition_outside_the_range_is_refused(tmp_path, instance):
    resources = make_resources(tmp_path)
    with pytest.raises(dg.DagsterUnknownPartitionError, match="Could not find a partition with key `1999-01-01`"):
        dg.materialize(ALL_ASSETS, selection=DAILY, partition_key="1999-01-01", instance=instance, resources=resources)
    assert not (tmp_path / "milvus.db").exists()
