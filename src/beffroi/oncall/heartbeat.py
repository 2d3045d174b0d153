"""The dead man's switch: a call to an outside monitor every minute while the centre
works, so that its silence is noticed by something that does not die with it.

A centre unstaffed at night tells its on-call agent about a dead camera or a full disk;
it cannot tell anyone that it is itself dead, cut from the network, or recording
nothing. An outside monitor (healthchecks, Uptime Kuma's push monitor, Better Stack's
heartbeats, a second centre) expects a call every `every_seconds` and alerts when calls
stop. So the centre calls only while it works:

- its database answers (the open fault incidents are read from it);
- it records: at least one camera records, unless no camera is enabled.

Otherwise it stays silent, and says so in its log: silence *is* the alarm. While it
works but something is wrong (a camera offline, a fault incident open), the call goes
on with `status: degraded` in its body: the faults reach the on-call agent by the
usual way, and the monitor shows them.

The address usually carries the monitor's token: it is read from `url_env` or
`url_file` at each call, so a rotated token applies without a restart, and it is
never logged. A failed call is logged once per streak and counted; redirects are not
followed.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from beffroi import __version__
from beffroi.clock import Clock, utc_ms
from beffroi.incidents.faults import FaultIncidents
from beffroi.ingest.state import RecorderView, Status
from beffroi.loops import Loop
from beffroi.oncall.channels.webhook import HttpRefused, http_send
from beffroi.site.models import HeartbeatSettings
from beffroi.site.secrets import SecretError, secret_value

log = logging.getLogger(__name__)

# The first call waits this long (at most): cameras still connecting at start are not
# "recording nothing".
FIRST_CALL_S = 30.0


@dataclass(frozen=True)
class CentreState:
    status: Literal["ok", "degraded", "failing"]
    why: str | None  # for degraded and failing
    cameras_enabled: int
    cameras_recording: int
    open_faults: int


class HeartbeatError(RuntimeError):
    """A call the monitor did not accept; the message never holds the address."""


def call_monitor(url: str, method: str, body: bytes | None, timeout: float) -> None:
    if not url.lower().startswith(("http://", "https://")):
        raise HeartbeatError("the monitor's address is not an http(s) address")
    headers = {"Content-Type": "application/json"} if body is not None else {}
    try:
        http_send(url, method, body, headers, timeout)
    except HttpRefused as exc:
        raise HeartbeatError(f"the monitor answered HTTP {exc.status}") from None
    except (OSError, ValueError) as exc:
        raise HeartbeatError(f"the monitor could not be reached ({type(exc).__name__})") from None


class Heartbeat:
    """Calls the monitor of `settings` every `every_seconds` of clock time while the
    centre works. `settings` may be replaced at any time (a site reload)."""

    def __init__(
        self, settings: HeartbeatSettings, engine: Engine, clock: Clock, recorder: RecorderView
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.clock = clock
        self.recorder = recorder
        self.faults = FaultIncidents(engine, clock, None)
        self.calls = 0  # accepted by the monitor
        self.failed_calls = 0
        self.silent_rounds = 0  # rounds the centre did not call because it was failing
        self.last_state: CentreState | None = None
        self.last_error: str | None = None
        self.loop = Loop(
            "heartbeat",
            self.beat,
            lambda: float(self.settings.every_seconds),
            clock,
            first_after_s=min(FIRST_CALL_S, settings.every_seconds),
        )

    def start(self) -> Heartbeat:
        self.loop.start()
        return self

    def stop(self) -> None:
        self.loop.stop()

    def state(self) -> CentreState:
        states = self.recorder.camera_states().values()
        enabled = sum(1 for s in states if s.status != Status.DISABLED)
        recording = sum(1 for s in states if s.status == Status.RECORDING)
        try:
            faults = len(self.faults.unresolved())
        except SQLAlchemyError:
            return CentreState("failing", "the database does not answer", enabled, recording, 0)
        if enabled and not recording:
            why = f"no camera records ({enabled} enabled)"
            return CentreState("failing", why, enabled, recording, faults)
        if recording < enabled or faults:
            why = f"{enabled - recording} camera(s) not recording, {faults} open fault(s)"
            return CentreState("degraded", why, enabled, recording, faults)
        return CentreState("ok", None, enabled, recording, faults)

    def beat(self) -> None:
        """One round: call the monitor if the centre works, else stay silent."""
        state = self.state()
        was = self.last_state
        self.last_state = state
        if state.status == "failing":
            self.silent_rounds += 1
            if was is None or was.status != "failing":
                log.error("heartbeat: not calling the monitor: %s", state.why)
            return
        if was is not None and was.status == "failing":
            log.warning("heartbeat: calling the monitor again (%s)", state.status)
        try:
            self._call(state)
        except (HeartbeatError, SecretError) as exc:
            self.failed_calls += 1
            if self.last_error is None:
                log.warning("heartbeat: %s", exc)
            self.last_error = str(exc)
            return
        if self.last_error is not None:
            log.info("heartbeat: the monitor accepts calls again")
        self.last_error = None
        self.calls += 1

    def _call(self, state: CentreState) -> None:
        s = self.settings
        url = s.url or secret_value(s.url_env, s.url_file)
        if not url:
            raise HeartbeatError("no monitor address")
        body = None
        if s.method == "POST":
            body = json.dumps(
                {
                    "status": state.status,
                    "why": state.why,
                    "cameras_enabled": state.cameras_enabled,
                    "cameras_recording": state.cameras_recording,
                    "open_faults": state.open_faults,
                    "version": __version__,
                    "sent_at_ms": utc_ms(self.clock.now()),
                }
            ).encode()
        call_monitor(url, s.method, body, s.timeout_seconds)
