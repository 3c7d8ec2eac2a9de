"""A real Milvus server for the tests and benchmarks: ``MilvusStandalone``, the C++ Milvus 2.3.5 standalone
(what production runs: its own index builds, version quirks and authorization), in a child
process on 127.0.0.1 with a data directory that survives stop() / start() and kill().
(``milvus-lite server`` is not used: it is the Lite engine behind gRPC and accepts index
types it cannot build.)"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from ..settings import env
from . import ServerUnavailable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# PyPI's milvus 2.3.5 (a real C++ Milvus standalone) lives in its own venv, made by
# `make milvus-standalone`; NEWSCLUST_TEST_MILVUS_VENV points elsewhere.
REPO = Path(__file__).resolve().parents[2]
STANDALONE_VENV = Path(env("NEWSCLUST_TEST_MILVUS_VENV") or REPO / ".venv-milvus")
LAUNCHER = Path(__file__).with_name("milvus_standalone_launch.py")
ROOT_TOKEN = "root:Milvus"  # the standalone's built-in user when authorization is on


def standalone_python() -> Path:
    """The standalone venv's Python (``ServerUnavailable`` when it is not built)."""
    python = STANDALONE_VENV / "bin" / "python"
    unpacked = STANDALONE_VENV / "standalone" / "bin" / "milvus"
    if python.exists() and unpacked.exists():
        return python
    why = f"no Milvus standalone in {STANDALONE_VENV}: run `make milvus-standalone`"
    raise ServerUnavailable(why)


class MilvusStandalone:
    """Milvus 2.3.5 standalone in its own process group on 127.0.0.1: stop() is a clean
    shutdown, kill() a crash (SIGKILL to the server and its launcher); the data directory
    survives both, so start() again is a restart. ``auth`` turns authorization on (token
    ``root:Milvus``)."""

    def __init__(self, data_dir: Path, auth: bool = False):
        self.python = standalone_python()
        self.data_dir = Path(data_dir)
        self.auth = auth
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self._lock = None

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def token(self) -> str:
        return ROOT_TOKEN if self.auth else ""

    def start(self, timeout_s: float = 180.0) -> MilvusStandalone:
        # Its embedded etcd always takes 127.0.0.1:2379 and 2380: one standalone on the machine at
        # a time, so a lock is held from start() to stop() or kill() (the tests that use one run in
        # one pytest-xdist worker, the xdist_group STANDALONE, so they never wait on each other).
        self._lock = open(Path(tempfile.gettempdir()) / "newsclust-milvus-standalone.lock", "a")  # noqa: SIM115
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        if self._launch(timeout_s):
            return self
        self.kill()
        raise RuntimeError(
            f"Milvus standalone did not start on {self.port} within {timeout_s} s "
            f"({self._last_line!r}); see {self.data_dir}/logs"
        )

    def _launch(self, timeout_s: float) -> bool:
        log = open(self.data_dir.with_name(self.data_dir.name + ".launch.log"), "a")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                str(self.python),
                str(LAUNCHER),
                "serve",
                str(self.data_dir),
                str(STANDALONE_VENV / "standalone"),
                str(self.port),
                "1" if self.auth else "0",
            ],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            start_new_session=True,
        )
        log.close()
        self._last_line = ""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self.proc.poll() is None:
            self._last_line = self.proc.stdout.readline()  # "ready" once the health check answers
            if self._last_line.strip() == "ready":
                break
        while time.monotonic() < deadline and self.proc.poll() is None:  # and its proxy takes clients
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return True
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None
        self._unlock()

    def kill(self) -> None:
        if self.proc:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None
        self._unlock()

    def _unlock(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing the file lets the lock go
            self._lock = None
