"""Users: creation, the first administrator, login verification, principal loading."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, Engine, insert, select, update

from beffroi.access.passwords import (
    burn_verification_time,
    check_policy,
    generate_password,
    hash_password,
    needs_rehash,
    verify_password,
)
from beffroi.access.permissions import Role, sees_all_communes
from beffroi.access.principal import Principal
from beffroi.access.tables import user_communes, users
from beffroi.clock import Clock, utc_ms

ADMIN_USERNAME = "admin"


class UserExistsError(ValueError):
    pass


def create_user(
    engine: Engine,
    username: str,
    password: str,
    role: Role | str,
    communes: Iterable[str],
    clock: Clock,
    *,
    full_name: str | None = None,
) -> int:
    """Create a user and return its id. Raises `PasswordPolicyError` for a weak
    password, `UserExistsError` for a taken username, `ValueError` for a bad role."""
    role = Role(role)
    username = username.strip()
    if not username:
        raise ValueError("username must not be empty")
    check_policy(password)
    password_hash = hash_password(password)
    with engine.begin() as conn:
        if conn.execute(select(users.c.id).where(users.c.username == username)).first():
            raise UserExistsError(f"user {username!r} already exists")
        user_id = conn.execute(
            insert(users)
            .values(
                username=username,
                password_hash=password_hash,
                role=role.value,
                full_name=full_name,
                disabled=False,
                created_ms=utc_ms(clock.now()),
            )
            .returning(users.c.id)
        ).scalar_one()
        rows = [{"user_id": user_id, "commune_id": c} for c in sorted(set(communes))]
        if rows:
            conn.execute(insert(user_communes), rows)
    return int(user_id)


def ensure_admin(engine: Engine, clock: Clock, password: str | None = None) -> str | None:
    """On first start, create the `admin` user (scope: every commune, by its role).

    Returns the generated password when none was given, so the CLI can print it once;
    returns None when the administrator already exists (nothing is changed) or when the
    password was supplied by the caller.
    """
    with engine.connect() as conn:
        if conn.execute(select(users.c.id).where(users.c.username == ADMIN_USERNAME)).first():
            return None
    generated = password is None
    secret = generate_password() if password is None else password
    try:
        create_user(engine, ADMIN_USERNAME, secret, Role.ADMIN, (), clock)
    except UserExistsError:  # another process won the race: theirs stands
        return None
    return secret if generated else None


def verify_login(engine: Engine, username: str, password: str) -> Principal | None:
    """The principal for valid credentials of an enabled user, else None.

    The caller answers every None with the same generic message: whether the user
    exists, is disabled or typed a wrong password must not be told apart."""
    with engine.connect() as conn:
        row = conn.execute(
            select(users.c.id, users.c.password_hash, users.c.disabled).where(
                users.c.username == username
            )
        ).first()
    if row is None:
        burn_verification_time(password)
        return None
    if not verify_password(row.password_hash, password) or row.disabled:
        return None
    if needs_rehash(row.password_hash):
        with engine.begin() as conn:
            conn.execute(
                update(users)
                .where(users.c.id == row.id)
                .values(password_hash=hash_password(password))
            )
    with engine.connect() as conn:
        return load_principal(conn, row.id)


def load_principal(
    conn: Connection, user_id: int, token_sha256: str | None = None
) -> Principal | None:
    """The principal of an enabled user, with its commune scope; None if disabled/gone."""
    row = conn.execute(
        select(users.c.id, users.c.username, users.c.role, users.c.disabled).where(
            users.c.id == user_id
        )
    ).first()
    if row is None or row.disabled:
        return None
    try:
        role = Role(row.role)
    except ValueError:  # a role this version does not know grants nothing
        return None
    communes: frozenset[str] | None = None
    if not sees_all_communes(role):
        communes = frozenset(
            conn.execute(
                select(user_communes.c.commune_id).where(user_communes.c.user_id == user_id)
            ).scalars()
        )
    return Principal(
        user_id=row.id,
        username=row.username,
        role=role,
        communes=communes,
        token_sha256=token_sha256,
    )
