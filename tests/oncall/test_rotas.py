"""Who is on call at an instant: weekly pattern, overrides, DST nights, fallbacks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, update

from beffroi.access.tables import users
from beffroi.clock import PARIS
from beffroi.oncall.rotas import OnCall, shift_covers, who_is_on_call
from tests.oncall.rota import ROTA, write


def on_call(engine: Engine, at: datetime, commune: str = "joue-les-tours") -> OnCall:
    with engine.connect() as conn:
        return who_is_on_call(conn, commune, at)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


def names(call: OnCall) -> list[str]:
    return [p.username for p in call.chain]


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (paris(2026, 11, 4, 10, 0), "bruno"),  # Wednesday morning
        (paris(2026, 11, 4, 17, 59), "bruno"),
        (paris(2026, 11, 4, 18, 0), None),  # end excluded; evening gap
        (paris(2026, 11, 4, 23, 30), "alice"),  # Wednesday night
        (paris(2026, 11, 5, 5, 59), "alice"),  # ...until Thursday 06:00
        (paris(2026, 11, 5, 6, 0), None),
        (paris(2026, 11, 7, 10, 0), None),  # Saturday: nobody in the day
        (paris(2026, 11, 8, 2, 0), "alice"),  # Saturday night runs into Sunday
    ],
)
def test_weekly_pattern(engine: Engine, people: dict[str, int], at: datetime, expected) -> None:
    write(engine)
    call = on_call(engine, at)
    assert call.rota_id == "astreinte-jlt"
    assert (call.on_call.username if call.on_call else None) == expected


def test_the_chain_is_on_call_then_fallbacks_then_supervisors(
    engine: Engine, people: dict[str, int]
) -> None:
    write(engine)
    night = on_call(engine, paris(2026, 11, 4, 23, 0))
    assert names(night) == ["alice", "bruno", "chef"]
    assert night.escalate_minutes == 5
    # Bruno on call and fallback: called once, at his first place.
    assert names(on_call(engine, paris(2026, 11, 4, 10, 0))) == ["bruno", "chef"]
    # Nobody on call: the fallback first, then the supervisor; not another commune's.
    gap = on_call(engine, paris(2026, 11, 7, 10, 0))
    assert gap.on_call is None and names(gap) == ["bruno", "chef"]


def test_a_commune_without_rota_reaches_its_supervisors(
    engine: Engine, people: dict[str, int]
) -> None:
    write(engine)
    call = on_call(engine, paris(2026, 11, 4, 23, 0), "chambray")
    assert call.rota_id is None and names(call) == ["chef-cha"]


def test_an_override_wins_over_the_pattern(engine: Engine, people: dict[str, int]) -> None:
    body = dict(ROTA)
    # Local times (no zone): Alice covers Bruno's Wednesday morning.
    body["overrides"] = [{"start": "2026-11-04T09:00", "end": "2026-11-04T12:00", "user": "alice"}]
    write(engine, body)
    assert on_call(engine, paris(2026, 11, 4, 10, 0)).on_call.username == "alice"  # type: ignore[union-attr]
    assert on_call(engine, paris(2026, 11, 4, 12, 0)).on_call.username == "bruno"  # type: ignore[union-attr]
    assert on_call(engine, paris(2026, 11, 4, 8, 59)).on_call.username == "bruno"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        # 29 March 2026: 02:00 CET -> 03:00 CEST. 03:30Z is 05:30 local: still the night.
        (datetime(2026, 3, 29, 3, 30, tzinfo=UTC), "alice"),
        # 04:30Z is 06:30 local: Bruno's Sunday (a fixed UTC+1 would say 05:30: Alice).
        (datetime(2026, 3, 29, 4, 30, tzinfo=UTC), "bruno"),
        # 25 October 2026: 03:00 CEST -> 02:00 CET. 04:30Z is 05:30 local: Alice.
        (datetime(2026, 10, 25, 4, 30, tzinfo=UTC), "alice"),
        # 05:30Z is 06:30 local: Bruno (a fixed UTC+2 would say 07:30, right by luck;
        # the instant one hour before, 04:30Z, is the one a fixed offset gets wrong).
        (datetime(2026, 10, 25, 5, 30, tzinfo=UTC), "bruno"),
        # The repeated hour: 00:30Z and 01:30Z are both 02:30 local, both in the night.
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "alice"),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "alice"),
    ],
)
def test_shifts_follow_the_town_s_clock_across_dst(
    engine: Engine, people: dict[str, int], utc: datetime, expected: str
) -> None:
    write(engine)
    assert on_call(engine, utc).on_call.username == expected  # type: ignore[union-attr]


def test_a_disabled_agent_is_skipped(engine: Engine, people: dict[str, int]) -> None:
    write(engine)
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.username == "alice").values(disabled=True))
    call = on_call(engine, paris(2026, 11, 4, 23, 0))
    assert call.on_call is None and names(call) == ["bruno", "chef"]


def test_shift_covers_without_database() -> None:
    wed_23h = paris(2026, 11, 4, 23, 0)
    assert shift_covers(2, 22 * 60, 6 * 60, wed_23h)
    assert not shift_covers(1, 22 * 60, 6 * 60, wed_23h)
    assert shift_covers(1, 22 * 60, 6 * 60, paris(2026, 11, 4, 5, 0))  # Tuesday's night
    assert shift_covers(2, 0, 24 * 60, wed_23h)  # the whole day, 24:00 as end
    assert shift_covers(2, 8 * 60, 8 * 60, paris(2026, 11, 5, 7, 0))  # 24 h from 08:00
