"""Start PyPI's ``milvus`` 2.3.5 standalone (the C++ Milvus server) for the tests; run by the
Python of its own venv (``make milvus-standalone``), never imported by the project.

    python milvus_standalone_launch.py prepare DIR              unpack the server binaries into DIR/bin
    python milvus_standalone_launch.py serve BASE DIR PORT AUTH serve BASE on 127.0.0.1:PORT

``serve`` links BASE/bin to the unpacked DIR/bin (no 380 MB unpack per test), prints
``ready`` once the server answers its health check, and on SIGTERM stops the server (a SIGKILL
to the process group is the crash case). Milvus 2.3.5's graceful stop hangs once a collection
exists (measured: still running after 400 s; its ``gracefulStopTimeout`` is 1,800 s), so, like
``milvus``'s own ``MilvusServer.stop()`` (1 s), the server gets a few seconds and is then killed:
its data is on disk by then (a restart after SIGKILL loses nothing, as the tests show). Its embedded etcd always takes
127.0.0.1:2379 and 2380, so one such server runs on a machine at a time: the tests' helper
holds a lock for each server's lifetime."""

import os
import signal
import sys
import time

import milvus
from milvus import MilvusServer, MilvusServerConfig

STOP_WAIT_S = 5  # what a graceful stop gets before the kill (see above)


def prepare(unpacked: str) -> None:
    milvus._initialize_data_files(os.path.abspath(unpacked))  # unpacks into <unpacked>/bin


def serve(base: str, unpacked: str, port: int, auth: bool) -> None:
    os.makedirs(base, exist_ok=True)
    link = os.path.join(base, "bin")
    if not os.path.lexists(link):
        os.symlink(os.path.join(os.path.abspath(unpacked), "bin"), link)
    server = MilvusServer(MilvusServerConfig())
    server.set_base_dir(base)
    server.config.set("proxy_port", port)
    server.config.set("authorization_enabled", auth)

    def stop(*_):
        proc = server.server_proc
        if proc and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=STOP_WAIT_S)
            except Exception:  # noqa: BLE001 - a server that has not stopped by then is killed
                proc.kill()
                proc.wait()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    server.start()
    print("ready", flush=True)
    while server.server_proc.poll() is None:
        time.sleep(0.2)
    print(f"milvus exited with {server.server_proc.returncode}", flush=True)
    sys.exit(1)


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(sys.argv[2])
    else:
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "1")
