"""Escalation in seconds with the FakeClock: alarm -> incident -> on-call person ->
next person -> supervisor; acknowledgement stops it; a dead relay falls through."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from beffroi.clock import FakeClock
from beffroi.incidents.queries import get_incident
from beffroi.incidents.service import Actor, IncidentService
from beffroi.journal.service import Journal
from beffroi.journal.tables import journal_entries
from beffroi.oncall.channels.ntfy import NtfyChannel
from beffroi.oncall.channels.smtp import SmtpChannel
from beffroi.oncall.escalation import Escalation
from beffroi.oncall.links import IncidentLinks, load_or_create_secret
from beffroi.oncall.notify import Notifier
from beffroi.oncall.store import ContactIn, write_contacts
from beffroi.oncall.tables import escalations, notification_attempts
from beffroi.site.models import NtfySettings, SmtpSettings
from tests.incidents.conftest import alarm
from tests.ingest.harness import wait_for
from tests.oncall.peers import HttpPeer, Mailbox, free_port
from tests.oncall.rota import write

WEDNESDAY_NIGHT = datetime(2026, 11, 4, 22, 0, tzinfo=UTC)  # 23:00 in Paris: Alice


def contacts(engine: Engine, ids: dict[str, int], **by_user: list[tuple[str, str]]) -> None:
    with engine.begin() as conn:
        for name, entries in by_user.items():
            write_contacts(conn, ids[name], [ContactIn(channel=c, address=a) for c, a in entries])


def attempts(engine: Engine, incident: int) -> list[tuple[str, int | None, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(notification_attempts)
            .where(notification_attempts.c.incident_id == incident)
            .order_by(notification_attempts.c.id)
        ).all()
    return [(r.username, r.step, r.channel, r.outcome) for r in rows]


def state(engine: Engine, incident: int) -> str:
    found = get_incident(engine, None, incident)
    assert found is not None
    return found.state


@pytest.fixture
def night(clock: FakeClock) -> FakeClock:
    clock.advance(WEDNESDAY_NIGHT - clock.now())
    return clock


def make(
    engine: Engine,
    clock: FakeClock,
    smtp_port: int,
    ntfy_url: str,
    journal: Journal,
    data_dir: Path,
) -> Escalation:
    channels = {
        "email": SmtpChannel(
            SmtpSettings(
                host="127.0.0.1",
                port=smtp_port,
                sender="csu@example.fr",
                starttls=False,
                timeout_seconds=2,
            )
        ),
        "ntfy": NtfyChannel(NtfySettings(url=ntfy_url)),
    }
    links = IncidentLinks(load_or_create_secret(data_dir), "https://csu.example.fr")
    return Escalation(engine, clock, Notifier(engine, clock, channels, journal), links, journal)


def test_unanswered_alarm_climbs_the_rota_to_the_supervisor(
    engine: Engine,
    night: FakeClock,
    people: dict[str, int],
    smtp: tuple[int, Mailbox],
    http_peer: HttpPeer,
    journal: Journal,
    data_dir: Path,
) -> None:
    write(engine)  # escalate after 5 minutes
    contacts(
        engine,
        people,
        alice=[("email", "alice@example.fr")],
        bruno=[("email", "bruno@example.fr")],
        chef=[("ntfy", "chef-jlt")],
    )
    escalation = make(engine, night, smtp[0], http_peer.url, journal, data_dir)
    incident = IncidentService(engine, night, journal).alarm_received(alarm(engine, night.now()))
    assert incident is not None and state(engine, incident) == "new"

    assert escalation.tick() == 1
    assert state(engine, incident) == "notified"
    assert attempts(engine, incident) == [("alice", 0, "email", "sent")]
    assert [m["To"] for m in smtp[1].messages] == ["alice@example.fr"]

    night.advance(timedelta(minutes=4, seconds=59))
    assert escalation.tick() == 0  # not yet
    night.advance(timedelta(seconds=1))
    assert escalation.tick() == 1
    assert [m["To"] for m in smtp[1].messages] == ["alice@example.fr", "bruno@example.fr"]
    assert "Relance n° 1" in smtp[1].messages[1].get_body(("plain",)).get_content()

    night.advance(timedelta(minutes=5))
    assert escalation.tick() == 1
    (push,) = http_peer.requests
    assert b'"topic": "chef-jlt"' in push.body and b'"priority": 5' in push.body

    night.advance(timedelta(minutes=5))
    assert escalation.tick() == 0
    assert attempts(engine, incident) == [
        ("alice", 0, "email", "sent"),
        ("bruno", 1, "email", "sent"),
        ("chef", 2, "ntfy", "sent"),
    ]
    with engine.connect() as conn:
        esc = conn.execute(select(escalations)).one()
        actions = conn.scalars(
            select(journal_entries.c.action).order_by(journal_entries.c.seq)
        ).all()
    assert esc.outcome == "exhausted" and esc.next_ms is None
    assert actions.count("oncall.notify") == 3 and "oncall.exhausted" in actions
    history = get_incident(engine, None, incident).history  # type: ignore[union-attr]
    assert [h.action for h in history] == ["opened", "notified"]
    assert history[1].detail == {"to": "alice", "channel": "email", "step": 0}


def test_acknowledgement_stops_the_escalation(
    engine: Engine,
    night: FakeClock,
    people: dict[str, int],
    smtp: tuple[int, Mailbox],
    http_peer: HttpPeer,
    journal: Journal,
    data_dir: Path,
) -> None:
    write(engine)
    contacts(
        engine, people, alice=[("email", "alice@example.fr")], bruno=[("email", "bruno@example.fr")]
    )
    escalation = make(engine, night, smtp[0], http_peer.url, journal, data_dir)
    service = IncidentService(engine, night, journal)
    incident = service.alarm_received(alarm(engine, night.now()))
    assert incident is not None
    escalation.tick()
    night.advance(timedelta(minutes=2))
    service.acknowledge(incident, Actor(people["alice"], "alice"))
    night.advance(timedelta(minutes=30))
    assert escalation.tick() == 0
    assert attempts(engine, incident) == [("alice", 0, "email", "sent")]
    with engine.connect() as conn:
        assert conn.execute(select(escalations.c.outcome)).scalar_one() == "acknowledged"
    # An incident acknowledged at the screen before anyone was called is never sent.
    night.advance(timedelta(hours=1))
    other = service.alarm_received(alarm(engine, night.now()))
    assert other is not None and other != incident
    service.acknowledge(other, Actor(people["chef"], "chef"))
    escalation.tick()
    assert attempts(engine, other) == [] and len(smtp[1].messages) == 1


def test_a_dead_relay_falls_through_to_the_next_channel_then_person(
    engine: Engine,
    night: FakeClock,
    people: dict[str, int],
    http_peer: HttpPeer,
    journal: Journal,
    data_dir: Path,
) -> None:
    write(engine)
    contacts(
        engine,
        people,
        alice=[("email", "alice@example.fr"), ("ntfy", "alice-jlt")],
        bruno=[("email", "bruno@example.fr")],
        chef=[("ntfy", "chef-jlt")],
    )
    escalation = make(engine, night, free_port(), http_peer.url, journal, data_dir)  # SMTP down
    incident = IncidentService(engine, night, journal).alarm_received(alarm(engine, night.now()))
    assert incident is not None
    escalation.tick()
    assert state(engine, incident) == "notified"
    night.advance(timedelta(minutes=5))
    escalation.tick()  # Bruno's only channel is down: the supervisor at once
    assert attempts(engine, incident) == [
        ("alice", 0, "email", "failed"),
        ("alice", 0, "ntfy", "sent"),
        ("bruno", 1, "email", "failed"),
        ("chef", 2, "ntfy", "sent"),
    ]
    with engine.connect() as conn:
        error = conn.scalar(select(notification_attempts.c.error).limit(1))
    assert error and error.startswith("SMTP 127.0.0.1")
    assert [r.path for r in http_peer.requests] == ["/", "/"]


def test_an_alarm_storm_is_one_notification(
    engine: Engine,
    night: FakeClock,
    people: dict[str, int],
    smtp: tuple[int, Mailbox],
    http_peer: HttpPeer,
    journal: Journal,
    data_dir: Path,
) -> None:
    write(engine)
    contacts(engine, people, alice=[("email", "alice@example.fr")])
    escalation = make(engine, night, smtp[0], http_peer.url, journal, data_dir)
    service = IncidentService(engine, night, journal, group_seconds=60)
    opened = {service.alarm_received(alarm(engine, night.now())) for _ in range(20)}
    escalation.tick()
    night.advance(1)
    for _ in range(20):
        service.alarm_received(alarm(engine, night.now()))
    escalation.tick()
    assert len(opened) == 1 and len(smtp[1].messages) == 1


def test_the_running_loop_takes_new_incidents_up(
    engine: Engine,
    people: dict[str, int],
    smtp: tuple[int, Mailbox],
    http_peer: HttpPeer,
    journal: Journal,
    data_dir: Path,
) -> None:
    """The running loop (not `tick` by hand) takes a new incident up at its next pass in
    clock time; its speed is bench/alarms.py's, not this test's."""
    clock = FakeClock(WEDNESDAY_NIGHT)
    write(engine)
    contacts(engine, people, alice=[("email", "alice@example.fr")])
    escalation = make(engine, clock, smtp[0], http_peer.url, journal, data_dir)
    escalation.start()
    try:
        assert escalation.loop.wait_rounds(1)
        service = IncidentService(engine, clock, journal)
        assert service.alarm_received(alarm(engine, clock.now())) is not None
        clock.advance(escalation.poll_seconds)  # the next pass, in clock time
        wait_for(lambda: len(smtp[1].messages) == 1, 30, "the mail of the next pass")
    finally:
        escalation.stop()
    assert not escalation.loop.running
