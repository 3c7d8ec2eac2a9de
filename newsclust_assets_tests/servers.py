"""The local servers (``newsclust_assets.local_servers``) as the tests use them: a server whose
binaries are missing fails the test under CI (where ``make test`` builds them) and skips it
elsewhere."""

from __future__ import annotations

import os

import pytest

from newsclust_assets.local_servers import ServerUnavailable, milvus_standalone, postgres
from newsclust_assets.local_servers.dagster_dev import DagsterDev
from newsclust_assets.local_servers.milvus_standalone import ROOT_TOKEN, free_port
from newsclust_assets.local_servers.postgres import PASSWORD

__all__ = ["DagsterDev", "MilvusStandalone", "PASSWORD", "PostgresServer", "ROOT_TOKEN", "STANDALONE", "free_port"]

STANDALONE = "milvus_standalone"  # the xdist_group of every test that starts a Milvus standalone


def _unavailable(exc: ServerUnavailable):
    if os.environ.get("CI"):
        pytest.fail(str(exc))
    pytest.skip(str(exc))


def MilvusStandalone(data_dir, auth: bool = False) -> milvus_standalone.MilvusStandalone:  # noqa: N802 - as the class
    try:
        return milvus_standalone.MilvusStandalone(data_dir, auth=auth)
    except ServerUnavailable as exc:
        _unavailable(exc)


def PostgresServer() -> postgres.PostgresServer:  # noqa: N802 - as the class
    try:
        return postgres.PostgresServer()
    except ServerUnavailable as exc:
        _unavailable(exc)
