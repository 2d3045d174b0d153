"""The MQTT receiver against a real Mosquitto broker, on a real database (both
backends): topic patterns and payload mappings, junk that never stops it, duplicates,
and a broker restart it survives. Messages are published by a plain paho client."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine, select

from beffroi.alarms.deliveries import PlainAlarmError
from beffroi.alarms.inputs import AlarmInputs
from beffroi.alarms.mqtt import MqttReceiver, read_alarm, subscription
from beffroi.alarms.tables import alarm_messages
from beffroi.clock import SystemClock
from beffroi.incidents.queries import IncidentOut, list_incidents
from beffroi.incidents.service import IncidentService
from beffroi.journal.service import Journal
from beffroi.site.models import MqttAlarmTopic
from tests.alarms.broker import Broker
from tests.alarms.site import SITE, seed

MQTT = """\
  mqtt:
    broker: "mqtt://127.0.0.1:{port}"
    client_id: beffroi-test-{port}
    topics:
      - {{topic: "alarmes/{{building}}/{{zone}}"}}
      - {{topic: "ha/gymnase/hall", building: gymnase-jean-bigot, zone: 1,
          payloads: {{"ON": BA, "OFF": BR}}}}
      - {{topic: "gtb/#", event: intrusion}}
"""


def rule(**kw: Any) -> MqttAlarmTopic:
    return MqttAlarmTopic.model_validate(kw)


def test_topic_patterns_and_payload_mapping() -> None:
    pattern = rule(topic="alarmes/{building}/{zone}")
    assert subscription(pattern.topic) == "alarmes/+/+"
    a = read_alarm(pattern, "alarmes/gymnase-jean-bigot/2", b"FA")
    assert (a.building, a.event.zone, a.event.code, a.event.kind) == (
        "gymnase-jean-bigot",
        2,
        "FA",
        "fire",
    )
    # JSON overrides the topic but for the building, which it may only repeat; unknown
    # keys (devices send many) are ignored.
    j = read_alarm(
        pattern,
        "alarmes/mairie-chambray/9",
        json.dumps(
            {"building": "mairie-chambray", "zone": 1, "event": "panic", "id": 7, "battery": 80}
        ).encode(),
    )
    assert (j.building, j.event.zone, j.event.code, j.event.kind, j.key) == (
        "mairie-chambray",
        1,
        "PA",
        "panic",
        "7",
    )
    # A device allowed on one building's topic cannot raise another's alarm.
    with pytest.raises(PlainAlarmError, match="names building 'mairie-chambray'"):
        read_alarm(pattern, "alarmes/gymnase-jean-bigot/1", b'{"building": "mairie-chambray"}')
    fixed_building = rule(topic="capteurs/hall", building="gymnase-jean-bigot", event="BA")
    with pytest.raises(PlainAlarmError, match="the topic 'gymnase-jean-bigot'"):
        read_alarm(fixed_building, "capteurs/hall", b'{"building": "mairie-chambray"}')
    free = rule(topic="centrale/#", event="BA")  # no building in the topic: the payload's
    assert read_alarm(free, "centrale/1", b'{"building": "mairie-chambray"}').building == (
        "mairie-chambray"
    )
    ha = rule(topic="ha/hall", building="b", zone=3, payloads={"ON": "BA", "OFF": "BR"})
    assert read_alarm(ha, "ha/hall", b"ON").event.kind == "intrusion"
    assert read_alarm(ha, "ha/hall", b"OFF").event.kind is None  # a restore: no incident
    fixed = rule(topic="gtb/#", event="intrusion", building="b")
    long_text = b"capteur 12 declenche a 03:12 sur la facade nord du batiment"
    assert read_alarm(fixed, "gtb/a/b", long_text).event.code == "BA"
    for bad_rule, payload, field in [
        (pattern, b"\xff\xfe", "payload"),
        (pattern, b"NOPE", "event"),
        (pattern, b"NOPE-NOT-AN-EVENT-AT-ALL", "payload"),
        (pattern, b'{"event": "BA", "zone": "hall"}', "zone"),
        (pattern, b'{"event": "BA", "time": "hier"}', "time"),
        (rule(topic="x/+"), b"BA", "building"),
        (ha, b"", "payload"),
    ]:
        with pytest.raises(PlainAlarmError) as caught:
            read_alarm(bad_rule, "alarmes/gymnase-jean-bigot/1", payload)
        assert caught.value.field == field, payload


@dataclass
class Running:
    receiver: MqttReceiver
    broker: Broker
    engine: Engine

    def incidents(self) -> list[IncidentOut]:
        return list_incidents(self.engine, None)

    def messages(self) -> list[dict[str, Any]]:
        assert self.receiver.message_log.wait_idle(20)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(alarm_messages)
                .where(alarm_messages.c.receiver == "mqtt")
                .order_by(alarm_messages.c.id)
            )
            return [dict(r._mapping) for r in rows]

    def publish(self, topic: str, payload: bytes | str) -> None:
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"panel-{time.monotonic()}")
        client.connect("127.0.0.1", self.broker.port)
        client.loop_start()
        try:
            client.publish(topic, payload, qos=1).wait_for_publish(5)
        finally:
            client.disconnect()
            client.loop_stop()


def wait(until: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = until()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture
def running(engine: Engine, data_dir: Path, tmp_path: Path) -> Iterator[Running]:
    broker = Broker(tmp_path).start()
    clock = SystemClock()
    site = seed(engine, clock, SITE + MQTT.format(port=broker.port))
    journal = Journal.open(engine, clock, data_dir)
    service = IncidentService(engine, clock, journal, group_seconds=60)
    inputs = AlarmInputs.start(site, engine, clock, journal, service.alarm_received)
    assert inputs.mqtt is not None and inputs.webhook is None
    assert inputs.mqtt.connected.wait(10), "not subscribed"
    yield Running(inputs.mqtt, broker, engine)
    inputs.stop()
    broker.stop()


def test_alarms_arrive_junk_is_logged_and_never_stops_the_receiver(running: Running) -> None:
    junk = [
        ("alarmes/gymnase-jean-bigot/1", b"\xff\x00\xfe"),
        ("alarmes/gymnase-jean-bigot/1", b"B\x00A"),
        ("alarmes/nulle-part/1", b"BA"),
        ("alarmes/gymnase-jean-bigot/1", b'{"event": "BA", "zone": -4}'),
        ("alarmes/gymnase-jean-bigot/1", b"X" * 20_000),
        ("ha/gymnase/hall", b"MAYBE"),
    ]
    for topic, payload in junk:
        running.publish(topic, payload)
    running.publish("alarmes/gymnase-jean-bigot/2", json.dumps({"event": "BA", "id": "a1"}))
    running.publish("alarmes/gymnase-jean-bigot/2", json.dumps({"event": "BA", "id": "a1"}))
    running.publish("ha/gymnase/hall", "ON")
    running.publish("alarmes/mairie-chambray/1", "fire")
    incidents = wait(lambda: len(running.incidents()) == 2 and running.incidents())
    by_building = {i.building: i for i in incidents}
    assert sorted(by_building["gymnase-jean-bigot"].cameras) == ["jlt-003", "jlt-004"]
    assert by_building["mairie-chambray"].kind == "fire"
    wait(lambda: sum(running.receiver.counts.values()) == 10)
    rows = running.messages()
    outcomes = [(m["outcome"], m["reason"]) for m in rows]
    assert outcomes.count(("accepted", None)) == 3
    assert outcomes.count(("duplicate", None)) == 1  # the same id again: no second alarm
    refused = sorted(r for o, r in outcomes if o == "refused")
    assert refused == ["building", "event", "event", "format", "format", "format"]
    assert all(m["transport"] == "mqtt" and m["peer"] for m in rows)
    # Alarms of the gym joined one incident: the zone-2 alarm and the hall sensor (read
    # again: the first read may have come between the two).
    wait(lambda: {i.building: i.alarms for i in running.incidents()}["gymnase-jean-bigot"] == 2)


def test_the_receiver_comes_back_after_a_broker_restart(running: Running) -> None:
    running.publish("alarmes/gymnase-jean-bigot/1", "BA")
    wait(lambda: len(running.incidents()) == 1)
    running.broker.stop()
    wait(lambda: not running.receiver.connected.is_set())
    time.sleep(1.0)  # down for a while: paho keeps retrying
    running.broker.start()
    assert running.receiver.connected.wait(40), "did not reconnect and subscribe again"
    running.publish("alarmes/mairie-chambray/1", "BA")
    wait(lambda: len(running.incidents()) == 2, timeout=10)
    # The receiver counts an alarm once its incident is committed: wait for the count
    # too rather than read it in between (a race CI once lost).
    wait(lambda: running.receiver.counts["accepted"] == 2, timeout=5)
