"""Who is on call for a commune at an instant, and who comes after them.

The chain of people an incident escalates through is: the person on call (a dated
override wins over the weekly pattern), then the rota's fallback list in order, then the
supervisors of the commune, last. Nobody on call (a gap in the pattern, or no rota at
all) is not an error: the chain simply starts with the fallbacks, or the supervisors.

Weekly shifts are matched on the instant converted to Europe/Paris, so a shift written
"22:00 to 06:00" covers 22:00 to 06:00 on the town's clocks, including the night the
clocks change (that night the shift lasts 7 or 9 hours, as the agent lives it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from beffroi.access.permissions import Role
from beffroi.access.tables import user_communes, users
from beffroi.clock import PARIS, utc_ms
from beffroi.oncall.tables import (
    rota_communes,
    rota_fallbacks,
    rota_overrides,
    rota_shifts,
    rotas,
)

DEFAULT_ESCALATE_MINUTES = 10
DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class Person:
    user_id: int
    username: str
    full_name: str | None


@dataclass(frozen=True)
class OnCall:
    rota_id: str | None  # None: the commune has no rota (supervisors only)
    escalate_minutes: int
    on_call: Person | None  # whom the rota names at that instant
    chain: tuple[Person, ...]  # everyone to try, in order, without repeats


def shift_covers(weekday: int, start_minute: int, end_minute: int, local: datetime) -> bool:
    """True when a weekly shift covers `local` (a Europe/Paris wall-clock time). A shift
    whose end is at or before its start runs past midnight into the next day."""
    minute = local.hour * 60 + local.minute
    day = local.weekday()
    if start_minute < end_minute:
        return day == weekday and start_minute <= minute < end_minute
    return (day == weekday and minute >= start_minute) or (
        day == (weekday + 1) % 7 and minute < end_minute
    )


def rota_of(conn: Connection, commune_id: str) -> str | None:
    return conn.scalar(
        select(rota_communes.c.rota_id).where(rota_communes.c.commune_id == commune_id)
    )


def person(conn: Connection, user_id: int) -> Person | None:
    row = conn.execute(
        select(users.c.id, users.c.username, users.c.full_name).where(
            users.c.id == user_id, users.c.disabled.is_(False)
        )
    ).first()
    return Person(row.id, row.username, row.full_name) if row is not None else None


def on_duty(conn: Connection, rota_id: str, at: datetime) -> Person | None:
    """The person a rota names at `at`: an override covering it, else a weekly shift."""
    at_ms = utc_ms(at)
    override = conn.execute(
        select(rota_overrides.c.user_id)
        .where(
            rota_overrides.c.rota_id == rota_id,
            rota_overrides.c.start_ms <= at_ms,
            rota_overrides.c.end_ms > at_ms,
        )
        # The latest-written override wins when two overlap: it is the newest decision.
        .order_by(rota_overrides.c.id.desc())
    ).first()
    if override is not None and (named := person(conn, override.user_id)) is not None:
        return named
    local = at.astimezone(PARIS)
    shifts = conn.execute(
        select(rota_shifts).where(rota_shifts.c.rota_id == rota_id).order_by(rota_shifts.c.position)
    ).all()
    for shift in shifts:
        if shift_covers(shift.weekday, shift.start_minute, shift.end_minute, local):
            named = person(conn, shift.user_id)
            if named is not None:
                return named
    return None


def supervisors_of(conn: Connection, commune_id: str) -> list[Person]:
    rows = conn.execute(
        select(users.c.id, users.c.username, users.c.full_name)
        .join(user_communes, user_communes.c.user_id == users.c.id)
        .where(
            user_communes.c.commune_id == commune_id,
            users.c.role == Role.SUPERVISOR.value,
            users.c.disabled.is_(False),
        )
        .order_by(users.c.username)
    ).all()
    return [Person(r.id, r.username, r.full_name) for r in rows]


def who_is_on_call(conn: Connection, commune_id: str, at: datetime) -> OnCall:
    rota_id = rota_of(conn, commune_id)
    people: list[Person] = []
    current = None
    minutes = DEFAULT_ESCALATE_MINUTES
    if rota_id is not None:
        minutes = conn.scalar(select(rotas.c.escalate_minutes).where(rotas.c.id == rota_id)) or (
            DEFAULT_ESCALATE_MINUTES
        )
        current = on_duty(conn, rota_id, at)
        if current is not None:
            people.append(current)
        fallback_ids = conn.scalars(
            select(rota_fallbacks.c.user_id)
            .where(rota_fallbacks.c.rota_id == rota_id)
            .order_by(rota_fallbacks.c.position)
        ).all()
        people += [p for uid in fallback_ids if (p := person(conn, uid)) is not None]
    people += supervisors_of(conn, commune_id)
    chain: dict[int, Person] = {}
    for one in people:
        chain.setdefault(one.user_id, one)  # each person keeps their first place
    return OnCall(rota_id, minutes, current, tuple(chain.values()))
