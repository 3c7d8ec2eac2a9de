"""Work on the stored data outside any run: ``newsclust prune`` and ``newsclust story-search``.
Both return what a user is told; the command line prints it."""

from __future__ import annotations

from .engine import day_of
from .planning import resolved


def prune(apply: bool) -> str:
    """Delete from Milvus the articles (and story-store rows) of days outside the source's
    range; with ``apply`` False only say what would go. Returns the sentence to show."""
    from ..environment import default_resources
    from ..partitions import calendar_from_env
    from ..stories import story_memory
    from ..vectors.milvus_store import day_number, delete_outside, rows_outside

    keys = calendar_from_env().daily.get_partition_keys()
    first, last = day_number(keys[0]), day_number(keys[-1])
    with resolved(default_resources()["milvus"]) as milvus, milvus.client() as client:
        name = milvus.collection_name
        if not client.has_collection(name):
            return f"nothing stored in {milvus.display_uri} yet"
        client.load_collection(name)
        outside = rows_outside(client, name, first, last)
        if not outside:
            return f"every stored article is of a day in the source's {keys[0]}..{keys[-1]}"
        what = (
            f"{sum(outside.values()):,} articles of {len(outside)} days outside the source's "
            f"{keys[0]}..{keys[-1]} ({day_of(min(outside))}..{day_of(max(outside))})"
        )
        if not apply:
            return f"would delete {what}; re-run with --yes to delete them"
        delete_outside(client, name, first, last)
        stories = story_memory.collection_for(name)
        if client.has_collection(stories):
            delete_outside(client, stories, first, last)
        if milvus.is_lite:
            client.flush(name)
    return f"deleted {what}"


class NoStoryStore(Exception):
    """The configured Milvus has no story store yet."""


class NoSuchStory(Exception):
    """No registry day names the story asked for."""


def story_page(story: str):
    """Write the page of ``story`` from every registry day under the story store's directory
    (as ``newsclust run`` left it) and return its path; ``NoSuchStory`` when no day names it."""
    from ..environment import default_resources
    from ..stories.story_page import write_story_pages

    store = default_resources()["story_store"]
    days = store.days()
    registry = store.read_days(days)
    if story not in set(registry["story"]):
        where = store.root()
        where = f"{len(days)} registry days in {where}" if days else f"no registry in {where}"
        raise NoSuchStory(f"no story {story} in {where} (ids look like 20240301-2; newsclust story-search finds them)")
    return write_story_pages(registry, store.read_articles(days), [story], store.pages_dir())[story]


def search_stories(text: str, top: int = 5) -> list[dict]:
    """The ``top`` stories of the story store nearest to ``text`` (embedded with the configured
    model): story, similarity, members, born, last_seen, status, name. ``NoStoryStore`` when
    nothing was tracked yet."""
    from ..environment import default_resources
    from ..stories import story_memory

    resources = default_resources()
    with resolved(resources["embedder"]) as embedder:
        vector = embedder.embed([text]).vectors[0]
    with resolved(resources["milvus"]) as milvus, milvus.client() as client:
        name = story_memory.collection_for(milvus.collection_name)
        if not client.has_collection(name):
            raise NoStoryStore(
                f"no story store in {milvus.display_uri} yet (collection {name}): run newsclust run first"
            )
        client.load_collection(name)
        return story_memory.search(client, name, vector, top)
