"""Wall time and peak RSS per stage, inside one process (Linux).

Peak RSS per stage: the kernel's high-water mark (VmHWM) is reset by writing 5 to
/proc/self/clear_refs at the start of a stage and read at its end, so each stage reports
the largest resident size the process reached *during that stage* (the model, imports
and data already resident count too, as they would in a real run).
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

    @contextlib.contextmanager
    def __call__(self, name: str):
        _reset_peak()
        start = time.perf_counter()
        yield
        self.results[name] = {"seconds": round(time.perf_counter() - start, 3), "peak_rss_mib": round(_peak_mib(), 1)}

    def add(self, name: str, seconds: float, peak_rss_mib: float, **extra):
        self.results[name] = {"seconds": round(seconds, 3), "peak_rss_mib": round(peak_rss_mib, 1), **extra}


def run_child(cmd: list[str], timeout_s: float) -> dict:
    """Run ``cmd``; return its exit outcome, wall seconds and the child's own peak RSS."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
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
