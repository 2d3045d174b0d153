"""Running third-party RTSP servers as child processes: start, wait until ready, stop.

Readiness is always polled against a deadline (a `ready` line on stdout, or an RTSP
DESCRIBE that answers with a video track), never a fixed sleep. A server that dies
before it is ready, or while a test uses it, is reported with the tail of its stderr.
"""

from __future__ import annotations

import os
import selectors
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO
from urllib.parse import urlsplit

STOP_TIMEOUT_S = 5.0


class PeerError(RuntimeError):
    """A third-party server is missing, failed to start, or died."""


@dataclass
class Peer:
    """A running server: its RTSP URL, its process and where its stderr goes."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    stderr: IO[bytes]
    exit_code: int | None = field(default=None)

    def stderr_tail(self, limit: int = 4000) -> str:
        self.stderr.flush()
        self.stderr.seek(0)
        text = self.stderr.read().decode("utf-8", "replace")
        return text[-limit:]

    def died(self, what: str) -> PeerError:
        code = self.process.poll()
        state = "still running" if code is None else f"exit code {code}"
        return PeerError(f"{self.name} {what} ({state}); its stderr:\n{self.stderr_tail()}")

    def stop(self) -> int:
        """SIGTERM, then SIGKILL past a deadline; the exit code (idempotent)."""
        if self.exit_code is not None:
            return self.exit_code
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT_S)
        self.exit_code = self.process.returncode
        return self.exit_code


def free_port() -> int:
    """A loopback TCP port free right now (the kernel's choice)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running(
    name: str,
    argv: list[str],
    wait_ready: Callable[[Peer], str],
    *,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    read_stdout: bool = True,
) -> Iterator[Peer]:
    """Start `argv`, wait with `wait_ready` (which returns the URL), stop it on exit.

    `read_stdout`: `wait_ready` reads the server's stdout (else it goes with stderr to a
    file: a pipe nobody reads would block a chatty server). If the server died while
    the block ran, and the block itself did not fail, that death is an error too: a
    camera that crashed must not pass for one that streamed.
    """
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if read_stdout else stderr,
            stderr=stderr,
            env=env,
            cwd=cwd,
            start_new_session=True,  # a Ctrl-C on pytest is for pytest, not the server
        )
        peer = Peer(name, "", process, stderr)
        try:
            peer.url = wait_ready(peer)
            yield peer
            if process.poll() is not None and peer.exit_code is None:
                raise peer.died("died while in use")
        finally:
            peer.stop()
            if process.stdout is not None:
                process.stdout.close()


def ready_line(deadline_s: float) -> Callable[[Peer], str]:
    """Wait for `ready <port>` on the server's stdout; the URL of its `/cam` mount."""

    def wait(peer: Peer) -> str:
        assert peer.process.stdout is not None
        fd = peer.process.stdout.fileno()
        buffered = b""
        deadline = time.monotonic() + deadline_s
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in buffered:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise peer.died(f"printed no ready line in {deadline_s} s")
                if not selector.select(left):
                    continue
                chunk = os.read(fd, 4096)
                if not chunk:
                    raise peer.died("exited before it was ready")
                buffered += chunk
        line = buffered.split(b"\n", 1)[0].decode()
        if not line.startswith("ready "):
            raise peer.died(f"said {line!r} instead of ready")
        return f"rtsp://127.0.0.1:{int(line.split()[1])}/cam"

    return wait


def rtsp_describe(url: str, timeout_s: float = 2.0) -> tuple[int, str]:
    """One RTSP DESCRIBE on a fresh connection: the status code and the SDP body."""
    parts = urlsplit(url)
    request = f"DESCRIBE {url} RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n\r\n"
    with socket.create_connection((parts.hostname, parts.port or 554), timeout_s) as sock:
        sock.sendall(request.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            if not (chunk := sock.recv(4096)):
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length = 0
        for line in lines[1:]:
            key, _, value = line.partition(":")
            if key.strip().lower() == "content-length":
                length = int(value)
        while len(body) < length and (chunk := sock.recv(4096)):
            body += chunk
    return status, body.decode("utf-8", "replace")


def describes_video(url: str, deadline_s: float) -> Callable[[Peer], str]:
    """Poll DESCRIBE until the SDP announces a video track (the server is streaming)."""

    def wait(peer: Peer) -> str:
        deadline = time.monotonic() + deadline_s
        last = "no answer"
        while time.monotonic() < deadline:
            if peer.process.poll() is not None:
                raise peer.died("exited before it was ready")
            try:
                status, sdp = rtsp_describe(url)
                if status == 200 and "m=video" in sdp:
                    return url
                last = f"DESCRIBE answered {status}"
            except (OSError, ValueError, IndexError) as exc:
                last = f"DESCRIBE failed: {exc}"
            time.sleep(0.1)  # a poll interval, not a wait for readiness
        raise peer.died(f"not ready in {deadline_s} s ({last})")

    return wait
