"""Incidents and camera status published on a real Mosquitto broker."""

from __future__ import annotations

from sqlalchemy import Engine

from beffroi.clock import FakeClock, utc_ms
from beffroi.incidents.service import Actor, IncidentService
from beffroi.ingest.state import CameraState, Reason, Status
from beffroi.oncall.channels.mqtt import MqttLink
from beffroi.oncall.publish import MqttFeed
from beffroi.site.models import MqttSettings
from tests.incidents.conftest import alarm
from tests.oncall.peers import Subscriber
from tests.web.conftest import FakeRecorder


def test_incidents_and_camera_status_reach_a_subscriber(
    engine: Engine, clock: FakeClock, people: dict[str, int], broker: int
) -> None:
    sub = Subscriber(broker, "beffroi/#")
    link = MqttLink(MqttSettings(broker=f"mqtt://127.0.0.1:{broker}")).start()
    assert link.connected.wait(10)
    recorder = FakeRecorder(
        {"jlt-004": CameraState("jlt-004", Status.RECORDING, since_ms=utc_ms(clock.now()))}
    )
    feed = MqttFeed(engine, clock, link, recorder)
    try:
        assert sub.wait_for("beffroi/status") == ["online"]
        service = IncidentService(engine, clock)
        incident = service.alarm_received(alarm(engine, clock.now()))
        assert feed.publish_incidents() == 1
        assert feed.publish_incidents() == 0  # nothing changed: nothing re-sent
        clock.advance(30)
        service.acknowledge(incident, Actor(people["alice"], "alice"))  # type: ignore[arg-type]
        assert feed.publish_incidents() == 1
        topic = f"beffroi/joue-les-tours/incidents/{incident}"
        first, second = sub.wait_for(topic, 2)
        assert first["state"] == "new" and second["state"] == "acknowledged"
        assert first["building"] == "gymnase-jean-bigot" and first["zone"] == 1
        assert first["cameras"] == ["jlt-004"] and first["opened_at"].startswith("2026-11-01T08")

        assert feed.publish_cameras() == 1
        status_topic = "beffroi/joue-les-tours/cameras/jlt-004/status"
        (recording,) = sub.wait_for(status_topic)
        assert recording["status"] == "recording"
        recorder.states["jlt-004"] = CameraState(
            "jlt-004", Status.OFFLINE, Reason.UNREACHABLE, since_ms=utc_ms(clock.now())
        )
        assert feed.publish_cameras() == 1 and feed.publish_cameras() == 0
        assert sub.wait_for(status_topic, 2)[1]["reason"] == "unreachable"
        # Retained: a subscriber arriving later learns the camera's state at once.
        late = Subscriber(broker, "beffroi/+/cameras/#")
        try:
            (last,) = late.wait_for(status_topic)
            assert last["status"] == "offline"
            assert late.messages[0][2] is True  # the retain flag
        finally:
            late.close()
    finally:
        link.stop()
        sub.close()
    # The broker's copy of `status` says Beffroi went away.
    after = Subscriber(broker, "beffroi/status")
    try:
        assert after.wait_for("beffroi/status") == ["offline"]
    finally:
        after.close()
