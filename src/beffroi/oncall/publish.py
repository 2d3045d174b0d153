"""Incidents and camera status on MQTT, for a town's building management or Home
Assistant. Topics (`<prefix>` is `notifications.mqtt.topic_prefix`, `beffroi` by default):

- `<prefix>/status`: `online` / `offline` (retained; `offline` is the broker's last will);
- `<prefix>/<commune>/incidents/<id>`: the incident as `GET /api/incidents/{id}` lists it
  (id, state, kind, commune, building, zone, cameras, opened_at, ...), published when it
  opens and at each change (new alarm, notified, acknowledged, closed); not retained;
- `<prefix>/<commune>/cameras/<camera>/status`: `{"camera", "status", "reason",
  "since"}` with status recording | connecting | offline | disabled; retained, so a
  subscriber learns every camera's state on connecting.

The feed polls the database (incidents whose `updated_ms` moved) and the recorder's
view; it runs in its own thread so a broker that is down never delays an escalation.
Nothing is lost while the broker is away: the watermark only moves past what the
broker confirmed.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine, select

from beffroi.clock import Clock, from_ms, utc_ms
from beffroi.incidents.queries import IncidentOut, get_incident
from beffroi.incidents.tables import incidents
from beffroi.ingest.state import RecorderView
from beffroi.loops import Loop
from beffroi.oncall.channels import ChannelError
from beffroi.oncall.channels.mqtt import MqttLink
from beffroi.site.tables import cameras

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5
CAMERA_EVERY_S = 2.0


class MqttFeed:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        link: MqttLink,
        recorder: RecorderView | None = None,
        publish_incidents: bool = True,
        publish_cameras: bool = True,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.link = link
        self.recorder = recorder if publish_cameras else None
        self.incidents_on = publish_incidents
        self.since_ms = utc_ms(clock.now())  # history is in the API, not replayed here
        self._sent: dict[int, tuple[int, dict[str, Any]]] = {}  # id -> (updated_ms, payload)
        self._camera_sent: dict[str, str] = {}
        self._camera_last = float("-inf")
        self.loop = Loop("oncall-mqtt-feed", self._round, POLL_SECONDS, clock)

    def incident_topic(self, commune: str, incident_id: int) -> str:
        return f"{self.link.prefix}/{commune}/incidents/{incident_id}"

    def camera_topic(self, commune: str, camera_id: str) -> str:
        return f"{self.link.prefix}/{commune}/cameras/{camera_id}/status"

    def publish_incidents(self) -> int:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(incidents.c.id, incidents.c.commune_id, incidents.c.updated_ms)
                .where(incidents.c.updated_ms >= self.since_ms)
                .order_by(incidents.c.updated_ms, incidents.c.id)
            ).all()
        count = 0
        for row in rows:
            found = get_incident(self.engine, None, row.id)
            if found is None:
                continue
            payload = found.model_dump(mode="json", include=set(IncidentOut.model_fields))
            # Two changes within one millisecond share `updated_ms`: compare contents.
            if self._sent.get(row.id, (0, None))[1] == payload:
                continue
            self.link.publish(self.incident_topic(row.commune_id, row.id), payload)
            self._sent[row.id] = (row.updated_ms, payload)
            self.since_ms = row.updated_ms
            count += 1
        # Only the rows at the watermark can come back; older ones are done with.
        self._sent = {k: v for k, v in self._sent.items() if v[0] >= self.since_ms}
        return count

    def publish_cameras(self) -> int:
        if self.recorder is None:
            return 0
        states = self.recorder.camera_states()
        with self.engine.connect() as conn:
            rows = conn.execute(select(cameras.c.id, cameras.c.commune_id)).all()
        commune_of = {r.id: r.commune_id for r in rows}
        count = 0
        for camera_id, state in sorted(states.items()):
            commune = commune_of.get(camera_id)
            status = state.status.value
            if commune is None or self._camera_sent.get(camera_id) == status:
                continue
            payload = {
                "camera": camera_id,
                "status": status,
                "reason": state.reason.value if state.reason is not None else None,
                "since": from_ms(state.since_ms).isoformat() if state.since_ms else None,
            }
            self.link.publish(self.camera_topic(commune, camera_id), payload, retain=True)
            self._camera_sent[camera_id] = status
            count += 1
        return count

    def tick(self) -> None:
        if not self.link.connected.is_set():
            return
        if self.incidents_on:
            self.publish_incidents()
        now = self.clock.monotonic()
        if now - self._camera_last >= CAMERA_EVERY_S:
            self._camera_last = now
            self.publish_cameras()

    def start(self) -> None:
        self.loop.start()

    def stop(self) -> None:
        self.loop.stop(10)

    def _round(self) -> None:
        try:
            self.tick()
        except ChannelError as exc:  # the broker is away: said briefly, tried again
            log.warning("mqtt feed: %s (will retry)", exc)
