"""Where the files people open live (maps, plotly.js, label CSVs, the story registry, story
pages, the timeline): a local directory or any fsspec URL (``s3://bucket/prefix``, ``gs://...``,
``memory://...``), so runs on several machines share them through an object store. No Dagster
import: the maps and stories stages write through these helpers.

A local path is a ``pathlib.Path``; a URL is a ``upath.UPath`` (the same interface: ``/``,
``open``, ``glob``, ``exists``). Local files are written to a temporary name and renamed, so a
reader never sees half a file; an object store writes each object whole on close."""

from __future__ import annotations

import os
import posixpath
from pathlib import Path
from typing import Any


def is_url(location: str | os.PathLike) -> bool:
    """Whether ``location`` names a file through fsspec (``s3://...``) rather than the local disk
    (a path or a ``file://`` URL)."""
    text = str(location)
    return "://" in text and not text.startswith("file://")


def at(location: str | os.PathLike) -> Any:
    """``location`` as a path: a ``Path`` (made absolute) for a local directory or ``file://``
    URL, a ``UPath`` for any other URL."""
    if is_url(location):
        from upath import UPath

        return UPath(str(location))
    return Path(str(location).removeprefix("file://")).absolute()


def read_csv_text(path: Any, usecols: list[str] | None = None):
    """The CSV at ``path`` (local or a URL's UPath) as a frame of text (no NA guessing)."""
    import pandas as pd

    with path.open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False, usecols=usecols)


def is_local(path: Any) -> bool:
    return getattr(path, "protocol", "") in ("", "file", "local")


def url_of(path: Any) -> str:
    """What a browser or a client opens: ``file://`` for a local file, else the URL itself."""
    return Path(path).absolute().as_uri() if is_local(path) else str(path)


def write_text(path: Any, text: str) -> Any:
    """Write ``text`` (UTF-8) at ``path`` whole, making its directory; returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if is_local(path):
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)  # concurrent writers each write whole files; the last rename wins
    else:
        with path.open("w", encoding="utf-8") as fh:
            fh.write(text)
    return path


def relative(target: Any, start: Any) -> str:
    """``target`` relative to the directory ``start`` (both local, or both on one store), as a
    page links to it."""
    if is_local(target) and is_local(start):
        return Path(os.path.relpath(target, start)).as_posix()
    return posixpath.relpath(target.path, start.path)


def under(path: Any, root: Any) -> str | None:
    """``path`` relative to ``root`` (posix), or None when it does not lie under it."""
    p, r = str(path).rstrip("/"), str(root).rstrip("/")
    if p.startswith(r + "/"):
        return p[len(r) + 1 :]
    return None
