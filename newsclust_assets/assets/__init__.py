from .clusters import cluster_labels
from .embed import embeddings
from .knn import knn_distances
from .news import raw_news
from .plot import umap_plot
from .store import milvus_collection

ALL_ASSETS = [raw_news, embeddings, milvus_collection, knn_distances, cluster_labels, umap_plot]

__all__ = ["ALL_ASSETS", "cluster_labels", "embeddings", "knn_distances", "milvus_collection", "raw_news", "umap_plot"]
