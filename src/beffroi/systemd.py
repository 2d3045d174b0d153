"""systemd's notification protocol (sd_notify), without a library: READY once the API
listens, WATCHDOG while the server's loops are alive, STOPPING on the way out.

Under `Type=notify` with `WatchdogSec=`, systemd restarts Beffroi when the pings stop:
a process that is alive but whose main loop, API or retention loop is wedged is not a
working centre. Outside systemd (no `NOTIFY_SOCKET`), every call does nothing.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Mapping

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.address = env.get("NOTIFY_SOCKET") or None
        usec = env.get("WATCHDOG_USEC", "")
        # Ping at half the watchdog's period, as sd_watchdog_enabled(3) advises.
        self.interval_s = int(usec) / 2e6 if usec.isdigit() and int(usec) > 0 else None
        self._last_ping = 0.0

    def send(self, state: str) -> bool:
        if self.address is None:
            return False
        target = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
                # Never wait on systemd: a full queue (it reads late) drops this one.
                s.sendto(state.encode("ascii"), socket.MSG_DONTWAIT, target)
        except BlockingIOError:
            log.debug("systemd notification %r dropped: its queue is full", state)
            return False
        except OSError as exc:
            log.warning("systemd notification %r failed: %s", state, exc)
            return False
        return True

    def ready(self, status: str) -> None:
        self.send(f"READY=1\nSTATUS={status}")

    def stopping(self) -> None:
        self.send("STOPPING=1")

    def tick(self, healthy: bool) -> None:
        """Called from the main loop: a watchdog ping when due and all is well."""
        if self.interval_s is None or not healthy:
            return
        now = time.monotonic()
        if now - self._last_ping >= self.interval_s:
            self._last_ping = now
            self.send("WATCHDOG=1")
