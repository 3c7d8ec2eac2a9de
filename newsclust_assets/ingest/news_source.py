"""Read news articles from a JSON-lines or CSV file, one partition day at a time.

Pure parsing: no Dagster imports. Every row either becomes an :class:`Article`
or is counted under a skip reason in :class:`ParseReport`; nothing raises on a bad
row. A missing file, or a file of an unknown format, raises ``NewsSourceError``.

Article ids are stable: the same article always gets the same id, whichever file
or run it comes from. With a link the id hashes the normalised link; without one it
hashes the normalised headline and description. An article that occurs on several
days belongs to its earliest day; later occurrences are counted as cross-day
duplicates, so a backfill stores each article once.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import files

HEADLINE_KEYS = ("headline", "title")
DESCRIPTION_KEYS = ("short_description", "description", "summary")
DATE_KEYS = ("date", "published", "pubDate", "pubdate", "published_at")
ARTICLE_COLUMNS = ["id", "date", "headline", "description", "link", "category", "authors", "text"]

# Over-long fields are cut here (characters); the cut is counted, never silent.
MAX_HEADLINE_CHARS = 1000
MAX_DESCRIPTION_CHARS = 4000

_WS = re.compile(r"\s+")
# zero-width and invisible format characters: a headline of only these is no headline
_INVISIBLE = re.compile("[\u200b-\u200f\u2028-\u202f\u2060-\u2064\ufeff\u00ad]")
_SURROGATE = re.compile("[\ud800-\udfff]")
HEADLINE_FROM_DESCRIPTION_CHARS = 120


class NewsSourceError(Exception):
    """The source as a whole cannot be read (missing file, unknown format)."""


@dataclass
class ParseReport:
    """What happened to every row of the source file."""

    rows_read: int = 0
    skipped: Counter = field(default_factory=Counter)
    repaired_non_utf8: int = 0  # rows with bytes that are not UTF-8, or lone surrogates, replaced by U+FFFD
    truncated: int = 0
    missing_headline: int = 0  # rows without a headline: the description's start is shown as one
    columns: list[str] | None = None  # a CSV file's header, as read

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())


@dataclass
class DayArticles:
    """The articles of one day plus the counts that explain what was left out."""

    day: dt.date
    articles: pd.DataFrame
    skipped_in_day_duplicates: int
    skipped_cross_day_duplicates: int
    report: ParseReport
    source_days: tuple[dt.date, dt.date] | None


def _clean(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value)
    return _WS.sub(" ", _INVISIBLE.sub("", value)).strip()


def _repair_surrogates(row: dict, report: ParseReport) -> dict:
    """JSON can spell lone surrogates ("\\ud800"), which no UTF-8 encoder accepts: each becomes
    U+FFFD and the row counts as repaired, so one such row never fails a day."""
    bad = False
    out = {}
    for k, v in row.items():
        if isinstance(v, str) and _SURROGATE.search(v):
            v, bad = _SURROGATE.sub("\ufffd", v), True
        out[k] = v
    report.repaired_non_utf8 += bad
    return out


def _first(row: dict, keys: tuple[str, ...]) -> str:
    for key in keys:
        if key in row and row[key] is not None:
            text = _clean(row[key])
            if text:
                return text
    return ""


_NAMED_MONTH_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%B %d %Y", "%b %d %Y")


def parse_date(value: object) -> dt.date | None:
    """The article's day, or None for anything not read as a date.

    Accepted: 'YYYY-MM-DD'; ISO datetimes ('2022-06-26T10:00:00', with 'Z' or an offset:
    converted to the UTC day); epoch seconds or milliseconds (numbers, or digit strings of
    9-13 digits: above 1e11 they are milliseconds); RFC 2822 as in RSS ``pubDate``
    ('Mon, 26 Jun 2022 10:00:00 GMT', converted to the UTC day); and named months ('June 26,
    2022', 'Jun 26, 2022', '26 June 2022'). Anything else, including a valid date followed
    by other text ('2024-05-02garbage'), is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _epoch_day(float(value))
    text = _clean(value)
    if not text:
        return None
    if re.fullmatch(r"\d{9,13}(\.\d+)?", text):
        return _epoch_day(float(text))
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return dt.date.fromisoformat(text)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?", text):
            stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            return _utc_day(stamp)
    except ValueError:
        return None
    if "," in text[:5] or re.match(r"^\d{1,2} [A-Za-z]{3} \d{4} \d", text):
        from email.utils import parsedate_to_datetime

        try:
            return _utc_day(parsedate_to_datetime(text))
        except (TypeError, ValueError, IndexError):
            pass
    for fmt in _NAMED_MONTH_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _utc_day(stamp: dt.datetime) -> dt.date:
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.UTC)
    return stamp.date()


def _epoch_day(seconds: float) -> dt.date | None:
    if seconds > 1e11:  # milliseconds
        seconds /= 1000.0
    if not 0 < seconds < 4102444800:  # 1970 .. 2100
        return None
    return dt.datetime.fromtimestamp(seconds, dt.UTC).date()


def normalise_link(link: str) -> str:
    link = link.strip()
    link = re.sub(r"^https?://", "", link, flags=re.IGNORECASE)
    link = link.split("#", 1)[0].rstrip("/")
    return link.lower()


def article_id(link: str, headline: str, description: str) -> str:
    """A stable 32-hex-digit id: from the link if there is one, else from the text."""
    if link:
        key = "link:" + normalise_link(link)
    else:
        key = "text:" + headline.lower() + "\n" + description.lower()
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def embedding_text(headline: str, description: str) -> str:
    if headline and description:
        sep = " " if headline[-1] in ".!?:" else ". "
        return headline + sep + description
    return headline or description


def _decode_lines(raw: bytes, report: ParseReport) -> list[str]:
    lines = []
    for line in raw.splitlines():
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            report.repaired_non_utf8 += 1
            lines.append(line.decode("utf-8", errors="replace"))
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    return lines


def _json_array(lines: list[str], report: ParseReport):
    """The rows of a file holding one JSON array (on one line or pretty-printed), or None
    when the file is not one valid array (then it is read line by line)."""
    text = "\n".join(lines).strip()
    if not text.startswith("["):
        return None
    try:
        rows = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(rows, list):
        return None
    out = []
    for row in rows:
        report.rows_read += 1
        if isinstance(row, dict):
            out.append(row)
        else:
            report.skipped["not_an_object"] += 1
    return out


def _json_rows(lines: list[str], report: ParseReport):
    array = _json_array(lines, report)
    if array is not None:
        yield from array
        return
    for line in lines:
        if not line.strip():
            continue
        report.rows_read += 1
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            report.skipped["malformed_json"] += 1
            continue
        if not isinstance(row, dict):
            report.skipped["not_an_object"] += 1
            continue
        yield row


CSV_DELIMITERS = ",;\t|"  # a spreadsheet's CSV export in many locales is ';'-separated


def csv_delimiter(header: str) -> str:
    """The separator of a CSV file, from its header line: the one of ``,;<tab>|`` it holds
    most often outside quotes (',' when none)."""
    bare = re.sub(r'"[^"]*"', "", header)
    counts = {d: bare.count(d) for d in CSV_DELIMITERS}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


def _csv_rows(lines: list[str], report: ParseReport):
    delimiter = csv_delimiter(lines[0]) if lines else ","
    reader = csv.DictReader(io.StringIO("\n".join(lines)), restkey="__extra__", restval="", delimiter=delimiter)
    if not reader.fieldnames:
        return
    report.columns = [f.strip().lower() for f in reader.fieldnames if f]
    for row in reader:
        report.rows_read += 1
        if "__extra__" in row:  # more fields than the header: columns cannot be trusted
            report.skipped["malformed_csv"] += 1
            continue
        yield {k.strip().lower(): v for k, v in row.items() if k}


def _to_article(row: dict, report: ParseReport) -> dict | None:
    row = _repair_surrogates(row, report)
    headline = _first(row, HEADLINE_KEYS)
    description = _first(row, DESCRIPTION_KEYS)
    if not headline and not description:
        report.skipped["missing_text"] += 1
        return None
    date = parse_date(_first(row, DATE_KEYS))
    if date is None:
        report.skipped["missing_or_bad_date"] += 1
        return None
    truncated = False
    if len(headline) > MAX_HEADLINE_CHARS:
        headline, truncated = headline[:MAX_HEADLINE_CHARS], True
    if len(description) > MAX_DESCRIPTION_CHARS:
        description, truncated = description[:MAX_DESCRIPTION_CHARS], True
    report.truncated += truncated
    text_headline = headline
    if not headline:  # stated rule: the description is the text; its start is shown as the headline
        report.missing_headline += 1
        headline = (
            description
            if len(description) <= HEADLINE_FROM_DESCRIPTION_CHARS
            else (description[:HEADLINE_FROM_DESCRIPTION_CHARS].rsplit(" ", 1)[0] + "\u2026")
        )
    link = _clean(row.get("link") or row.get("url"))
    authors = row.get("authors")
    if isinstance(authors, list):
        authors = ", ".join(_clean(a) for a in authors)
    return {
        "id": article_id(link, text_headline, description),
        "date": date,
        "headline": headline,
        "description": description,
        "link": link,
        "category": _clean(row.get("category")),
        "authors": _clean(authors),
        "text": embedding_text(text_headline, description),
    }


def _source_rows(path, report: ParseReport):
    """(raw row, article or None) for every row of the file (a local path or a URL's UPath)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:  # permissions, a vanished file, an I/O error: one line naming file and cause
        raise NewsSourceError(f"cannot read news source {path}: {exc.strerror or exc}") from None
    except Exception as exc:  # noqa: BLE001 - an object store's own errors (credentials, network)
        raise NewsSourceError(f"cannot read news source {path}: {type(exc).__name__}: {exc}") from None
    lines = _decode_lines(raw, report)
    rows = _csv_rows(lines, report) if path.suffix.lower() == ".csv" else _json_rows(lines, report)
    for row in rows:
        yield row, _to_article(row, report)


def read_articles(path: str | Path) -> tuple[list[dict], ParseReport]:
    """Parse every row of a .jsonl/.json/.ndjson or .csv file."""
    path = _checked_source(path)
    report = ParseReport()
    articles = [a for _, a in _source_rows(path, report) if a is not None]
    return articles, report


def _checked_source(path: str | Path):
    """``path`` as a Path (a URL such as ``s3://bucket/news.jsonl``: a UPath), or
    NewsSourceError for a missing file or an unknown format."""
    if files.is_url(path):
        return _checked_remote(str(path))
    path = Path(str(path).removeprefix("file://"))
    try:
        path.stat()
    except PermissionError as exc:  # a directory on the way cannot be entered
        raise NewsSourceError(f"cannot read news source {path}: {exc.strerror}") from None
    except OSError:
        pass  # missing: said below
    if path.is_dir():
        raise NewsSourceError(
            f"news source {path} is a directory, not a file: point NEWSCLUST_SOURCE at one "
            ".jsonl, .ndjson, .json or .csv file"
        )
    if not path.is_file():
        raise NewsSourceError(f"news source file not found: {path}")
    _check_format(path, path)
    return path


def _check_format(path, shown) -> None:
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".ndjson", ".json", ".csv"):
        raise NewsSourceError(f"news source {shown} has unknown format {suffix!r}: use .jsonl, .ndjson, .json or .csv")


def _checked_remote(url: str):
    """The source on an object store (any fsspec URL) as a UPath, checked as a local one is
    (its format first: that needs no call to the store)."""
    path = files.at(url)
    _check_format(path, url)
    try:
        found = path.is_file()
    except Exception as exc:  # noqa: BLE001 - credentials, network: one line naming the source
        raise NewsSourceError(f"cannot read news source {url}: {type(exc).__name__}: {exc}") from None
    if not found:
        raise NewsSourceError(f"news source file not found: {url}")
    return path


def _stamp(path) -> tuple[str, float | str, int]:
    """What changes when the file changes: (where, modified time or ETag, size)."""
    if isinstance(path, Path):
        st = path.stat()
        return str(path.resolve()), st.st_mtime, st.st_size
    info = path.fs.info(path.path)
    changed = info.get("ETag") or info.get("LastModified") or info.get("mtime") or info.get("created") or ""
    return str(path), str(changed), int(info.get("size") or 0)


def read_labels(path: str | Path, field: str = "story") -> dict[str, str]:
    """{article id: value of ``field``} for every article of the file whose row has a
    non-empty ``field`` (e.g. the story an aggregator or an editor assigned). An article
    that occurs twice keeps the label of its first row. Memoised on (path, mtime, size,
    field): cluster_labels asks once per window, and one process may run many windows."""
    path = _checked_source(path)
    key = (*_stamp(path), field)
    if key not in _LABELS_CACHE:
        labels: dict[str, str] = {}
        for row, article in _source_rows(path, ParseReport()):
            if article is None:
                continue
            value = _clean(row.get(field))
            if value and article["id"] not in labels:
                labels[article["id"]] = value
        _LABELS_CACHE.clear()
        _LABELS_CACHE[key] = labels
    return dict(_LABELS_CACHE[key])


_LABELS_CACHE: dict[tuple, dict[str, str]] = {}


_CACHE: dict[tuple, tuple[list[dict], ParseReport]] = {}


def read_articles_cached(path: str | Path) -> tuple[list[dict], ParseReport]:
    """read_articles, memoised on (path, mtime, size) so that a process that
    materializes many days parses the file once."""
    p = _checked_source(path)
    key = _stamp(p)
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = read_articles(p)
    return _CACHE[key]


def articles_for_days(path: str | Path, days: list[dt.date]) -> dict[dt.date, DayArticles]:
    """The articles of each of ``days`` from one pass over the source: each id once, an
    article kept on its earliest day. A day without articles maps to an empty frame."""
    articles, report = read_articles_cached(path)
    first_seen: dict[str, dt.date] = {}
    for a in articles:
        if a["id"] not in first_seen or a["date"] < first_seen[a["id"]]:
            first_seen[a["id"]] = a["date"]
    wanted = set(days)
    kept: dict[dt.date, list[dict]] = {d: [] for d in wanted}
    seen: dict[dt.date, set] = {d: set() for d in wanted}
    in_day: Counter[dt.date] = Counter()
    cross_day: Counter[dt.date] = Counter()
    for a in articles:
        day = a["date"]
        if day not in wanted:
            continue
        if first_seen[a["id"]] < day:
            cross_day[day] += 1
            continue
        if a["id"] in seen[day]:
            in_day[day] += 1
            continue
        seen[day].add(a["id"])
        kept[day].append({**a, "date": day.isoformat()})
    span = (min(first_seen.values()), max(first_seen.values())) if first_seen else None
    out = {}
    # dtype=object in the constructor (13x faster than astype afterwards) and copies of one
    # empty frame: a 5-year sparse range is mostly empty days
    empty = pd.DataFrame([], columns=ARTICLE_COLUMNS, dtype=object)
    for day in days:
        frame = pd.DataFrame(kept[day], columns=ARTICLE_COLUMNS, dtype=object) if kept[day] else empty.copy()
        out[day] = DayArticles(day, frame, in_day[day], cross_day[day], report, span)
    return out


def articles_for_day(path: str | Path, day: dt.date) -> DayArticles:
    """The articles dated ``day``, each id once, an article kept on its earliest day."""
    return articles_for_days(path, [day])[day]


EMPTY_DAY_HASH = hashlib.sha256().hexdigest()[:32]  # the content hash of a day with no article


def content_hash(frame: pd.DataFrame) -> str:
    """A digest of a day's articles (ids and every stored field, in id order): equal
    digests mean the day's stored rows would be the same, so a resumed run can skip it."""
    if not len(frame):
        return EMPTY_DAY_HASH
    digest = hashlib.sha256()
    for row in frame.sort_values("id", kind="stable")[ARTICLE_COLUMNS].itertuples(index=False):
        digest.update(json.dumps(list(map(str, row)), ensure_ascii=False).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]


def count_outside(path: str | Path, first: dt.date, last: dt.date) -> int:
    """Articles of the source dated before ``first`` or after ``last`` (no partition holds them)."""
    return sum(1 for a in read_articles_cached(path)[0] if not first <= a["date"] <= last)
