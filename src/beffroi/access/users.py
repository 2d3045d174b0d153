"""Users: creation with the agent record, the first administrator, principal loading."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.orm import aliased

from beffroi.access import events
from beffroi.access.agents import record_refusal
from beffroi.access.passwords import (
    NO_PASSWORD,
    check_policy,
    generate_password,
    hash_password,
    needs_rehash,
)
from beffroi.access.permissions import USER_ROLES, Role, needs_approval, sees_all_communes
from beffroi.access.principal import Principal
from beffroi.access.tables import user_cameras, user_communes, users
from beffroi.clock import Clock, utc_ms
from beffroi.site.tables import cameras as cameras_table
from beffroi.site.tables import communes as communes_table
from beffroi.site.tables import convention_communes

ADMIN_USERNAME = "admin"


class UserExistsError(ValueError):
    pass


def create_user(
    engine: Engine,
    username: str,
    password: str | None,
    role: Role | str,
    communes: Iterable[str],
    clock: Clock,
    *,
    full_name: str | None = None,
    service: str | None = None,
    is_police: bool = False,
    approval_ref: str | None = None,
    approval_expires: date | None = None,
    training_date: date | None = None,
    account_expires: date | None = None,
    cameras: Iterable[str] = (),
    actor: str = "cli",
    source: str | None = "cli",
) -> int:
    """Create a user and return its id, journaled (`user.add`, by `actor` from
    `source`) in the same transaction. Without `password`, the account waits for its
    agent to choose one with an access code (`beffroi.access.invitations`). `cameras`
    designates a patrol agent's cameras (it sees only those, within its communes).
    Raises `PasswordPolicyError` for a weak password, `UserExistsError` for a taken
    username, `ValueError` for a bad role, an unknown commune or a missing prefectoral
    approval."""
    role = Role(role)
    if role not in USER_ROLES:
        raise ValueError(f"role {role.value!r} is not a role for people")
    username = username.strip()
    if not username or len(username) > 100 or any(c.isspace() for c in username):
        raise ValueError("username must be 1 to 100 characters without spaces")
    if needs_approval(role, is_police) and not (approval_ref and approval_expires):
        raise ValueError(
            f"a {role.value} who is not municipal police needs a prefectoral approval "
            "reference and its expiry date"
        )
    wanted = sorted(set(communes))
    if password is None:
        password_hash = NO_PASSWORD
    else:
        check_policy(password, username)
        password_hash = hash_password(password)
    with events.change(engine) as conn:
        if conn.execute(select(users.c.id).where(users.c.username == username)).first():
            raise UserExistsError(f"user {username!r} already exists")
        check_communes(conn, wanted)
        user_id = conn.execute(
            insert(users)
            .values(
                username=username,
                password_hash=password_hash,
                role=role.value,
                full_name=full_name,
                service=service,
                disabled=False,
                created_ms=utc_ms(clock.now()),
                is_police=is_police,
                approval_ref=approval_ref,
                approval_expires=approval_expires,
                training_date=training_date,
                account_expires=account_expires,
            )
            .returning(users.c.id)
        ).scalar_one()
        rows = [{"user_id": user_id, "commune_id": c} for c in wanted]
        if rows:
            conn.execute(insert(user_communes), rows)
        _designate(conn, user_id, role, sorted(set(cameras)))
        invited = ", invited" if password is None else ""
        detail = f"{username} ({role.value}){invited}"
        events.record_event(events.USER_ADD, actor, source, "ok", detail, conn=conn)
    return int(user_id)


def check_communes(conn: Connection, wanted: Iterable[str]) -> None:
    """ValueError naming the communes of `wanted` the site does not know."""
    ids = sorted(set(wanted))
    known = set(
        conn.execute(select(communes_table.c.id).where(communes_table.c.id.in_(ids))).scalars()
    )
    unknown = [c for c in ids if c not in known]
    if unknown:
        raise ValueError(f"unknown commune(s): {', '.join(unknown)}")


def replace_communes(conn: Connection, user_id: int, wanted: Iterable[str]) -> None:
    ids = sorted(set(wanted))
    check_communes(conn, ids)
    conn.execute(delete(user_communes).where(user_communes.c.user_id == user_id))
    if ids:
        conn.execute(insert(user_communes), [{"user_id": user_id, "commune_id": c} for c in ids])


def replace_designations(
    conn: Connection, user_id: int, role: Role, camera_ids: Iterable[str]
) -> None:
    """The patrol agent's designated cameras become `camera_ids` (none for other roles)."""
    conn.execute(delete(user_cameras).where(user_cameras.c.user_id == user_id))
    _designate(conn, user_id, role, sorted(set(camera_ids)))


def _designate(conn: Connection, user_id: int, role: Role, camera_ids: list[str]) -> None:
    if camera_ids and role != Role.PATROL:
        raise ValueError("only patrol agents have designated cameras")
    if not camera_ids:
        return
    known = set(
        conn.execute(select(cameras_table.c.id).where(cameras_table.c.id.in_(camera_ids))).scalars()
    )
    unknown = [c for c in camera_ids if c not in known]
    if unknown:
        raise ValueError(f"unknown camera(s): {', '.join(unknown)}")
    conn.execute(insert(user_cameras), [{"user_id": user_id, "camera_id": c} for c in camera_ids])


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


def rehash_if_needed(engine: Engine, user_id: int, password_hash: str, password: str) -> None:
    if needs_rehash(password_hash):
        with engine.begin() as conn:
            conn.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(password_hash=hash_password(password))
            )


def load_principal(
    conn: Connection,
    user_id: int,
    clock: Clock,
    token_sha256: str | None = None,
    auth: str = "bearer",
) -> Principal | None:
    """The principal of a user the agent record lets in now, with its commune scope;
    None if disabled, expired, without a valid approval, or gone. Checked on every
    request, so a session ends the day its approval does."""
    row = conn.execute(select(users).where(users.c.id == user_id)).first()
    if row is None or record_refusal(row, clock, at_login=False) is not None:
        return None
    try:
        role = Role(row.role)
    except ValueError:  # a role this version does not know grants nothing
        return None
    # A `machine` row can only come from a direct database write (create_user refuses
    # it); it gets that role's permissions, none of which shows video.
    communes = None if sees_all_communes(role) else commune_scope(conn, user_id)
    designated = None
    if role == Role.PATROL:
        designated = frozenset(
            conn.execute(
                select(user_cameras.c.camera_id).where(user_cameras.c.user_id == user_id)
            ).scalars()
        )
    return Principal(
        user_id=row.id,
        username=row.username,
        role=role,
        communes=communes,
        token_sha256=token_sha256,
        auth=auth,
        cameras=designated,
    )


def commune_scope(conn: Connection, user_id: int) -> frozenset[str]:
    """The user's communes, widened by every intercommunal convention one of them is
    part of: agents of a member commune see the cameras of all its members."""
    own = select(user_communes.c.commune_id).where(user_communes.c.user_id == user_id)
    partner = aliased(convention_communes)
    shared = (
        select(partner.c.commune_id)
        .join(
            convention_communes,
            convention_communes.c.convention_id == partner.c.convention_id,
        )
        .where(convention_communes.c.commune_id.in_(own))
    )
    return frozenset(conn.execute(own.union(shared)).scalars())
