"""What can be checked here of ``deploy/`` (docs/deploy.md): the Helm values against the
project's own declarations, the Dockerfile against the checkout, and the image's command run
from this environment."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import yaml

from newsclust_assets.settings import VARIABLES

from .servers import free_port

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
MODULE = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["dagster"]["module_name"]


def _values() -> dict:
    return yaml.safe_load((DEPLOY / "values.yaml").read_text())


def test_helm_values_serve_the_code_location_with_declared_variables_and_no_secret_in_the_file():
    values = _values()
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    assert deployment["dagsterApiGrpcArgs"] == ["-m", MODULE]
    names = [e["name"] for e in deployment["env"]]
    ours = [n for n in names if n.startswith("NEWSCLUST_")]
    assert ours and not [n for n in ours if n not in VARIABLES], "undeclared variables in values.yaml"
    secrets = {n for n, v in VARIABLES.items() if v.secret}
    assert not secrets & set(names)  # a secret comes from a Kubernetes secret, never a value here
    secret_names = {s["name"] for s in deployment["envSecrets"]}
    launcher = values["runLauncher"]
    assert launcher["type"] == "K8sRunLauncher"
    assert {s["name"] for s in launcher["config"]["k8sRunLauncher"]["envSecrets"]} == secret_names
    assert deployment["includeConfigInLaunchedRuns"]["enabled"] is True  # run pods get the same env
    coordinator = values["dagsterDaemon"]["runCoordinator"]
    assert coordinator["type"] == "QueuedRunCoordinator"
    assert coordinator["config"]["queuedRunCoordinator"]["maxConcurrentRuns"] >= 2
    assert values["postgresql"]["enabled"] is False and values["postgresql"]["postgresqlHost"]
    assert "postgresqlPassword" not in values["postgresql"]
    env = {e["name"]: e.get("value") for e in deployment["env"]}
    for shared in ("NEWSCLUST_SOURCE", "NEWSCLUST_IO_BASE_URL", "NEWSCLUST_FILES_DIR"):  # nothing on a pod's disk
        assert env[shared].startswith("s3://"), shared


def _dockerfile() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined."""
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_dockerfile_matches_the_checkout_and_pip_install_builds_a_complete_package(tmp_path):
    lines = _dockerfile()
    torch = re.search(r"^TORCH \?= (\S+)$", (REPO / "Makefile").read_text(), re.M).group(1)
    assert any(line.startswith("RUN pip install") and torch in line.split() for line in lines)
    copied = [p for line in lines if line.startswith("COPY ") for p in line.split()[1:-1]]
    assert copied and all((REPO / p).exists() for p in copied), copied
    (cmd,) = [line for line in lines if line.startswith("CMD ")]
    args = yaml.safe_load(cmd[len("CMD ") :])
    assert args[:3] == ["dagster", "api", "grpc"] and args[-2:] == ["-m", MODULE]
    # `pip install .` as the image runs it, from a copy of what it copies (no build/ in the checkout)
    for p in copied:
        src = REPO / p
        if src.is_dir():
            shutil.copytree(src, tmp_path / p, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, tmp_path / p)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation", "-q", "-w", "dist"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = (tmp_path / "dist").glob("newsclust-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        MODULE.replace(".", "/") + ".py",
        "newsclust_assets/ingest/sample_data/sample_news.jsonl",
        "newsclust_assets/files.py",
    } <= names


def test_the_images_command_is_a_code_location_server(tmp_path):
    """The image's CMD, from this environment on a loopback port, answers Dagster's own health
    check (what the chart's probes run)."""
    (cmd,) = [line for line in _dockerfile() if line.startswith("CMD ")]
    args = yaml.safe_load(cmd[len("CMD ") :])
    port = str(free_port())
    args[args.index("-h") + 1], args[args.index("-p") + 1] = "127.0.0.1", port
    dagster = str(Path(sys.executable).parent / "dagster")
    log = (tmp_path / "grpc.log").open("w")
    proc = subprocess.Popen([dagster, *args[1:]], cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            check = subprocess.run(
                [dagster, "api", "grpc-health-check", "-p", port], capture_output=True, text=True, timeout=60
            )
            if check.returncode == 0:
                break
            assert proc.poll() is None, (tmp_path / "grpc.log").read_text()[-3000:]
            assert time.monotonic() < deadline, f"{shlex.join(args)} did not answer: {check.stdout}{check.stderr}"
            time.sleep(1)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # its graceful shutdown can wait on a busy machine
            proc.kill()
            proc.wait(timeout=30)
