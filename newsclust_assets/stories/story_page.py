"""One story's page: its name, its size per day, its articles by day (with their links), and
the stories it split from, merged with or gave rise to. One small offline HTML file per story
(no script, an inline SVG bar chart), linked from the timeline page and from ``stories``
metadata; ``newsclust story-page ID`` writes any story's page. No Dagster imports.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from .. import files
from ..maps.page_parts import story_colour
from .timeline import calendar_days


def page_name(story: str) -> str:
    """The file name of a story's page (ids are ``YYYYMMDD-N``: safe as they are)."""
    return f"story_{story}.html"


def with_current_story(articles: pd.DataFrame) -> pd.DataFrame:
    """``articles`` (story_articles rows of several days, with ``day``) plus ``now``: each
    article's story on the last day it was in a window."""
    if articles.empty:
        return articles.assign(now=pd.Series(dtype=str))
    last = articles.sort_values("day", kind="stable").drop_duplicates("id", keep="last").set_index("id")["story"]
    return articles.assign(now=articles["id"].map(last))


def _bars(articles: pd.DataFrame, colour: str) -> str:
    """An SVG bar per day from the first article's date to the last: the articles published that day."""
    if articles.empty:
        return ""
    per_day = articles["date"].astype(str).str[:10].value_counts()
    counts = [(d, int(per_day.get(d, 0))) for d in calendar_days(min(per_day.index), max(per_day.index))]
    top = max(c for _, c in counts) or 1
    w, h, gap = 18, 80, 4
    bars = []
    for i, (day, c) in enumerate(counts):
        bh = round(h * c / top)
        x = i * (w + gap)
        bars.append(
            f'<rect x="{x}" y="{h - bh}" width="{w}" height="{bh}" fill="{colour}" data-day="{day}" data-n="{c}">'
            f"<title>{html.escape(day)}: {c} articles</title></rect>"
            f'<text x="{x + w / 2}" y="{h + 12}" font-size="9" text-anchor="middle">{html.escape(day[8:])}</text>'
        )
    return (
        f'<svg class="per-day" width="{len(counts) * (w + gap)}" height="{h + 16}" role="img" '
        f'aria-label="articles per day">{"".join(bars)}</svg>'
    )


def _links(ids: str, known: set[str]) -> str:
    out = []
    for sid in [s for s in str(ids or "").split() if s]:
        label = html.escape(sid)
        out.append(f'<a href="{page_name(sid)}">{label}</a>' if sid in known else label)
    return ", ".join(dict.fromkeys(out)) or "none"


def build_story_page(story: str, rows: pd.DataFrame, articles: pd.DataFrame, known: set[str] | None = None) -> str:
    """The page of ``story`` as HTML: ``rows`` its registry rows by day, ``articles`` every
    article it ever held, once each, by date, with ``now`` (``with_current_story``). Links to
    the pages of the stories in ``known``."""
    known = known or set()
    if rows.empty:
        raise ValueError(f"story {story} is in no registry day given")
    last = rows.iloc[-1]
    name = str(last.get("name", story))
    colour = story_colour(story)
    events = [
        f"<li>{html.escape(r['day'])}: {html.escape(str(r['event']))}"
        + (f" ({_links(r.get('other', ''), known)})" if str(r.get("other", "") or "") else "")
        + "</li>"
        for _, r in rows.iterrows()
        if str(r.get("event", "")) not in ("", "continued")
    ]
    by_day = []
    moved = 0
    for day, part in articles.groupby(articles["date"].astype(str).str[:10], sort=True):
        items = []
        for _, a in part.iterrows():
            head = html.escape(str(a.get("headline", "")))
            link = str(a.get("link", "") or "")
            safe = link if link.startswith(("http://", "https://")) else ""
            text = f'<a href="{html.escape(safe, quote=True)}" rel="noopener noreferrer">{head}</a>' if safe else head
            now = str(a.get("now", story) or story)
            if now != story:
                moved += 1
                text += f' <span class="moved">(now in {_links(now, known)})</span>'
            items.append(f'<li data-id="{html.escape(str(a["id"]), quote=True)}">{text}</li>')
        by_day.append(f'<h3>{html.escape(str(day))} ({len(part)})</h3><ul class="articles">{"".join(items)}</ul>')
    merged_into = str(last.get("merged_into", "") or "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(name)} - newsclust story {html.escape(story)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}}
h1{{border-left:8px solid {colour};padding-left:.4em}} dt{{font-weight:bold}} .articles li{{margin:.2em 0}}</style>
</head><body>
<h1>{html.escape(name)}</h1>
<dl>
<dt>story</dt><dd id="story-id">{html.escape(story)}</dd>
<dt>status</dt><dd>{html.escape(str(last.get("status", "")))}{f" (merged into {_links(merged_into, known)})" if merged_into else ""}</dd>
<dt>seen</dt><dd>{html.escape(str(rows.iloc[0]["day"]))} to {html.escape(str(last["day"]))}</dd>
<dt>articles</dt><dd id="article-count">{len(articles)}{f" ({moved} now in other stories)" if moved else ""}</dd>
<dt>split or merged from</dt><dd id="parents">{_links(last.get("parents", ""), known)}</dd>
<dt>gave rise to</dt><dd id="children">{_links(last.get("children", ""), known)}</dd>
</dl>
<h2>Articles per day</h2>
{_bars(articles, colour)}
<h2>Events</h2>
<ul>{"".join(events) or "<li>none</li>"}</ul>
<h2>Articles by day</h2>
{"".join(by_day) or "<p>none</p>"}
</body></html>
"""


def write_story_pages(
    registry: pd.DataFrame, articles: pd.DataFrame, stories: list[str], directory: str | Path
) -> dict[str, Path]:
    """Write the page of each of ``stories`` found in ``registry`` into ``directory`` (whole
    files, each replaced at once); {story: path}. Parents and children link to their pages
    when written here or earlier."""
    root = files.at(directory)
    root.mkdir(parents=True, exist_ok=True)
    wanted = [s for s in dict.fromkeys(stories) if s in set(registry["story"])] if len(registry) else []
    known = set(wanted) | {p.name[len("story_") : -len(".html")] for p in root.glob("story_*.html")}
    rows_of = {k: g.sort_values("day") for k, g in registry[registry["story"].isin(wanted)].groupby("story")}
    articles = with_current_story(articles)
    picked = articles[articles["story"].isin(wanted)] if len(articles) else articles
    arts_of = {
        k: g.drop_duplicates("id", keep="first").sort_values(["date", "headline", "id"], kind="stable")
        for k, g in picked.groupby("story")
    }
    empty = articles.iloc[0:0]
    out = {}
    for story in wanted:
        path = root / page_name(story)
        out[story] = files.write_text(path, build_story_page(story, rows_of[story], arts_of.get(story, empty), known))
    return out
