"""A real PostgreSQL server for the tests (Debian's ``postgresql`` package): ``initdb`` into a
temporary directory and ``pg_ctl start`` on a free 127.0.0.1 port, as the ``postgres`` user
when the tests run as root (PostgreSQL refuses to run as root; CI does). Password
authentication is on, so the URL carries a secret that must never be written down."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from . import ServerUnavailable
from .milvus_standalone import free_port

PASSWORD = "pg-test-s3cret-7781"  # a throwaway cluster's; the tests check it leaks nowhere


def postgres_bin() -> Path:
    """The directory of initdb and pg_ctl (``ServerUnavailable`` when not installed)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    why = "PostgreSQL not installed (Debian: apt-get install -y postgresql)"
    raise ServerUnavailable(why)


class PostgresServer:
    """One cluster in its own directory under the system temp dir (a pytest tmp_path is
    root's alone, where the postgres user cannot reach); remove() deletes it."""

    def __init__(self):
        self.bin = postgres_bin()
        self.base = Path(tempfile.mkdtemp(prefix="newsclust-pg-"))
        self.data = self.base / "pgdata"
        self.port = free_port()
        self.user = "postgres" if os.getuid() == 0 else None  # who runs the server

    @property
    def url(self) -> str:
        return f"postgresql://newsclust:{PASSWORD}@127.0.0.1:{self.port}/newsclust"

    def _run(self, *cmd: str, **kw) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        return subprocess.run([*prefix, *cmd], check=True, capture_output=True, text=True, timeout=120, **kw)

    def start(self) -> PostgresServer:
        self.base.mkdir(parents=True, exist_ok=True)
        if not self.data.exists():
            pwfile = self.base / "pw"
            pwfile.write_text(PASSWORD + "\n")
            if self.user:
                uid = pwd.getpwnam(self.user).pw_uid
                for p in (self.base, pwfile):
                    os.chown(p, uid, -1)
            self._run(
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "newsclust",
                "--pwfile",
                str(pwfile),
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
            )
            pwfile.unlink()
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.base / "postgres.log"),
            "-w",
            "-o",
            f"-h 127.0.0.1 -p {self.port} -k {self.base}",
            "start",
        )
        env = {**os.environ, "PGPASSWORD": PASSWORD}
        deadline = time.monotonic() + 60
        while True:
            made = subprocess.run(
                [str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "newsclust", "newsclust"],
                capture_output=True,
                text=True,
                env=env,
            )
            if made.returncode == 0 or "already exists" in made.stderr:
                return self
            if time.monotonic() > deadline:
                raise RuntimeError(f"could not create the newsclust database: {made.stderr}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.data.exists() and (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def kill(self) -> None:
        """Stop as a crash does (``pg_ctl -m immediate``: every server process quits at once,
        nothing is shut down cleanly; the next start recovers from the write-ahead log)."""
        if self.data.exists() and (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)
