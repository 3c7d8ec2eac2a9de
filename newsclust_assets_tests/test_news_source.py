import datetime as dt
import json
from collections import Counter

import pytest

from newsclust_assets.ingest.news_source import (
    MAX_DESCRIPTION_CHARS,
    NewsSourceError,
    article_id,
    articles_for_day,
    read_articles,
)
from newsclust_assets.settings import SAMPLE_PATH

from .conftest import write_jsonl

D1, D2 = dt.date(2024, 3, 1), dt.date(2024, 3, 2)


def art(headline, day="2024-03-01", link="", desc="desc", **extra):
    return {"headline": headline, "short_description": desc, "date": day, "link": link, **extra}


def test_bad_rows_are_counted_not_fatal(tmp_path):
    path = write_jsonl(
        tmp_path / "n.jsonl",
        [
            art("Good one", link="https://x.org/1", category="POLITICS"),
            "{not json",
            "[1, 2, 3]",
            art("", desc=""),  # no text at all
            {"headline": "No date", "short_description": "x"},
            art("Bad date", day="yesterday"),
            art("Good one again", link="https://x.org/1"),  # same link, same day -> in-day duplicate
            art("Second", link="https://x.org/2", day="2024-03-02T08:30:00Z"),
        ],
    )
    day1 = articles_for_day(path, D1)
    assert list(day1.articles["headline"]) == ["Good one"]
    assert day1.articles["category"].tolist() == ["POLITICS"]
    assert day1.skipped_in_day_duplicates == 1
    assert dict(day1.report.skipped) == {
        "malformed_json": 1,
        "not_an_object": 1,
        "missing_text": 1,
        "missing_or_bad_date": 2,
    }
    assert day1.report.rows_read == 8
    day2 = articles_for_day(path, D2)
    assert list(day2.articles["headline"]) == ["Second"]
    assert day2.articles["date"].tolist() == ["2024-03-02"]


def test_empty_day_is_zero_rows_with_columns(tmp_path):
    path = write_jsonl(tmp_path / "n.jsonl", [art("Only on day one")])
    empty = articles_for_day(path, D2)
    assert len(empty.articles) == 0
    assert "text" in empty.articles.columns and "id" in empty.articles.columns


def test_cross_day_duplicate_belongs_to_earliest_day(tmp_path):
    path = write_jsonl(
        tmp_path / "n.jsonl",
        [
            art("Repeat", day="2024-03-02", link="https://x.org/r"),
            art("Repeat", day="2024-03-01", link="https://X.org/r/"),  # same link, normalised
        ],
    )
    assert len(articles_for_day(path, D1).articles) == 1
    later = articles_for_day(path, D2)
    assert len(later.articles) == 0 and later.skipped_cross_day_duplicates == 1


def test_stable_ids():
    a = article_id("https://www.example.com/story#comments", "H", "D")
    assert a == article_id("http://WWW.example.com/story/", "other", "text")
    assert len(a) == 32 and a == "%032x" % int(a, 16)
    assert article_id("", "Headline", "Desc") == article_id("", "headline", "desc")
    assert article_id("", "Headline", "Desc") != article_id("", "Headline", "Other")


def test_non_utf8_and_long_text_are_repaired_and_counted(tmp_path):
    path = tmp_path / "n.jsonl"
    good = json.dumps(art("Caf\u00e9 opens")).encode()
    bad = json.dumps(art("Latin-1 XX", link="https://x.org/l")).encode().replace(b"XX", b"\xe9t\xe9")
    long = json.dumps(art("Long", link="https://x.org/long", desc="w" * 100_000)).encode()
    path.write_bytes(b"\n".join([good, bad, long]) + b"\n")
    day = articles_for_day(path, D1)
    assert len(day.articles) == 3
    assert day.report.repaired_non_utf8 == 1
    assert day.report.truncated == 1
    assert "\ufffd" in day.articles["headline"].iloc[1]
    assert max(len(t) for t in day.articles["description"]) == MAX_DESCRIPTION_CHARS


def test_csv_with_title_and_description(tmp_path):
    path = tmp_path / "n.csv"
    path.write_text(
        'title,description,date,url\n"A, quoted",first,2024-03-01,https://x.org/a\n'
        "B,second,2024-03-01\nC,third,2024-03-01,https://x.org/c,EXTRA\n"
    )
    day = articles_for_day(path, D1)
    assert day.articles["headline"].tolist() == ["A, quoted", "B"]
    assert day.articles["link"].tolist() == ["https://x.org/a", ""]
    assert day.report.skipped["malformed_csv"] == 1


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(NewsSourceError, match="news source file not found: .*nope.jsonl"):
        articles_for_day(tmp_path / "nope.jsonl", D1)
    (tmp_path / "n.xml").write_text("<x/>")
    with pytest.raises(NewsSourceError, match="unknown format '.xml'"):
        read_articles(tmp_path / "n.xml")


def test_shipped_sample_meets_its_promise():
    articles, report = read_articles(SAMPLE_PATH)
    assert report.skipped_total == 0
    assert len(articles) >= 200
    days = Counter(a["date"] for a in articles)
    assert len(days) >= 10
    assert len({a["id"] for a in articles}) == len(articles)
    # multi-day stories exist: the same story slug in links on several days
    story_days = {}
    for a in articles:
        story_days.setdefault(a["link"].split("/")[4], set()).add(a["date"])
    multi_day = [s for s, d in story_days.items() if s != "features" and len(d) >= 4]
    assert len(multi_day) >= 10


def test_shared_dataset_reads_unchanged(shared_news):
    articles, report = read_articles(shared_news)
    assert report.rows_read == 10_000 and report.skipped_total == 0
    assert len(articles) == 10_000
    assert len({a["id"] for a in articles}) == 9_998  # README: two links occur twice
    assert min(a["date"] for a in articles) == dt.date(2018, 5, 1)
    assert max(a["date"] for a in articles) == dt.date(2022, 9, 23)
