"""Throw-away servers for the fault tests: a Redis and a PostgreSQL cluster of their own, on
free loopback ports, so killing or restarting them never touches the services the rest of the
suite (and the other people on this machine) use."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# The PostgreSQL restart (a cluster and a gunicorn of its own, ~25 s) runs with `make faults`;
# the others are quick and also run with `make test`.
CLUSTER_TESTS = ("test_postgres_restart.py",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("PASSERELLE_FAULTS") == "all":
        return
    keep = [i for i in items if i.path.name not in CLUSTER_TESTS]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i.path.name in CLUSTER_TESTS])
        items[:] = keep


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, *, up: bool = True, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                if up:
                    return
        except OSError:
            if not up:
                return
        time.sleep(0.1)
    raise TimeoutError(f"port {port} still {'closed' if up else 'open'} after {timeout} s")


@dataclass
class OwnRedis:
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        wait_for_port(self.port, up=False)


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server est nécessaire pour les tests de panne (paquet redis-server)")
    server = OwnRedis(free_port())
    server.start()
    try:
        yield server
    finally:
        server.kill()


def _pg_bindir() -> Path:
    found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False)
    candidates = [Path(found.stdout.strip())] if found.returncode == 0 else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for path in candidates:
        if (path / "initdb").exists() and (path / "pg_ctl").exists():
            return path
    pytest.fail("initdb / pg_ctl introuvables : installez le serveur PostgreSQL")


@dataclass
class OwnPostgres:
    """A PostgreSQL cluster in a temporary directory. PostgreSQL refuses to run as root, so
    when the tests run as root the cluster belongs to the `postgres` system user."""

    bindir: Path
    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/passerelle"

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = [str(a) for a in args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)

    def pg_ctl(self, action: str, *extra: str) -> None:
        self._run(
            self.bindir / "pg_ctl",
            action,
            "-D",
            self.directory / "data",
            "-l",
            self.directory / "log",
            "-o",
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c shared_buffers=16MB",
            *extra,
        )


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    bindir = _pg_bindir()
    directory = Path(tempfile.mkdtemp(prefix="passerelle-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    cluster = OwnPostgres(bindir, directory, free_port())
    cluster._run(bindir / "initdb", "-D", directory / "data", "-A", "trust", "-U", "postgres")
    cluster.pg_ctl("start", "-w")
    try:
        yield cluster
    finally:
        try:
            cluster.pg_ctl("stop", "-m", "immediate", "-w")
        finally:
            shutil.rmtree(directory, ignore_errors=True)
