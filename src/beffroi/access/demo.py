"""The demo's video user: the administrator sees no video, so the demo needs an agent."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import Engine, select

from beffroi.access.passwords import generate_password
from beffroi.access.permissions import Role
from beffroi.access.tables import users
from beffroi.access.users import UserExistsError, create_user
from beffroi.clock import Clock
from beffroi.site.tables import communes

DEMO_OPERATOR = "operateur"
DEMO_OPERATOR_PASSWORD_FILE = "demo-operator-password.txt"


class DemoOperator(NamedTuple):
    username: str
    password: str
    totp_enrolled: bool  # False: the first login returns an enrolment token


def ensure_demo_password(data_dir: Path, filename: str) -> str:
    """A demo user's generated password, kept in the data directory (0600) so every
    `make run` can print it; a real installation never writes a password down."""
    path = data_dir / filename
    if path.exists():
        return path.read_text().strip()
    password = generate_password()
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(password + "\n")
    path.chmod(0o600)
    return password


def ensure_demo_operator(engine: Engine, clock: Clock, data_dir: Path) -> DemoOperator:
    """Create `operateur` (municipal police, operator of every commune in the database)
    once, its password kept in the data directory like the demo admin's. Its first
    login enrols TOTP. Call after the site is applied (communes exist)."""
    password = ensure_demo_password(data_dir, DEMO_OPERATOR_PASSWORD_FILE)
    with engine.connect() as conn:
        row = conn.execute(
            select(users.c.totp_secret).where(users.c.username == DEMO_OPERATOR)
        ).first()
        all_communes = list(conn.execute(select(communes.c.id)).scalars())
    if row is not None:
        return DemoOperator(DEMO_OPERATOR, password, row.totp_secret is not None)
    # A concurrent start may win the race; it used the same password file.
    with contextlib.suppress(UserExistsError):
        create_user(
            engine,
            DEMO_OPERATOR,
            password,
            Role.OPERATOR,
            all_communes,
            clock,
            full_name="Opérateur de démonstration",
            service="Police municipale (démo)",
            is_police=True,
        )
    return DemoOperator(DEMO_OPERATOR, password, False)
