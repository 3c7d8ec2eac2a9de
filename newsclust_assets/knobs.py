"""One declaration per setting: its name, type, default, range and help, written once as a
field of a plain settings dataclass (``ClusterSettings``, ``TrackSettings``). The Dagster
config classes, the command-line options, the range checks and docs/settings.md are made
from it. No Dagster imports.

    similarity_threshold: float = knob(0.3, "mean cosine at which two groups still merge",
                                       lo=-1, hi=1, what="a cosine")
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from dataclasses import dataclass


@dataclass(frozen=True)
class Knob:
    name: str
    type: type
    default: object
    help: str
    lo: float | None = None  # inclusive, unless lo_open
    hi: float | None = None  # inclusive
    lo_open: bool = False
    what: str = ""  # how a range error names the value: "a cosine", "a number of articles"
    choices: tuple = ()

    def problem(self, value) -> str | None:
        """Why ``value`` is out of this setting's range, or None."""
        if self.choices and value not in self.choices:
            return f"{self.name} must be one of {self.choices}, got {value!r}"
        too_low = self.lo is not None and (value <= self.lo if self.lo_open else value < self.lo)
        too_high = self.hi is not None and value > self.hi
        if not (too_low or too_high):
            return None
        subject = f"{self.name} is {self.what}" if self.what else f"{self.name} must be"
        if self.hi is None:
            return (
                f"{subject} {'>' if self.lo_open else 'at least' if not self.what else '>='} {self.lo:g}, got {value}"
            )
        left = "(" if self.lo_open else "["
        return f"{subject} in {left}{self.lo:g}, {self.hi:g}], got {value}"

    def describe(self) -> str:
        """The help with the default (as an option's help or a table cell)."""
        return f"{self.help} (default {shown(self.default)})"

    def range_text(self) -> str:
        if self.choices:
            return " / ".join(map(str, self.choices))
        if self.lo is None and self.hi is None:
            return ""
        if self.hi is None:
            return f"{'>' if self.lo_open else '>='} {self.lo:g}"
        return f"{'(' if self.lo_open else '['}{self.lo:g}, {self.hi:g}]"


def shown(value) -> str:
    """A default as a person writes it: 0.3, 300, true."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def knob(
    default,
    help: str,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    what: str = "",
    choices: tuple = (),
):
    """A dataclass field that carries its help and range."""
    return dataclasses.field(
        default=default,
        metadata={
            "knob": {"help": help, "lo": lo, "hi": hi, "lo_open": lo_open, "what": what, "choices": tuple(choices)}
        },
    )


@functools.cache
def knobs(cls: type) -> dict[str, Knob]:
    """{name: Knob} of every field of the settings dataclass ``cls``, in declaration order (read
    once per class: every settings object checks its ranges against them). Do not mutate."""
    hints = typing.get_type_hints(cls)
    out = {}
    for f in dataclasses.fields(cls):
        meta = f.metadata.get("knob", {"help": ""})
        out[f.name] = Knob(f.name, hints[f.name], f.default, **meta)
    return out


def check(settings) -> None:
    """ValueError naming the first field of ``settings`` out of its declared range."""
    for k in knobs(settings.__class__).values():
        why = k.problem(getattr(settings, k.name))
        if why:
            raise ValueError(why)
