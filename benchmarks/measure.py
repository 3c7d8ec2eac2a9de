"""Wall time and peak RSS per stage, inside one process (Linux).

Peak RSS per stage: the kernel's high-water mark (VmHWM) is reset by writing 5 to
/proc/self/clear_refs at the start of a stage and read at its end, so each stage reports
the largest resident size the process reached *during that stage* (the model, imports
and data already resident count too, as they would in a real run).

Resetting the mark also resets what the kernel reports as the process's peak (VmHWM, and
``ru_maxrss`` as its parent reads it), so a worker's "process peak" was its *last* stage's
peak (before 2026-12-07: the function path reported 1,161 MiB where it peaked at 1,345).
``Stages.process_peak()`` keeps the largest mark seen before every reset: workers record it
as ``process_peak_rss_mib``, and ``true_peak`` takes it over the parent's reading.
"""

from __future__ import annotations

import contextlib
import os
import resource
import subprocess
import time


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _peak_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Stages:
    """``with stages("embed"): ...`` records seconds and peak MiB of the block."""

    def __init__(self):
        self.results: dict[str, dict] = {}
        self._peak = 0.0  # the largest high-water mark seen before any reset

    def process_peak(self) -> float:
        """The process's true peak RSS so far, in MiB, resets or not."""
        return round(max(self._peak, _peak_mib()), 1)

    @contextlib.contextmanager
    def __call__(self, name: str):
        self._peak = max(self._peak, _peak_mib())
        _reset_peak()
        start = time.perf_counter()
        yield
        peak = _peak_mib()
        self._peak = max(self._peak, peak)
        self.results[name] = {"seconds": round(time.perf_counter() - start, 3), "peak_rss_mib": round(peak, 1)}

    def add(self, name: str, seconds: float, peak_rss_mib: float, **extra):
        self.results[name] = {"seconds": round(seconds, 3), "peak_rss_mib": round(peak_rss_mib, 1), **extra}


def true_peak(child: dict, result: dict) -> float:
    """A worker's peak RSS: the parent's reading of the child, or the worker's own record
    (``Stages.process_peak``) where its stage resets made the parent's reading too low."""
    return round(max(child["peak_rss_mib"], result.get("process_peak_rss_mib", 0.0)), 1)


def run_child(cmd: list[str], timeout_s: float, cwd=None) -> dict:
    """Run ``cmd`` (in ``cwd``); return its exit outcome, wall seconds and the child's own peak
    RSS. ``python -m`` puts its working directory first on ``sys.path``, ahead of PYTHONPATH: a
    child meant to run another checkout's code must be started in that checkout."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=cwd)
    deadline = start + timeout_s
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    output = proc.stdout.read().decode(errors="replace")[-2000:]
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode == 0:
        outcome = "ok"
    elif proc.returncode < 0:
        import signal

        outcome = f"died: {signal.Signals(-proc.returncode).name}"
    else:
        outcome = f"exit {proc.returncode}"
    if seconds > timeout_s:
        outcome = f"killed after {timeout_s:.0f} s"
    return {"outcome": outcome, "seconds": seconds, "peak_rss_mib": usage.ru_maxrss / 1024, "output": output}
