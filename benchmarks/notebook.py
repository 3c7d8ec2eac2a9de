"""The original notebook, reproduced as a baseline. Deliberately NOT how newsclust works.

- one embedding call per document;
- Milvus Lite through the quick-setup collection: auto_id=True primary key, metric L2;
- kNN by searches of 10 query vectors at a time, limit 50, squared L2 distances used as is;
- a dense N x N float64 matrix of inf filled with the one-directional distances, then
  hdbscan.HDBSCAN(min_samples=3, min_cluster_size=3, metric="precomputed"), in a child
  process (benchmarks/notebook_cluster.py) because it is known to die;
- UMAP to 2-d on the raw vectors for a plotly scatter.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from newsclust_assets.numba_cache import enable_numba_cache

from .data import first_articles
from .measure import Stages, run_child


def main(n: int, workdir: Path, out: Path) -> None:
    enable_numba_cache()  # the same disk cache newsclust gets: compile time is no one's stage
    stages = Stages()
    with stages("load"):
        articles = first_articles(n, workdir)
        texts = [a["text"] for a in articles]
    with stages("embed"):
        from newsclust_assets.vectors.embedding_models import bundled_model_path, load_sentence_transformer

        model = load_sentence_transformer(bundled_model_path())
        vectors = np.asarray([model.encode(t) for t in texts], np.float32)  # one call per document
    with stages("store"):
        from pymilvus import MilvusClient

        client = MilvusClient(str(workdir / f"notebook_{n}.db"))
        if client.has_collection("news"):
            client.drop_collection("news")
        client.create_collection("news", dimension=vectors.shape[1], auto_id=True, metric_type="L2")
        ids = []
        for i in range(0, n, 1000):
            res = client.insert(
                "news",
                [
                    {"vector": v.tolist(), "headline": a["headline"]}
                    for v, a in zip(vectors[i : i + 1000], articles[i : i + 1000])
                ],
            )
            ids.extend(res["ids"])
        position = {pk: i for i, pk in enumerate(ids)}
    with stages("knn"):
        rows, cols, dists = [], [], []
        for start in range(0, n, 10):  # 10 queries per search call
            hits = client.search("news", data=vectors[start : start + 10].tolist(), limit=50)
            for offset, found in enumerate(hits):
                for hit in found:
                    rows.append(start + offset)
                    cols.append(position[hit["id"]])
                    dists.append(hit["distance"])  # squared L2, used as a distance as it comes
        client.close()
    graph = workdir / f"notebook_graph_{n}.npz"
    np.savez(graph, rows=np.asarray(rows), cols=np.asarray(cols), dists=np.asarray(dists), n=n)
    labels_path = workdir / f"notebook_labels_{n}.npy"
    child = run_child(
        [sys.executable, "-m", "benchmarks.notebook_cluster", str(graph), str(labels_path)], timeout_s=1800
    )
    stages.add("cluster", child["seconds"], child["peak_rss_mib"], outcome=child["outcome"])
    labels = np.load(labels_path) if child["outcome"] == "ok" else None
    with stages("plot"):
        import plotly.express as px
        import umap

        coords = umap.UMAP(n_components=2, random_state=42).fit_transform(vectors)
        colour = [str(x) for x in labels] if labels is not None else None
        fig = px.scatter(x=coords[:, 0], y=coords[:, 1], color=colour, hover_name=[a["headline"] for a in articles])
        fig.write_html(str(workdir / f"notebook_map_{n}.html"))
    result = {
        "approach": "notebook",
        "n": n,
        "stages": stages.results,
        "process_peak_rss_mib": stages.process_peak(),
        "outcome": child["outcome"],
        "cluster_output_tail": child["output"][-600:] if child["outcome"] != "ok" else "",
    }
    if labels is not None:
        from newsclust_assets.evaluation.cluster_quality import agreement

        result.update(
            clusters=int(labels.max() + 1),
            noise_share=float((labels < 0).mean()),
            **(agreement([a["category"] for a in articles], labels) or {}),
        )
    out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
