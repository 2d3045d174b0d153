"""The `notifications:` section of the site file, and the service `beffroi run` starts
from it: alarm -> mail to the person on call and the incident on MQTT."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from beffroi.clock import FakeClock
from beffroi.incidents.service import IncidentService
from beffroi.journal.service import Journal
from beffroi.oncall.runtime import OnCallRuntime
from beffroi.oncall.store import ContactIn, write_contacts
from beffroi.site.problems import SiteError
from tests.alarms.site import SITE, load
from tests.incidents.conftest import alarm
from tests.oncall.peers import Mailbox, Subscriber
from tests.oncall.rota import write


def notifications(smtp_port: int, broker: int) -> str:
    return (
        SITE
        + f"""\
notifications:
  public_url: https://csu.example.fr/
  link_minutes: 30
  smtp: {{host: 127.0.0.1, port: {smtp_port}, sender: "Beffroi <csu@example.fr>", starttls: false}}
  ntfy: {{url: "https://ntfy.example.fr"}}
  mqtt: {{broker: "mqtt://127.0.0.1:{broker}", topic_prefix: ville/csu}}
"""
    )


def test_the_section_is_read_and_checked() -> None:
    site = load(notifications(2525, 1883))
    n = site.notifications
    assert n.public_url == "https://csu.example.fr" and n.link_minutes == 30
    assert n.smtp is not None and n.smtp.port == 2525 and not n.smtp.starttls
    assert n.mqtt is not None and n.mqtt.topic_prefix == "ville/csu"
    assert load(SITE).notifications.smtp is None  # absent: no channel
    for bad, words in [
        ("  mqtt: {broker: 'http://x'}\n", "not a broker address"),
        ("  mqtt: {broker: 'mqtt://x', topic_prefix: 'a/#'}\n", "not a topic prefix"),
        ("  smtp: {host: x, sender: y, port: 0}\n", "too small"),
        ("  smtp: {host: x, sender: y, pasword_env: P}\n", "unknown key 'pasword_env'"),
        ("  ntfy: {url: 'ntfy.sh'}\n", "not a web address"),
    ]:
        with pytest.raises(SiteError, match=words):
            load(SITE + "notifications:\n" + bad)


def test_runtime_notifies_and_publishes_from_the_site_file(
    engine: Engine,
    people: dict[str, int],
    smtp: tuple[int, Mailbox],
    broker: int,
    data_dir: Path,
) -> None:
    clock = FakeClock(datetime(2026, 11, 4, 22, 0, tzinfo=UTC))  # Alice's night
    journal = Journal.open(engine, clock, data_dir)
    write(engine)
    with engine.begin() as conn:
        write_contacts(conn, people["alice"], [ContactIn(channel="email", address="a@example.fr")])
    sub = Subscriber(broker, "ville/csu/#")
    runtime = OnCallRuntime.start(
        load(notifications(smtp[0], broker)), engine, clock, journal, data_dir
    )
    try:
        assert runtime.mqtt is not None and runtime.mqtt.connected.wait(10)
        started = time.monotonic()
        incident = IncidentService(engine, clock, journal).alarm_received(
            alarm(engine, clock.now())
        )
        # The runtime's loops wait on the clock: move it a second at a time. A generous
        # deadline: how fast is bench/alarms.py's matter, not this test's.
        while not smtp[1].messages and time.monotonic() - started < 30:
            clock.advance(1)
            time.sleep(0.01)
        # The feed publishes the incident as it is at each poll: it may open already
        # notified (the escalation was faster), and ends notified either way.
        topic = f"ville/csu/joue-les-tours/incidents/{incident}"
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            states = [p["state"] for p in sub.wait_for(topic)]
            if states[-1] == "notified":
                break
            clock.advance(1)
            time.sleep(0.05)
    finally:
        runtime.stop()
        sub.close()
    assert smtp[1].messages, "the runtime's escalation never mailed the on-call agent"
    body = smtp[1].messages[0].get_body(("plain",)).get_content()
    assert "https://csu.example.fr/incidents/" in body and "?link=" in body
    assert states[-1] == "notified" and set(states) <= {"new", "notified"}
