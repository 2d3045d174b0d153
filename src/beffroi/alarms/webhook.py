"""The HTTP webhook receiver: `POST /api/alarms`, for systems that speak HTTP rather
than SIA DC-09 (building management, access control, a panel's IP output).

Three proofs are asked of a request, because an alarm moves people at night:
- **who**: a machine API token holding `alarm.submit` (`access.tokens`), scoped to
  communes: a token of Joué-lès-Tours cannot raise an alarm in Chambray;
- **what**: `X-Beffroi-Signature: sha256=<hex>`, an HMAC-SHA256 of
  `<timestamp>.<raw body>` with the integration's key. A token leaked from a log is not
  enough to forge an alarm, and the body cannot be altered in transit;
- **when**: `X-Beffroi-Timestamp` (Unix seconds, inside the signed text) within
  `window_seconds` of the server clock, and the body's `id` never seen before (kept
  twice the window, `alarms.deliveries`): a captured request cannot be played again.

The key is read from an environment variable or a file named in the site file, like
the panels' AES keys, and never stored: HMAC needs the key itself, so a hash (as for
tokens) cannot verify, and encrypting it in the database would need a master key kept
in the same place as the key itself.

Answers: 201 stored (with the incident it opened or joined); 401 bad signature,
stale timestamp or a token with no integration; 409 a replayed id; 422 malformed body
or header, unknown building, unknown event. Every request is logged in
`alarm_messages` (refusals in batches, with one journal summary per batch) and counted.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from beffroi.alarms.deliveries import (
    PlainAlarmError,
    accept,
    forget_key,
    forget_keys,
    json_object,
    key_writer,
    panel_event,
    plain_received,
    refuse,
)
from beffroi.alarms.intake import AlarmHook, MessageLog, store_accepted
from beffroi.clock import Clock, utc_ms

log = logging.getLogger(__name__)

RECEIVER = "webhook"
SIGNATURE_HEADER = "X-Beffroi-Signature"
TIMESTAMP_HEADER = "X-Beffroi-Timestamp"
MAX_BODY = 16 * 1024
MIN_SECRET = 32
FORGET_EVERY_MS = 60_000


class AlarmIn(BaseModel):
    """The body of `POST /api/alarms`."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[\x21-\x7e]+$",
        description="The sender's unique id of this alarm (printable, no spaces): the same "
        "id again is a replay, refused with 409.",
    )
    building: str = Field(
        max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$", description="Building id (site file)"
    )
    zone: int | None = Field(
        default=None, ge=0, le=9999, description="Zone number; absent: the whole building"
    )
    event: str = Field(
        min_length=1,
        max_length=16,
        description="SIA code (BA burglary, FA fire, PA panic, BR restore...) or incident "
        "kind (intrusion, fire, panic, holdup, tamper, technical...)",
    )
    time: AwareDatetime | None = Field(
        default=None, description="When the sender saw it (ISO 8601 with offset)"
    )
    text: str | None = Field(default=None, max_length=200, description="Free text shown as is")


@dataclass(frozen=True)
class Integration:
    """A system allowed to post alarms: its token's name, its key, its buildings."""

    token: str
    secret: bytes
    buildings: frozenset[str] = frozenset()  # empty: any building of the token's communes


@dataclass(frozen=True)
class Accepted:
    message_id: int
    incident_id: int | None


class WebhookRefusedError(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class _HookFailedError(Exception):
    pass


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """The header value a sender computes: `sha256=` + hex HMAC of `timestamp.body`."""
    mac = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookReceiver:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        on_alarm: AlarmHook | None,
        message_log: MessageLog,
        integrations: Mapping[str, Integration],
        buildings: Mapping[str, str],  # building id -> commune id
        window_seconds: int = 300,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.on_alarm = on_alarm
        self.message_log = message_log
        self.integrations = dict(integrations)
        self.buildings = dict(buildings)
        self.window_seconds = window_seconds
        self.counts: Counter[str] = Counter()  # accepted, refused:<reason>
        self._forgot_ms = 0
        self._lock = threading.Lock()

    def start(self) -> None:
        self.message_log.start()

    def stop(self) -> None:
        self.message_log.stop()

    def update(
        self,
        integrations: Mapping[str, Integration],
        buildings: Mapping[str, str],
        window_seconds: int,
    ) -> None:
        # Reference swaps: a request in flight sees the old or the new table, whole.
        self.integrations, self.buildings = dict(integrations), dict(buildings)
        self.window_seconds = window_seconds

    # --- one request -----------------------------------------------------------------
    def receive(
        self,
        token: str | None,
        communes: frozenset[str] | None,
        timestamp: str,
        signed: str,
        body: bytes,
        peer: str | None,
    ) -> Accepted:
        """Check, store, hand on; `WebhookRefusedError` (logged and counted) otherwise.
        `token` is the API token's name, `communes` its scope (None: all)."""
        now = self.clock.now()
        msg = plain_received(
            received_at=now, transport="http", peer=peer, raw=body[:MAX_BODY], sender=token
        )
        try:
            alarm, event = self._check(token, communes, timestamp, signed, body, now.timestamp())
        except WebhookRefusedError as exc:
            self._refused(refuse(msg, exc.reason, str(exc)))
            raise
        accept(msg, alarm.building, event, alarm.time)
        assert token is not None
        incident: list[object] = []

        def hand_on(stored: Any) -> None:
            if self.on_alarm is not None:
                try:
                    incident.append(self.on_alarm(stored))
                except Exception as exc:
                    raise _HookFailedError(str(exc)) from exc

        try:
            stored = store_accepted(
                self.engine,
                msg,
                hand_on,
                receiver=RECEIVER,
                also=key_writer(RECEIVER, token, alarm.id, now),
            )
        except IntegrityError:
            detail = f"alarm id {alarm.id!r} was already received: a replay"
            self._refused(refuse(msg, "replay", detail))
            raise WebhookRefusedError(409, "replay", detail) from None
        except _HookFailedError as exc:
            # Not in an incident, so not taken: free the id so that the sender's retry
            # is accepted instead of refused as a replay.
            log.exception("webhook: alarm %r stored but not handed on", alarm.id)
            forget_key(self.engine, RECEIVER, token, alarm.id)
            self.counts["refused:storage"] += 1
            raise WebhookRefusedError(503, "storage", f"not stored, send again: {exc}") from None
        self.counts["accepted"] += 1
        self._forget_old_keys(utc_ms(now))
        found = incident[0] if incident else None
        return Accepted(stored.message_id, found if isinstance(found, int) else None)

    def _check(
        self,
        token: str | None,
        communes: frozenset[str] | None,
        timestamp: str,
        signed: str,
        body: bytes,
        now_s: float,
    ) -> tuple[AlarmIn, Any]:
        integration = self.integrations.get(token) if token is not None else None
        if integration is None:
            raise WebhookRefusedError(
                401, "integration", "this token has no webhook integration in the site file"
            )
        if len(body) > MAX_BODY:
            raise WebhookRefusedError(422, "format", f"body: larger than {MAX_BODY} bytes")
        if not timestamp.isdigit() or len(timestamp) > 12:
            raise WebhookRefusedError(
                422, "format", f"{TIMESTAMP_HEADER}: Unix time in seconds expected"
            )
        expected = signature(integration.secret, timestamp, body)
        given = signed.strip().lower().encode("ascii", "replace")
        if not hmac.compare_digest(expected.encode(), given):
            raise WebhookRefusedError(401, "signature", f"{SIGNATURE_HEADER}: does not match")
        if abs(now_s - int(timestamp)) > self.window_seconds:
            raise WebhookRefusedError(
                401,
                "timestamp",
                f"{TIMESTAMP_HEADER}: more than {self.window_seconds} s from the server clock",
            )
        data = json_object(body)
        if data is None:
            raise WebhookRefusedError(422, "format", "body: a JSON object expected")
        try:
            alarm = AlarmIn.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "body"
            raise WebhookRefusedError(422, "format", f"{where}: {first['msg']}") from None
        commune = self.buildings.get(alarm.building)
        allowed = commune is not None and (communes is None or commune in communes)
        if not allowed or (integration.buildings and alarm.building not in integration.buildings):
            # One answer for "no such building" and "not yours": no probing of the site.
            raise WebhookRefusedError(422, "building", f"building: unknown {alarm.building!r}")
        try:
            event = panel_event(alarm.event, alarm.zone, alarm.text)
        except PlainAlarmError as exc:
            raise WebhookRefusedError(422, exc.reason, f"{exc.field}: {exc}") from None
        return alarm, event

    def _refused(self, msg: Any) -> None:
        self.counts[f"refused:{msg.reason}"] += 1
        self.message_log.submit(msg)

    def _forget_old_keys(self, now_ms: int) -> None:
        with self._lock:
            if now_ms - self._forgot_ms < FORGET_EVERY_MS:
                return
            self._forgot_ms = now_ms
        try:
            forget_keys(self.engine, RECEIVER, now_ms - 2 * self.window_seconds * 1000)
        except Exception:  # housekeeping: the next request tries again
            log.exception("webhook: old delivery keys could not be forgotten")
