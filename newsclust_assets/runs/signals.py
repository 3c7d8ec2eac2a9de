"""SIGINT and SIGTERM during a command, and the pause points tests interrupt it at."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from ..settings import env


def pause_point(name: str) -> None:
    """A test hook: with ``NEWSCLUST_PAUSE_AT=name`` and ``NEWSCLUST_PAUSE_FILE=path`` set, the
    command writes the file when it reaches that point and waits there (until a signal), so
    a test can interrupt it at exactly that moment instead of guessing with a sleep. Points:
    ``planned`` (before the first run exists), ``run_created`` (a run is created, not started),
    ``between_runs`` (after a run finished, before the next one)."""
    if env("NEWSCLUST_PAUSE_AT") != name or not env("NEWSCLUST_PAUSE_FILE"):
        return
    marker = Path(env("NEWSCLUST_PAUSE_FILE"))
    if marker.exists():
        return  # once per command
    marker.write_text(name)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        time.sleep(0.05)


class SignalWatch:
    """Remembers SIGINT and SIGTERM however Dagster handles them meanwhile.

    During a run Dagster swaps in its own handlers (it defers the interrupt to a checkpoint,
    fails the run, then forgets the signal), so a plain handler of ours would never learn of
    it and the loop over ranges would go on. Python's wakeup fd receives the number of every
    signal whatever Python-level handler is installed; ``received()`` reads it after each run."""

    def __init__(self):
        self._read, write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(write, False)
        self._previous = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
        self._handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
        for signo in self._handlers:
            signal.signal(signo, self._raise)
        self.last: int | None = None

    @staticmethod
    def _raise(signo, frame):
        raise KeyboardInterrupt

    def received(self) -> int | None:
        try:
            data = os.read(self._read, 512)
        except BlockingIOError:
            data = b""
        for byte in data:
            if byte in (signal.SIGINT, signal.SIGTERM):
                self.last = byte
        return self.last

    def close(self) -> None:
        signal.set_wakeup_fd(self._previous)
        for signo, handler in self._handlers.items():
            signal.signal(signo, handler)
