"""Opening, grouping and the state machine, with the injectable clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from beffroi.alarms.events import PanelEvent
from beffroi.clock import FakeClock
from beffroi.incidents.queries import get_incident, list_incidents
from beffroi.incidents.service import Actor, IncidentService, UnknownIncidentError
from beffroi.incidents.states import (
    Action,
    Disposition,
    IllegalTransitionError,
    State,
    next_state,
)
from tests.incidents.conftest import alarm

AGENT = Actor(7, "agent")


def test_state_machine_allows_only_the_forward_steps() -> None:
    assert next_state(State.NEW, Action.NOTIFY) is State.NOTIFIED
    assert next_state(State.NEW, Action.ACKNOWLEDGE) is State.ACKNOWLEDGED
    assert next_state(State.NOTIFIED, Action.ACKNOWLEDGE) is State.ACKNOWLEDGED
    assert next_state(State.ACKNOWLEDGED, Action.CLOSE) is State.CLOSED
    for state, action in [
        (State.NEW, Action.CLOSE),
        (State.CLOSED, Action.ACKNOWLEDGE),
        (State.ACKNOWLEDGED, Action.NOTIFY),
        (State.CLOSED, Action.CLOSE),
    ]:
        with pytest.raises(IllegalTransitionError):
            next_state(state, action)


def test_alarms_within_the_window_group_and_the_window_slides(
    engine: Engine, clock: FakeClock, service: IncidentService
) -> None:
    first = service.alarm_received(alarm(engine, clock.now()))
    clock.advance(50)
    zone2 = PanelEvent("BA", 2, 1, "intrusion")
    assert (
        service.alarm_received(alarm(engine, clock.now(), "gymnase-jean-bigot", "4321", zone2))
        == first
    )
    clock.advance(50)  # 100 s after the first, 50 s after the last: still one storm
    assert service.alarm_received(alarm(engine, clock.now())) == first
    clock.advance(61)
    second = service.alarm_received(alarm(engine, clock.now()))
    assert second != first
    [newest, oldest] = list_incidents(engine, None)
    assert (newest.id, oldest.id) == (second, first)
    assert oldest.alarms == 3 and oldest.cameras == ["jlt-004", "jlt-003"]
    detail = get_incident(engine, None, first)
    assert detail is not None
    assert [h.action for h in detail.history] == ["opened", "alarm", "alarm"]
    assert [a.zone for a in detail.alarm_list] == [1, 2, 1]
    assert detail.procedure == ["Regarder les caméras", "Vérifier la porte"]


def test_listeners_hear_of_each_opening_once_and_cannot_refuse_an_alarm(
    engine: Engine, clock: FakeClock, service: IncidentService
) -> None:
    heard: list[int] = []

    def broken(_incident: int) -> None:
        raise RuntimeError("a listener's fault")

    service.on_opened += [heard.append, broken]
    first = service.alarm_received(alarm(engine, clock.now()))
    clock.advance(10)
    assert service.alarm_received(alarm(engine, clock.now())) == first  # joins: no news
    clock.advance(400)
    second = service.alarm_received(alarm(engine, clock.now()))
    assert heard == [first, second] and second != first


def test_restores_tests_and_openings_open_nothing(
    engine: Engine, clock: FakeClock, service: IncidentService
) -> None:
    quiet = (PanelEvent("BR", 1, 1, None), PanelEvent("OP", 1, 1, None))
    assert (
        service.alarm_received(alarm(engine, clock.now(), "gymnase-jean-bigot", "4321", *quiet))
        is None
    )
    assert list_incidents(engine, None) == []


def test_unknown_zone_shows_every_camera_of_the_building(
    engine: Engine, clock: FakeClock, service: IncidentService
) -> None:
    odd = PanelEvent("BA", 9, 1, "intrusion")
    service.alarm_received(alarm(engine, clock.now(), "gymnase-jean-bigot", "4321", odd))
    [incident] = list_incidents(engine, None)
    assert (incident.zone, incident.zone_name) == (9, None)
    assert incident.cameras == ["jlt-004", "jlt-003"]


def test_states_dispositions_and_their_authors(
    engine: Engine, clock: FakeClock, service: IncidentService
) -> None:
    incident = service.alarm_received(alarm(engine, clock.now()))
    assert incident is not None
    with pytest.raises(IllegalTransitionError):
        service.close(incident, AGENT, Disposition.FALSE_ALARM)  # nobody took it yet
    service.notify(incident, {"channel": "test"})
    clock.advance(30)
    service.acknowledge(incident, AGENT)
    with pytest.raises(IllegalTransitionError) as twice:
        service.acknowledge(incident, Actor(8, "other"))
    assert "acknowledged" in str(twice.value)
    police = clock.now() + timedelta(minutes=2)
    clock.advance(600)
    service.close(incident, AGENT, Disposition.CONFIRMED_INTRUSION, "vitre brisée", police)
    detail = get_incident(engine, None, incident)
    assert detail is not None
    assert (detail.state, detail.disposition, detail.notes) == (
        "closed",
        "confirmed_intrusion",
        "vitre brisée",
    )
    assert detail.police_called_at == police and detail.acknowledged_by == "agent"
    steps = [(h.action, h.by) for h in detail.history]
    assert steps == [
        ("opened", "system"),
        ("notified", "system"),
        ("acknowledged", "agent"),
        ("closed", "agent"),
    ]
    assert detail.history[2].at < detail.history[3].at
    # A closed incident no longer gathers alarms: the next one opens anew.
    assert service.alarm_received(alarm(engine, clock.now())) != incident
    with pytest.raises(UnknownIncidentError):
        service.acknowledge(99999, AGENT)


def test_scope_hides_other_communes(
    engine: Engine, clock: FakeClock, service: IncidentService
) -> None:
    mine = service.alarm_received(alarm(engine, clock.now()))
    theirs = service.alarm_received(alarm(engine, clock.now(), "mairie-chambray", "5101"))
    joue = frozenset({"joue-les-tours"})
    assert [i.id for i in list_incidents(engine, joue)] == [mine]
    assert theirs is not None and get_incident(engine, joue, theirs) is None
    assert {i.commune for i in list_incidents(engine, None)} == {"joue-les-tours", "chambray"}
