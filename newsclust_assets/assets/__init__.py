"""The eight assets, in lineage order. Each is a ``ranges.DayAsset``: declared here, made into
a Dagster asset for a calendar's days by ``build_assets`` (``definitions.build_defs`` calls it),
so importing this package reads no file and no environment variable."""

from __future__ import annotations

import dagster as dg

from ..partitions import Calendar
from ..ranges import DayAsset
from .clusters import cluster_labels
from .embed import embeddings
from .knn import knn_distances
from .news import raw_news
from .plot import umap_plot
from .store import milvus_collection
from .stories import stories, story_timeline

DAY_ASSETS: list[DayAsset] = [
    raw_news,
    embeddings,
    milvus_collection,
    knn_distances,
    cluster_labels,
    stories,
    umap_plot,
    story_timeline,
]
ASSET_NAMES = [a.name for a in DAY_ASSETS]


def build_assets(calendar: Calendar) -> list[dg.AssetsDefinition]:
    """The eight assets for ``calendar``'s day partitions and window length."""
    return [a.build(calendar) for a in DAY_ASSETS]


__all__ = ["ASSET_NAMES", "DAY_ASSETS", "build_assets"]
