"""Rotas and contacts as the API reads and writes them, checked against the database.

A rota is written whole (PUT replaces it): its communes, weekly shifts, dated overrides
and fallback list. Checks that need the database raise `RotaError(field, message)`:
- every commune exists, is within the writer's communes, and is not covered by another
  rota (one answer to "who is on call here");
- every person exists, is enabled, may read incidents, and sees every commune of the
  rota: a person on call who gets 404 on the incident they are called for is worse
  than no one.
A rota is visible to a user only when all its communes are theirs (else 404).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field, NaiveDatetime, model_validator
from sqlalchemy import Connection, delete, insert, select

from beffroi.access.permissions import Permission, has_permission, sees_all_communes
from beffroi.access.tables import users
from beffroi.access.users import commune_scope
from beffroi.clock import PARIS, from_ms, utc_ms
from beffroi.oncall.tables import (
    rota_communes,
    rota_fallbacks,
    rota_overrides,
    rota_shifts,
    rotas,
    user_contacts,
)
from beffroi.site.tables import communes

SLUG = r"^[a-z0-9][a-z0-9-]*$"
HHMM = r"^(?:[01]\d|2[0-3]):[0-5]\d$"
END_HHMM = r"^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Username = Annotated[str, Field(min_length=1, max_length=100)]
Slug = Annotated[str, Field(min_length=1, max_length=64, pattern=SLUG)]


class RotaError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class Shift(BaseModel):
    days: list[Day] = Field(min_length=1, max_length=7, description="mon, tue, ... sun")
    start: str = Field(pattern=HHMM, description="Local time (Europe/Paris) it begins: 22:00")
    end: str = Field(
        pattern=END_HHMM,
        description="Local time it ends: 06:00; at or before start: the next morning",
    )
    user: Username = Field(description="User name of the agent on call")


class Override(BaseModel):
    start: AwareDatetime | NaiveDatetime = Field(
        description="Beginning; without a time zone it is read as Europe/Paris local time"
    )
    end: AwareDatetime | NaiveDatetime = Field(description="End (excluded), same rule")
    user: Username = Field(description="User name of the agent on call instead")
    note: str | None = Field(default=None, max_length=200, description="Why: swap, holiday")

    @model_validator(mode="after")
    def _ordered(self) -> Override:
        if utc_ms(local(self.end)) <= utc_ms(local(self.start)):
            raise ValueError("end must come after start")
        return self


class RotaIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="Astreinte Joué-lès-Tours")
    communes: list[Slug] = Field(min_length=1, max_length=50, description="Communes covered")
    escalate_minutes: int = Field(
        default=10, ge=1, le=240, description="Unacknowledged this long: next person"
    )
    shifts: list[Shift] = Field(default_factory=list, max_length=100, description="Weekly")
    overrides: list[Override] = Field(
        default_factory=list, max_length=200, description="Dated exceptions; they win"
    )
    fallbacks: list[Username] = Field(
        default_factory=list,
        max_length=20,
        description="Tried in order after the person on call; the supervisors come last",
    )


class OverrideOut(BaseModel):
    start: datetime = Field(description="Beginning (UTC)")
    end: datetime = Field(description="End, excluded (UTC)")
    user: str = Field(description="Agent on call")
    note: str | None = Field(description="Why")


class RotaOut(BaseModel):
    id: str = Field(description="Rota id")
    name: str = Field(description="Name")
    communes: list[str] = Field(description="Communes covered")
    escalate_minutes: int = Field(description="Minutes before the next person is called")
    shifts: list[Shift] = Field(description="Weekly pattern, Europe/Paris local times")
    overrides: list[OverrideOut] = Field(description="Dated exceptions")
    fallbacks: list[str] = Field(description="Fallback list, in order")
    updated_at: datetime = Field(description="Last change")
    updated_by: str | None = Field(description="Who made it")


class ContactIn(BaseModel):
    channel: Literal["email", "webhook", "ntfy", "mqtt"] = Field(description="How to reach")
    address: str = Field(
        min_length=1,
        max_length=500,
        description="Mailbox (email), https URL (webhook), topic (ntfy, mqtt)",
    )

    @model_validator(mode="after")
    def _address_fits(self) -> ContactIn:
        patterns = {
            "email": r"^[^@\s<>\x00]+@[^@\s<>\x00]+\.[^@\s<>\x00]+$",
            "webhook": r"^https?://[^\s\x00]+$",
            "ntfy": r"^[A-Za-z0-9_-]{1,64}$",
            "mqtt": r"^[^+#\x00]{1,200}$",
        }
        if not re.match(patterns[self.channel], self.address):
            raise ValueError(f"'{self.address}' is not a {self.channel} address")
        return self


class ContactsIn(BaseModel):
    contacts: list[ContactIn] = Field(max_length=10, description="Tried in this order")


def local(value: datetime) -> datetime:
    """A naive datetime is Europe/Paris wall-clock time."""
    return value.replace(tzinfo=PARIS) if value.tzinfo is None else value


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def rota_communes_of(conn: Connection, rota_id: str) -> list[str]:
    return list(
        conn.scalars(
            select(rota_communes.c.commune_id)
            .where(rota_communes.c.rota_id == rota_id)
            .order_by(rota_communes.c.commune_id)
        )
    )


def visible(scope: frozenset[str] | None, covered: list[str]) -> bool:
    return scope is None or (bool(covered) and set(covered) <= scope)


def read_rota(conn: Connection, rota_id: str, scope: frozenset[str] | None) -> RotaOut | None:
    row = conn.execute(select(rotas).where(rotas.c.id == rota_id)).first()
    covered = rota_communes_of(conn, rota_id)
    if row is None or not visible(scope, covered):
        return None
    names = {r.id: r.username for r in conn.execute(select(users.c.id, users.c.username))}
    shifts: dict[int, Shift] = {}
    for s in conn.execute(
        select(rota_shifts)
        .where(rota_shifts.c.rota_id == rota_id)
        .order_by(rota_shifts.c.position, rota_shifts.c.weekday)
    ):
        if s.position in shifts:
            shifts[s.position].days.append(DAYS[s.weekday])  # type: ignore[arg-type]
            continue
        shifts[s.position] = Shift(
            days=[DAYS[s.weekday]],  # type: ignore[list-item]
            start=_hhmm(s.start_minute),
            end=_hhmm(s.end_minute),
            user=names.get(s.user_id, "?"),
        )
    overrides = [
        OverrideOut(
            start=from_ms(o.start_ms),
            end=from_ms(o.end_ms),
            user=names.get(o.user_id, "?"),
            note=o.note,
        )
        for o in conn.execute(
            select(rota_overrides)
            .where(rota_overrides.c.rota_id == rota_id)
            .order_by(rota_overrides.c.start_ms, rota_overrides.c.id)
        )
    ]
    fallbacks = [
        names.get(uid, "?")
        for uid in conn.scalars(
            select(rota_fallbacks.c.user_id)
            .where(rota_fallbacks.c.rota_id == rota_id)
            .order_by(rota_fallbacks.c.position)
        )
    ]
    return RotaOut(
        id=row.id,
        name=row.name,
        communes=covered,
        escalate_minutes=row.escalate_minutes,
        shifts=list(shifts.values()),
        overrides=overrides,
        fallbacks=fallbacks,
        updated_at=from_ms(row.updated_ms),
        updated_by=row.updated_by,
    )


def list_rotas(conn: Connection, scope: frozenset[str] | None) -> list[RotaOut]:
    found = (
        read_rota(conn, rid, scope) for rid in conn.scalars(select(rotas.c.id).order_by(rotas.c.id))
    )
    return [r for r in found if r is not None]


def _on_call_user(conn: Connection, username: str, covered: list[str], field: str) -> int:
    row = conn.execute(
        select(users.c.id, users.c.role, users.c.disabled).where(users.c.username == username)
    ).first()
    if row is None or row.disabled:
        raise RotaError(field, f"unknown or disabled user '{username}'")
    if not has_permission(row.role, Permission.INCIDENT_READ):
        raise RotaError(field, f"'{username}' ({row.role}) may not read incidents")
    if not sees_all_communes(row.role):
        missing = set(covered) - commune_scope(conn, row.id)
        if missing:
            raise RotaError(field, f"'{username}' does not see {', '.join(sorted(missing))}")
    return int(row.id)


def check_communes(
    conn: Connection, rota_id: str, wanted: list[str], scope: frozenset[str] | None
) -> None:
    known = set(conn.scalars(select(communes.c.id)))
    for commune in wanted:
        if commune not in known or (scope is not None and commune not in scope):
            raise RotaError("communes", f"unknown commune '{commune}'")
        other = conn.scalar(
            select(rota_communes.c.rota_id).where(
                rota_communes.c.commune_id == commune, rota_communes.c.rota_id != rota_id
            )
        )
        if other is not None:
            raise RotaError("communes", f"'{commune}' is already covered by the rota '{other}'")
    if len(set(wanted)) != len(wanted):
        raise RotaError("communes", "a commune is listed twice")


def write_rota(
    conn: Connection,
    rota_id: str,
    body: RotaIn,
    scope: frozenset[str] | None,
    author: str,
    now: datetime,
) -> bool:
    """Create or replace; True when created. The caller checked visibility (404)."""
    check_communes(conn, rota_id, body.communes, scope)
    covered = sorted(body.communes)
    shift_rows = []
    for i, shift in enumerate(body.shifts):
        uid = _on_call_user(conn, shift.user, covered, f"shifts.{i}.user")
        start, end = _minutes(shift.start), _minutes(shift.end)  # 24:00 is 1440
        shift_rows += [
            {
                "rota_id": rota_id,
                "weekday": DAYS.index(day),
                "start_minute": start,
                "end_minute": end,
                "user_id": uid,
                "position": i,
            }
            for day in dict.fromkeys(shift.days)
        ]
    override_rows = [
        {
            "rota_id": rota_id,
            "start_ms": utc_ms(local(o.start)),
            "end_ms": utc_ms(local(o.end)),
            "user_id": _on_call_user(conn, o.user, covered, f"overrides.{i}.user"),
            "note": o.note,
        }
        for i, o in enumerate(body.overrides)
    ]
    fallback_ids = [
        _on_call_user(conn, name, covered, f"fallbacks.{i}")
        for i, name in enumerate(body.fallbacks)
    ]
    existed = conn.scalar(select(rotas.c.id).where(rotas.c.id == rota_id)) is not None
    values = {
        "name": body.name,
        "escalate_minutes": body.escalate_minutes,
        "updated_ms": utc_ms(now),
        "updated_by": author,
    }
    if existed:
        for table in (rota_communes, rota_shifts, rota_overrides, rota_fallbacks):
            conn.execute(delete(table).where(table.c.rota_id == rota_id))
        conn.execute(rotas.update().where(rotas.c.id == rota_id).values(**values))
    else:
        conn.execute(insert(rotas).values(id=rota_id, **values))
    conn.execute(insert(rota_communes), [{"rota_id": rota_id, "commune_id": c} for c in covered])
    if shift_rows:
        conn.execute(insert(rota_shifts), shift_rows)
    if override_rows:
        conn.execute(insert(rota_overrides), override_rows)
    if fallback_ids:
        conn.execute(
            insert(rota_fallbacks),
            [{"rota_id": rota_id, "position": i, "user_id": u} for i, u in enumerate(fallback_ids)],
        )
    return not existed


def delete_rota(conn: Connection, rota_id: str) -> None:
    for table in (rota_communes, rota_shifts, rota_overrides, rota_fallbacks):
        conn.execute(delete(table).where(table.c.rota_id == rota_id))
    conn.execute(delete(rotas).where(rotas.c.id == rota_id))


def read_contacts(conn: Connection, user_id: int) -> list[ContactIn]:
    rows = conn.execute(
        select(user_contacts.c.channel, user_contacts.c.address)
        .where(user_contacts.c.user_id == user_id)
        .order_by(user_contacts.c.position)
    ).all()
    return [ContactIn(channel=r.channel, address=r.address) for r in rows]


def write_contacts(conn: Connection, user_id: int, contacts: list[ContactIn]) -> None:
    conn.execute(delete(user_contacts).where(user_contacts.c.user_id == user_id))
    if contacts:
        conn.execute(
            insert(user_contacts),
            [
                {"user_id": user_id, "position": i, "channel": c.channel, "address": c.address}
                for i, c in enumerate(contacts)
            ],
        )
