"""``newsclust evaluate FILE``: the project's own path on a story-labelled file, scored.

Materializes every asset of the graph exactly as ``newsclust run`` does (real Dagster
runs, Milvus Lite, the configured embedding model, the configured clustering), over
the file's days, in a fresh data directory. ``cluster_labels`` scores each window
against the file's story field itself (its ``story_*`` metadata); this command prints
those scores per window and their mean over the windows:

- pairwise precision / recall / F1 over article pairs,
- B-cubed precision / recall / F1,
- ARI and AMI,
- clusters found vs labelled stories, noise share, and the seconds taken.

Noise counts strictly: every noise article is a singleton cluster, so leaving an article
unclustered costs recall. Articles without a story label are left out of the scores.
By default the window spans the whole file (one window over everything). With
``--window-days 1 --windows all`` every day is clustered on its own and the ``stories``
asset chains the days; the stream scores below the table then measure the tracking:
each article scored by the story id it first got (causal), story ids per labelled story
and labelled stories per id (``evaluation/stream.py``).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

SCORE_KEYS = ["pairwise_precision", "pairwise_recall", "pairwise_f1", "bcubed_precision", "bcubed_recall",
              "bcubed_f1", "ari", "ami", "noise_share"]
COUNT_KEYS = ["articles", "stories", "clusters", "unlabelled"]


def _file_span(path: str) -> tuple[int, int]:
    from ..ingest.news_source import read_articles, read_labels

    articles, _ = read_articles(path)
    if not articles:
        raise SystemExit(f"newsclust evaluate: {path} holds no readable articles")
    days = [a["date"] for a in articles]
    return (max(days) - min(days)).days + 1, len(read_labels(path))


def format_table(rows: list[dict]) -> str:
    head = ["window", "articles", "stories", "clusters", "noise", "pair P", "pair R", "pair F1",
            "B3 P", "B3 R", "B3 F1", "ARI", "AMI", "seconds"]
    lines = [" | ".join(head)]
    for r in rows:
        lines.append(" | ".join([
            str(r["window"]), str(r["articles"]), str(r["stories"]), str(r["clusters"]), f"{r['noise_share']:.1%}",
            *(f"{r[k]:.3f}" for k in SCORE_KEYS[:8]), f"{r['seconds']:.1f}",
        ]))
    return "\n".join(lines)


def evaluate(path: str, label_field: str = "story", window_days: int | None = None, windows: str = "last",
             data_dir: str | None = None, json_out: str | None = None, asset_config: dict | None = None,
             log=print) -> int:
    source = Path(path).absolute()
    if "newsclust_assets.partitions" in __import__("sys").modules:
        raise RuntimeError("evaluate must run in a process that has not loaded the code location yet")
    from ..ingest.news_source import NewsSourceError

    try:
        span, labelled = _file_span(str(source))
    except NewsSourceError as exc:
        raise SystemExit(f"newsclust evaluate: {exc}") from None
    if labelled == 0:
        raise SystemExit(f"newsclust evaluate: no article of {source} has a {label_field!r} field to score against")
    work = Path(data_dir).absolute() if data_dir else Path(tempfile.mkdtemp(prefix="newsclust-evaluate-"))
    os.environ.update({
        "NEWSCLUST_SOURCE": str(source),
        "NEWSCLUST_WINDOW_DAYS": str(window_days or span),
        "NEWSCLUST_DATA_DIR": str(work),
        "DAGSTER_HOME": str(work / "dagster_home"),
    })
    for var in ("NEWSCLUST_START_DATE", "NEWSCLUST_END_DATE"):
        os.environ.pop(var, None)
    config = dict(asset_config or {})
    config["cluster_labels"] = {**config.get("cluster_labels", {}), "story_field": label_field}
    from ..cli import run

    started = time.perf_counter()
    summary = run(windows=windows, asset_config=config, log=log)
    rows = []
    for w in summary["windows"]:
        if "story_articles" not in w:
            continue  # a window without labelled articles
        row = {"window": w["window"], "seconds": w.get("cluster_seconds", 0.0)}
        row.update({k: w[f"story_{k}"] for k in SCORE_KEYS + COUNT_KEYS})
        rows.append(row)
    if not rows:
        raise SystemExit("newsclust evaluate: no window held labelled articles")
    mean = {"window": f"mean of {len(rows)}", "seconds": sum(r["seconds"] for r in rows) / len(rows)}
    for k in SCORE_KEYS + COUNT_KEYS:
        mean[k] = sum(r[k] for r in rows) / len(rows)
    for k in COUNT_KEYS:
        mean[k] = round(mean[k], 1)
    total = time.perf_counter() - started
    settings = {k: v for k, v in config["cluster_labels"].items()}
    from ..ingest.news_source import read_labels
    from .stream import format_stream, read_first_ids, stream_scores

    stream = stream_scores(read_labels(str(source), label_field), *read_first_ids(work / "stories"))
    log(f"scored {source.name} against {label_field!r} ({labelled} labelled articles); "
        f"noise counts strictly: each noise article is a singleton cluster")
    log(format_table(rows + ([mean] if len(rows) > 1 else [])))
    if stream:
        log(format_stream(stream))
    log(f"whole run: {total:.1f} s (embedding, Milvus, kNN, clustering and maps); data in {work}")
    if json_out:
        Path(json_out).write_text(json.dumps({
            "file": str(source), "label_field": label_field, "window_days": window_days or span,
            "settings": settings, "windows": rows, "mean": mean, "stream": stream, "seconds": round(total, 1),
            "noise_convention": "strict: each noise article is a singleton cluster",
        }, indent=2, default=str))
    return 0
