"""A real PostgreSQL for the tests: Debian's postgresql 15 binaries, a throwaway cluster
(initdb + pg_ctl) in a temp dir, listening on a free loopback port, trust auth.

initdb refuses to run as root; as root the cluster is run by the ``postgres`` user
(the Debian package creates it). ``make test`` installs the package.
"""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import free_port

BIN = Path("/usr/lib/postgresql/15/bin")


def available() -> bool:
    return (BIN / "initdb").is_file() and (BIN / "pg_ctl").is_file()


def _as_owner(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@contextmanager
def running_postgres() -> Iterator[str]:
    """Start a cluster; yield its URL (database ``postgres``, user ``postgres``)."""
    root = Path(tempfile.mkdtemp(prefix="terms-pg-"))
    if os.geteuid() == 0:  # the cluster's files belong to the user that runs it
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
    data, log = root / "data", root / "server.log"
    port = free_port()
    try:
        subprocess.run(_as_owner([str(BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                                  "-E", "UTF8", "--locale=C"]), check=True, capture_output=True, timeout=120)
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c max_connections=60"
        subprocess.run(_as_owner([str(BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w",
                                  "-t", "60", "start"]), check=True, capture_output=True, timeout=90)
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(_as_owner([str(BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                           capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres_url():
    """A running cluster for one test module; the test skips only where the binaries are absent."""
    if not available():
        pytest.skip("PostgreSQL 15 binaries absent (make test installs Debian's postgresql)")
    with running_postgres() as url:
        yield url
