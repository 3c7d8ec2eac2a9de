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

The first line printed is the stream: what a user follows. Each article is scored by the
story id it got when it was first clustered (causal), with story ids per labelled story and
labelled stories per id (``evaluation/stream.py``). With ``--windows last`` (the default)
there is one window over the whole file; with ``--windows all`` every day's window is
clustered and the ``stories`` asset chains the days, with the product's window
(``NEWSCLUST_WINDOW_DAYS``, default 30 days) unless ``--window-days`` says otherwise. The
mean over many windows weights each by its labelled pairs (a one-article window counts
for nothing) and says so.

Data: ``--data-dir``, else ``$NEWSCLUST_DATA_DIR/evaluate/<file name>``, else a temporary
directory removed at the end. A directory that holds a ``newsclust run``'s data is refused:
evaluate never writes into a live data directory.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import time
from pathlib import Path

from ..settings import env

SCORE_KEYS = [
    "pairwise_precision",
    "pairwise_recall",
    "pairwise_f1",
    "bcubed_precision",
    "bcubed_recall",
    "bcubed_f1",
    "ari",
    "ami",
    "noise_share",
]
COUNT_KEYS = ["articles", "stories", "clusters", "unlabelled"]


def _file_span(path: str) -> tuple[dt.date, dt.date, int]:
    """(first day, last day, labelled articles) of the file."""
    from ..ingest.news_source import read_articles, read_labels

    articles, _ = read_articles(path)
    if not articles:
        raise SystemExit(f"newsclust evaluate: {path} holds no readable articles")
    days = [a["date"] for a in articles]
    return min(days), max(days), len(read_labels(path))


def format_table(rows: list[dict]) -> str:
    head = [
        "window",
        "articles",
        "stories",
        "clusters",
        "noise",
        "pair P",
        "pair R",
        "pair F1",
        "B3 P",
        "B3 R",
        "B3 F1",
        "ARI",
        "AMI",
        "seconds",
    ]
    lines = [" | ".join(head)]
    for r in rows:
        lines.append(
            " | ".join(
                [
                    str(r["window"]),
                    str(r["articles"]),
                    str(r["stories"]),
                    str(r["clusters"]),
                    f"{r['noise_share']:.1%}",
                    *(f"{r[k]:.3f}" for k in SCORE_KEYS[:8]),
                    f"{r['seconds']:.1f}",
                ]
            )
        )
    return "\n".join(lines)


MARKER = ".newsclust-evaluate"  # in a data directory made by evaluate


def _work_dir(source: Path, data_dir: str | None) -> tuple[Path, bool]:
    """(directory, remove at the end)."""
    if data_dir:
        work = Path(data_dir).absolute()
    elif env("NEWSCLUST_DATA_DIR"):
        work = Path(env("NEWSCLUST_DATA_DIR")).absolute() / "evaluate" / source.stem
    else:
        return Path(tempfile.mkdtemp(prefix="newsclust-evaluate-")), True
    if work.exists() and not work.is_dir():
        raise SystemExit(f"newsclust evaluate: {work} is a file, not a directory")
    if work.is_dir() and any(work.iterdir()) and not (work / MARKER).exists():
        raise SystemExit(
            f"newsclust evaluate: {work} holds other data (a newsclust run's?): evaluate never writes "
            "into a live data directory; give --data-dir an empty or new directory"
        )
    work.mkdir(parents=True, exist_ok=True)
    (work / MARKER).write_text(str(source))
    return work, False


def settings_in_force(config: dict) -> dict:
    """Every clustering and tracking setting of the evaluation, defaults included."""
    from ..assets.clusters import ClusterConfig
    from ..assets.stories import StoriesConfig

    return {
        "cluster_labels": ClusterConfig(**config.get("cluster_labels", {})).model_dump(),
        "stories": StoriesConfig(**config.get("stories", {})).model_dump(),
    }


def weighted_mean(rows: list[dict]) -> dict:
    """Scores averaged over windows, each weighted by its labelled pairs n (n - 1) / 2."""
    weights = [r["articles"] * (r["articles"] - 1) / 2 for r in rows]
    total = sum(weights) or 1.0
    mean = {
        "window": f"mean of {len(rows)}, weighted by labelled pairs",
        "seconds": sum(r["seconds"] for r in rows) / len(rows),
    }
    for k in SCORE_KEYS:
        mean[k] = sum(w * r[k] for w, r in zip(weights, rows)) / total
    for k in COUNT_KEYS:
        mean[k] = round(sum(r[k] for r in rows) / len(rows), 1)
    return mean


def evaluate(
    path: str,
    label_field: str = "story",
    window_days: int | None = None,
    windows: str = "last",
    data_dir: str | None = None,
    json_out: str | None = None,
    asset_config: dict | None = None,
    log=print,
) -> int:
    source = Path(path).absolute()
    from ..environment import default_resources
    from ..ingest.news_source import NewsSourceError
    from ..partitions import Calendar
    from ..settings import window_days as product_window
    from .instance import open_instance

    try:
        first, last, labelled = _file_span(str(source))
    except NewsSourceError as exc:
        raise SystemExit(f"newsclust evaluate: {exc}") from None
    if labelled == 0:
        raise SystemExit(f"newsclust evaluate: no article of {source} has a {label_field!r} field to score against")
    if window_days is not None and window_days < 1:
        raise SystemExit("newsclust evaluate: --window-days must be at least 1")
    if window_days is None:
        window_days = product_window() if windows == "all" else (last - first).days + 1
    work, remove = _work_dir(source, data_dir)
    # the file's own days, data directory and Dagster home: nothing of a live deployment is touched
    calendar = Calendar(first, last, window_days)
    resources = default_resources(source=str(source), data=work, files_dir=str(work))
    config = dict(asset_config or {})
    config["cluster_labels"] = {**config.get("cluster_labels", {}), "story_field": label_field}
    from .asset_config import validate_asset_config
    from .engine import run

    validate_asset_config(config)
    started = time.perf_counter()
    try:
        summary = run(
            windows=windows,
            asset_config=config,
            log=log,
            calendar=calendar,
            data=work,
            resources=resources,
            instance=open_instance(work / "dagster_home"),
        )
        rows = []
        for w in summary["windows"]:
            if "story_articles" not in w:
                continue  # a window without labelled articles
            row = {"window": w["window"], "seconds": w.get("cluster_seconds", 0.0)}
            row.update({k: w[f"story_{k}"] for k in SCORE_KEYS + COUNT_KEYS})
            rows.append(row)
        if not rows:
            raise SystemExit("newsclust evaluate: no window held labelled articles")
        mean = weighted_mean(rows)
        total = time.perf_counter() - started
        from ..evaluation.stream import format_stream, read_first_ids, stream_scores
        from ..ingest.news_source import read_labels

        stream = stream_scores(read_labels(str(source), label_field), *read_first_ids(work / "stories"))
    finally:
        if remove:
            shutil.rmtree(work, ignore_errors=True)
    log(
        f"scored {source.name} against {label_field!r} ({labelled} labelled articles, windows of {window_days} "
        f"days); noise counts strictly: each noise article is a singleton cluster"
    )
    if stream:
        log(format_stream(stream))
    shown = rows if len(rows) <= 12 else rows[-10:]
    if len(shown) < len(rows):
        log(f"windows: the last {len(shown)} of {len(rows)} (all of them in --json)")
    log(format_table(shown + ([mean] if len(rows) > 1 else [])))
    where = "removed (--data-dir to keep it)" if remove else f"in {work}"
    log(f"whole run: {total:.1f} s (embedding, Milvus, kNN, clustering, stories and maps); data {where}")
    if json_out:
        Path(json_out).write_text(
            json.dumps(
                {
                    "file": str(source),
                    "label_field": label_field,
                    "window_days": window_days,
                    "windows_run": windows,
                    "settings": settings_in_force(config),
                    "stream": stream,
                    "windows": rows,
                    "mean": mean,
                    "seconds": round(total, 1),
                    "noise_convention": "strict: each noise article is a singleton cluster",
                },
                indent=2,
                default=str,
            )
        )
    return 0
