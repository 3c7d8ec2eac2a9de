"""What a failed or interrupted command reports: the exceptions the engine raises and the
one-line messages made from Dagster's and the drivers' error chains."""

from __future__ import annotations

import re
import signal


def exception_chain(exc: BaseException | None):
    """``exc``, then what it was raised from or during, each once (a chain can loop)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def first_line_of(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def is_connection_error(exc: BaseException) -> bool:
    # psycopg2's and SQLAlchemy's OperationalError
    return any(type(e).__name__ == "OperationalError" for e in exception_chain(exc))


def first_line(exc: BaseException) -> str:
    """The innermost cause's first line (a driver's own words), without any URL in it."""
    *_, innermost = exception_chain(exc)
    return re.sub(r"postgres(ql)?://\S+", "<url>", first_line_of(innermost))


class StepFailed(Exception):
    """A range run of ``newsclust run`` failed: one line of why, and where the whole error is."""

    def __init__(self, line: str, days: list[str]):
        super().__init__(line)
        self.days = days


class Interrupted(Exception):
    def __init__(self, signo: int, canceled: int = 0):
        super().__init__(signal.Signals(signo).name)
        self.signo = signo
        self.canceled = canceled  # runs of this process the interrupt hit, now marked canceled


def error_line(error) -> str:
    """The most specific message of a Dagster error chain, on one line, without the class name."""
    messages = []
    while error is not None:
        messages.append(error.message)
        error = error.cause
    useful = [
        m
        for m in messages
        if not m.startswith(
            ("dagster._core.errors.DagsterExecutionStepExecutionError", "Error occurred while executing")
        )
    ] or messages
    line = useful[-1].strip().splitlines()[0] if useful[-1].strip() else "unknown error"
    return re.sub(r"^([\w.]+(Error|Exception|Failure)): ", "", line)


FULL_DISK = ("database or disk is full", "no space left on device", "disk i/o error")


def disk_full(exc: BaseException) -> str | None:
    """Where the disk ran full, when that is what ``exc`` (or an exception it came from) says:
    errno 28 from any write, or SQLite's words for it in the Dagster home."""
    from ..settings import data_dir

    for e in exception_chain(exc):
        if isinstance(e, OSError) and e.errno == 28:
            return str(e.filename or data_dir())
        if any(words in str(e).lower() for words in FULL_DISK):
            return str(data_dir())
    return None
