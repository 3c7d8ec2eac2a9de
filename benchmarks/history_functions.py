"""The function path for a whole history: the same work ``newsclust run`` does, through the
functions the assets call, without Dagster. Child process of ``benchmarks.product_path``.

Every day of the file is read, embedded (the range's texts in one call, full batches),
stored (bulk upsert, one flush), then every day's window is built from one Milvus read per
chunk of windows, clustered and its labels written as CSV, its stories carried on from the
day before (registry CSVs as the stories asset writes them, and every story in the story
store beside the articles, read and written per ``STORY_RUN_DAYS`` days as the asset's runs do);
the last window gets a map.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

import numpy as np

from newsclust_assets.assets.plot import PlotConfig
from newsclust_assets.clustering.umap_reduction import reduce_with_knn
from newsclust_assets.clustering.window_clustering import label_window
from newsclust_assets.ingest.news_source import articles_for_days, read_articles
from newsclust_assets.maps.map_plot import write_map
from newsclust_assets.numba_cache import enable_numba_cache
from newsclust_assets.resources import MilvusResource, StoryStoreResource, write_csv
from newsclust_assets.settings import STORY_RUN_DAYS
from newsclust_assets.stories import story_memory
from newsclust_assets.stories.tracking import advance
from newsclust_assets.vectors.embedding_models import LocalSentenceTransformer
from newsclust_assets.vectors.milvus_store import ensure_collection, write_days
from newsclust_assets.vectors.window_graph import window_graphs

from .measure import Stages

WINDOW_DAYS = 30
WINDOW_CHUNK = 62


def flush(milvus: MilvusResource, archive) -> int:
    """The story rows a run of days added, written as the stories asset writes them at the end
    of its run (the client is opened only for that: the windows read Milvus meanwhile)."""
    if archive is None:
        return 0
    with milvus.client() as client:
        client.load_collection(archive.name)
        archive.client = client
        return archive.flush()


def main(source: Path, workdir: Path, out: Path) -> None:
    enable_numba_cache()
    stages = Stages()
    with stages("load"):
        dates = [a["date"] for a in read_articles(source)[0]]
        days = [min(dates) + dt.timedelta(days=i) for i in range((max(dates) - min(dates)).days + 1)]
        frames = {d: r.articles for d, r in articles_for_days(source, days).items()}
    texts = [t for d in days for t in frames[d]["text"]]
    with stages("embed"):
        model = LocalSentenceTransformer()
        run = model.embed(texts)
    stages.results["embed"]["encode_seconds"] = round(run.seconds, 3)
    stages.results["embed"]["docs_per_second"] = round(len(texts) / run.seconds, 1) if run.seconds else 0
    milvus = MilvusResource(uri=str(workdir / "functions.db"))
    spec = milvus.spec(run.vectors.shape[1], model.model_name)
    with stages("store"):
        start, batch = 0, {}
        for d in days:
            n = len(frames[d])
            batch[d] = (frames[d], run.vectors[start : start + n])
            start += n
        with milvus.client() as client:
            ensure_collection(client, spec)
            write_days(client, spec, batch, flush=milvus.is_lite)
    labels_dir = workdir / "labels"
    labels_dir.mkdir(exist_ok=True)
    clusters, state, story_seconds, archive = [], None, 0.0, None
    store = StoryStoreResource(directory=str(workdir / "stories"))
    story_collection = story_memory.collection_for(milvus.collection_name)
    stored_stories = 0
    with stages("windows"):
        for i in range(0, len(days), WINDOW_CHUNK):
            graphs = window_graphs(milvus, days[i : i + WINDOW_CHUNK], WINDOW_DAYS, 15, "auto")
            for j, (d, graph) in enumerate(graphs.items()):
                frame = label_window(graph).frame
                write_csv(frame, labels_dir / f"labels_{d}.csv")
                clusters.append(int(frame["label"].max() + 1) if len(frame) else 0)
                started = time.perf_counter()
                if (i + j) % STORY_RUN_DAYS == 0:  # where a run of the stories asset starts
                    stored_stories += flush(milvus, archive)
                    with milvus.client() as client:
                        story_memory.ensure(client, story_collection, run.vectors.shape[1])
                        archive = story_memory.MilvusArchive(client, story_collection, str(d))
                state, report = advance(state, str(d), frame, graph.vectors, archive=archive)
                store.write(report.stories, store.stories_path(str(d)))
                store.write(report.articles, store.articles_path(str(d)))
                story_seconds += time.perf_counter() - started
        started = time.perf_counter()
        stored_stories += flush(milvus, archive)
        story_seconds += time.perf_counter() - started
    stages.results["windows"]["stories_seconds"] = round(story_seconds, 3)
    stages.results["windows"]["story_rows_written"] = stored_stories
    with stages("map"):
        plot = PlotConfig()
        coords = reduce_with_knn(graph.distances, graph.vectors, graph.k, 2, min_dist=plot.min_dist, seed=plot.seed)
        write_map(frame, coords, workdir / "maps" / "last.html", "last window")
    np.save(workdir / "vectors.npy", run.vectors)  # for the kNN scale run
    out.write_text(
        json.dumps(
            {
                "approach": "functions",
                "days": len(days),
                "articles": len(texts),
                "windows": len(clusters),
                "last_window_clusters": clusters[-1],
                "stages": stages.results,
                "process_peak_rss_mib": stages.process_peak(),
                "outcome": "ok",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
