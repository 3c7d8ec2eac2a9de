from .clusters import cluster_labels
from .embed import embeddings
from .knn import knn_distances
from .news import raw_news
from .plot import umap_plot
from .store import milvus_collection
from .stories import stories, story_timeline

ALL_ASSETS = [
    raw_news,
    embeddings,
    milvus_collection,
    knn_distances,
    cluster_labels,
    stories,
    umap_plot,
    story_timeline,
]

__all__ = [
    "ALL_ASSETS",
    "cluster_labels",
    "embeddings",
    "knn_distances",
    "milvus_collection",
    "raw_news",
    "stories",
    "story_timeline",
    "umap_plot",
]
