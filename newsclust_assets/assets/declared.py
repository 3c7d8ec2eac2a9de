"""Dagster config fields made from the settings' declarations (``knobs.py``): the default and
the help (shown in the launchpad) come from the plain settings dataclass, once."""

from __future__ import annotations

import pydantic

from ..knobs import knobs


def declared(settings_cls, name: str):
    """The config field of setting ``name`` of ``settings_cls``."""
    k = knobs(settings_cls)[name]
    return pydantic.Field(default=k.default, description=k.help)


def settings_from(config, settings_cls):
    """``settings_cls`` made from the same-named fields of a config (range-checked there)."""
    return settings_cls(
        **{name: getattr(config, name) for name in knobs(settings_cls) if name in type(config).model_fields}
    )
