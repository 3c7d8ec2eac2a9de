"""``dagster dev`` on a free loopback port, for tests that go through the UI's own API
(GraphQL) with the daemon running: what a user clicking in the UI triggers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from ..event_storage import dagster_home_yaml

REPO = Path(__file__).resolve().parents[2]  # the checkout: workspace.yaml


class DagsterDev:
    def __init__(self, home: Path, env: dict[str, str], log: Path):
        self.home, self.env, self.log = home, env, log
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> DagsterDev:
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "dagster.yaml").write_text(  # as `newsclust run` writes it
            dagster_home_yaml(
                str(self.home),
                postgres="NEWSCLUST_DAGSTER_PG_URL" in self.env,
                max_runs=int(self.env.get("NEWSCLUST_MAX_CONCURRENT_RUNS", "2")),
            )
        )
        env = {**os.environ, "DAGSTER_HOME": str(self.home), "PYTHONWARNINGS": "ignore", **self.env}
        dagster = Path(sys.executable).parent / "dagster"
        self.proc = subprocess.Popen(
            [str(dagster), "dev", "-w", str(REPO / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(self.port)],
            cwd=REPO,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/server_info", timeout=2)
                return self
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"dagster dev did not start: {self.log.read_text()[-3000:]}") from None
                time.sleep(0.5)

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        req = urllib.request.Request(f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"})
        answer = json.loads(urllib.request.urlopen(req, timeout=60).read())
        assert "errors" not in answer, answer
        return answer["data"]
