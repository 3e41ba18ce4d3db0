"""The embedded store: a SecantusDB server run as a child process of the hub.

It runs in its own process so that it gets the second core, on a free loopback
port, with its WiredTiger files under the data directory. One process at a time
owns a data directory, marked by an exclusive `flock` on `hub.lock`, which the
kernel releases however the owner dies. The owner writes `server.json` so that
CLI commands can use the running server instead of starting their own. The child
is killed with its parent (`PR_SET_PDEATHSIG`), so a hub killed with SIGKILL leaves
no server behind; the next owner still waits for a leftover to exit before it opens
the files.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from gateway.errors import DataDirInUse, EmbeddedStoreError

log = logging.getLogger("clusterhub.store")

RESTART_BACKOFF = (1.0, 15.0)
"""Seconds before the first restart of a dead server, and the most between retries."""

_PR_SET_PDEATHSIG = 1
try:  # resolved in the parent: the child, between fork and exec, only makes the call
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux: the hub's own shutdown still stops the store
    _prctl = None


OPLOG_MAX_ENTRIES = 5_000_000
"""The store's change history (what a change stream can resume over), capped by count
as well as by its one hour. Past the cap every commit prunes the oldest entries, and
that pruning slows as deletions pile up at the history's head: after a 100,000-listing
import at the default cap of 100,000, a commit of one batch of matches took 10-70 s
(py-spy: `_prune_oplog_locked`). A bulk seed stays inside this cap."""


def _die_with(parent: int):
    """For the child before exec: SIGKILL when `parent` dies, even if it died already.

    SIGKILL, not SIGTERM: a store whose hub crashed has nobody to answer to, and a
    SIGTERM was seen to leave it hanging. Writes are journaled (`j: true`), so what
    was acknowledged survives, and the next start recovers the files.
    """

    def arm() -> None:
        if _prctl is not None:
            _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the hub died before the line above took effect
            os._exit(1)

    return arm


def free_port() -> int:
    """A TCP port on loopback that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is gone for our purposes; /proc tells it apart on Linux.
    try:
        return " Z " not in Path(f"/proc/{pid}/stat").read_text().split(")", 1)[1][:4]
    except OSError:
        return True


def uri_for(port: int) -> str:
    return f"mongodb://127.0.0.1:{port}/?directConnection=true"


@dataclass(frozen=True)
class RunningServer:
    """What `server.json` says about the server that owns a data directory."""

    pid: int
    port: int
    owner_pid: int

    @property
    def uri(self) -> str:
        return uri_for(self.port)


class EmbeddedServer:
    """Owns a data directory and the SecantusDB process serving it."""

    def __init__(self, data_dir: Path, *, start_timeout: float = 30.0) -> None:
        self.data_dir = data_dir.resolve()
        self.start_timeout = start_timeout
        self._lock_file: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self.port: int | None = None

    @property
    def uri(self) -> str:
        if self.port is None:
            raise EmbeddedStoreError("the embedded store is not running")
        return uri_for(self.port)

    @property
    def _state_file(self) -> Path:
        return self.data_dir / "server.json"

    def running_elsewhere(self) -> RunningServer | None:
        """The server another process runs on this data directory, if any."""
        if self._try_lock():
            self._unlock()
            return None
        try:
            state = json.loads(self._state_file.read_text())
            return RunningServer(state["pid"], state["port"], state["owner_pid"])
        except (OSError, ValueError, KeyError):
            return None

    def start(self) -> str:
        """Take the data directory, start the server and wait until it answers `ping`."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not self._try_lock():
            other = self.running_elsewhere()
            who = f"process {other.owner_pid}" if other else "another process"
            raise DataDirInUse(
                f"data directory {self.data_dir} is in use by {who}; stop it first "
                "or choose another --data-dir"
            )
        try:
            self._reap_leftover()
            self._launch()
        except BaseException:
            self.stop()
            raise
        return self.uri

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL after `timeout`) and release the directory."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._lock_file is not None:
            with contextlib.suppress(OSError):
                self._state_file.unlink()
            self._unlock()
        self.port = None

    def _try_lock(self) -> bool:
        if self._lock_file is not None:
            return True
        self.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.data_dir / "hub.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._lock_file = fd
        return True

    def _unlock(self) -> None:
        if self._lock_file is not None:
            os.close(self._lock_file)  # closing the descriptor drops the flock
            self._lock_file = None

    def _reap_leftover(self) -> None:
        """A previous owner died hard: wait for its server to finish dying."""
        try:
            pid = json.loads(self._state_file.read_text())["pid"]
        except (OSError, ValueError, KeyError):
            return
        deadline = time.monotonic() + 10
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if pid_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.2)
        self._state_file.unlink(missing_ok=True)

    def _launch(self) -> None:
        for _attempt in range(3):
            port = free_port()
            if self._wait_ready(self._spawn(port)):
                self._started(port)
                return
            if self._process is not None and self._process.poll() is None:
                self._process.kill()
                self._process.wait()
                break  # alive but silent: retrying will not help
        raise EmbeddedStoreError(
            f"the embedded store did not start; see {self.data_dir / 'secantusd.log'}"
        )

    def _spawn(self, port: int) -> int:
        """Start the server process on `port` (from the thread the child is tied to)."""
        with open(self.data_dir / "secantusd.log", "ab") as log:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "secantus",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--storage-path",
                    str(self.data_dir / "wiredtiger"),
                    "--log-level",
                    "WARNING",
                    "--oplog-max-entries",
                    str(OPLOG_MAX_ENTRIES),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a terminal's Ctrl-C goes to the hub, which stops us
                preexec_fn=_die_with(os.getpid()),
            )
        return port

    def _started(self, port: int) -> None:
        assert self._process is not None
        self.port = port
        self._state_file.write_text(
            json.dumps({"pid": self._process.pid, "port": port, "owner_pid": os.getpid()})
        )

    def exited(self) -> int | None:
        """The exit status of a server that died (and is reaped), None while it runs."""
        return None if self._process is None else self._process.poll()

    async def supervise(
        self, on_down: Callable[[], None], on_up: Callable[[], None], interval: float = 0.25
    ) -> None:
        """Restart the server on its port whenever it dies, with backoff, until cancelled.

        Clients keep their URI and reconnect by themselves; `on_down` and `on_up` tell
        the hub, so that it answers 503 at once meanwhile.
        """
        while True:
            await asyncio.sleep(interval)
            status = self.exited()
            if status is None or self.port is None:
                continue
            on_down()
            delay = RESTART_BACKOFF[0]
            while True:
                log.warning("the embedded store exited (%s); restarting in %.1f s", status, delay)
                await asyncio.sleep(delay)
                port = self._spawn(self.port)  # from the event loop's thread, see _die_with
                if await asyncio.to_thread(self._wait_ready, port):
                    self._started(port)
                    log.warning("the embedded store is back at %s", self.uri)
                    on_up()
                    break
                if self._process is not None and self._process.poll() is None:
                    self._process.kill()
                    self._process.wait()
                status = self.exited()
                delay = min(delay * 2, RESTART_BACKOFF[1])

    def _wait_ready(self, port: int) -> bool:
        deadline = time.monotonic() + self.start_timeout
        client: MongoClient = MongoClient(uri_for(port), serverSelectionTimeoutMS=250)
        try:
            while time.monotonic() < deadline:
                if self._process is None or self._process.poll() is not None:
                    return False
                try:
                    client.admin.command("ping")
                    return True
                except PyMongoError:
                    time.sleep(0.05)
            return False
        finally:
            client.close()
