"""Tables in asset metadata: ``dagster.MetadataValue.table``, which the Dagster UI shows in
place on the asset page (a markdown table of more than a few lines sits behind a "Show
Markdown" click). Cells are plain text there, so a headline can hold any characters."""

from __future__ import annotations

import dagster as dg


def table(rows: list[dict], columns: dict[str, str]) -> dg.TableMetadataValue:
    """``rows`` as a metadata table of ``columns`` ({name: "string" | "int" | "float"}), in order."""
    schema = dg.TableSchema(columns=[dg.TableColumn(name, kind) for name, kind in columns.items()])
    return dg.MetadataValue.table([dg.TableRecord({c: row[c] for c in columns}) for row in rows], schema=schema)
