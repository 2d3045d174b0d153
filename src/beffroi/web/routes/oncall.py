"""On-call: rotas, agents' contacts, notification attempts, test messages, signed links.

Rotas and contacts are managed with ONCALL_MANAGE within the manager's communes: a rota
covering a commune that is not theirs answers 404 exactly like a missing one, and so
does a user they may not manage. Every change is journaled.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import select

from beffroi.access.accounts import UnknownUserError, may_manage
from beffroi.access.permissions import Permission, Role
from beffroi.access.principal import Principal
from beffroi.access.tables import users
from beffroi.clock import from_ms
from beffroi.incidents.tables import incidents
from beffroi.journal.http import journal_action, register_change
from beffroi.oncall.channels import Alert
from beffroi.oncall.channels.webhook import WebhookChannel, host_allowed
from beffroi.oncall.links import ExpiredLinkError, LinkError, load_or_create_secret
from beffroi.oncall.links import IncidentLinks as Links
from beffroi.oncall.notify import Notifier
from beffroi.oncall.rotas import Person, on_duty, who_is_on_call
from beffroi.oncall.store import (
    ContactIn,
    ContactsIn,
    RotaError,
    RotaIn,
    RotaOut,
    check_communes,
    delete_rota,
    list_rotas,
    read_contacts,
    read_rota,
    rota_communes_of,
    visible,
    write_contacts,
    write_rota,
)
from beffroi.oncall.tables import notification_attempts
from beffroi.web.deps import Ctx, require
from beffroi.web.timeparams import unprocessable

router = APIRouter(tags=["on-call"])

Manager = Annotated[Principal, Depends(require(Permission.ONCALL_MANAGE))]
Self = Annotated[Principal, Depends(require(Permission.ACCOUNT_SELF))]
Reader = Annotated[Principal, Depends(require(Permission.INCIDENT_READ))]
RotaId = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$", description="Rota id")
]
Username = Annotated[str, Path(min_length=1, max_length=100, description="User name")]
IncidentId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Incident number")]


class OnCallOut(BaseModel):
    rota: str = Field(description="Rota id")
    at: datetime = Field(description="The instant asked about (UTC)")
    on_call: str | None = Field(description="Who the rota names then; null: nobody")
    chain: dict[str, list[str]] = Field(
        description="Per commune: everyone an incident would reach, in order"
    )
    escalate_minutes: int = Field(description="Minutes before the next person is called")


class AttemptOut(BaseModel):
    at: datetime = Field(description="When it was tried (UTC)")
    user: str = Field(description="Whom")
    step: int | None = Field(description="0: the person on call, then the next ones")
    channel: str = Field(description="email | webhook | ntfy | mqtt")
    address: str | None = Field(
        description="Mailbox, URL or topic; null unless it is the reader's own or the "
        "reader manages on-call (oncall.manage): colleagues' addresses are private"
    )
    outcome: str = Field(description="sent | failed")
    error: str | None = Field(description="Why it failed (null where the address is hidden)")


class TestIn(BaseModel):
    user: str = Field(min_length=1, max_length=100, description="User name to reach")
    channel: Literal["email", "webhook", "ntfy", "mqtt"] | None = Field(
        default=None, description="Only this channel; default: every contact of the user"
    )


class LinkOut(BaseModel):
    incident: int = Field(description="The incident the link names")
    expires_at: datetime = Field(description="When the link stops working (UTC)")


def _unknown_rota(rota_id: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"unknown rota {rota_id}")


def _invalid(exc: RotaError) -> HTTPException:
    loc = ["body", *(int(p) if p.isdigit() else p for p in exc.field.split("."))]
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        detail=[{"loc": loc, "msg": str(exc), "type": "value_error"}],
    )


@router.get("/api/rotas", response_model=list[RotaOut])
def rotas_list(ctx: Ctx, principal: Manager) -> list[RotaOut]:
    with ctx.engine.connect() as conn:
        return list_rotas(conn, principal.communes)


@router.get("/api/rotas/{rota_id}", response_model=RotaOut)
def rota_detail(rota_id: RotaId, ctx: Ctx, principal: Manager) -> RotaOut:
    with ctx.engine.connect() as conn:
        found = read_rota(conn, rota_id, principal.communes)
    if found is None:
        raise _unknown_rota(rota_id)
    return found


@router.put("/api/rotas/{rota_id}", response_model=RotaOut)
def rota_write(
    rota_id: RotaId,
    body: RotaIn,
    request: Request,
    response: Response,
    ctx: Ctx,
    principal: Manager,
) -> RotaOut:
    with register_change(request, principal) as change:
        try:
            # The body's communes first: naming a commune that is not the writer's is
            # the same 422 whether or not the rota exists.
            check_communes(change.conn, rota_id, body.communes, principal.communes)
            current = rota_communes_of(change.conn, rota_id)
            if current and not visible(principal.communes, current):
                raise _unknown_rota(rota_id)
            created = write_rota(
                change.conn, rota_id, body, principal.communes, principal.username,
                ctx.clock.now(),
            )  # fmt: skip
        except RotaError as exc:
            raise _invalid(exc) from None
        change.journal(
            "oncall.rota.write",
            detail={"rota": rota_id, "communes": sorted(body.communes), "created": created},
        )
    if created:
        response.status_code = status.HTTP_201_CREATED
    return rota_detail(rota_id, ctx, principal)


@router.delete("/api/rotas/{rota_id}", status_code=status.HTTP_204_NO_CONTENT)
def rota_delete(rota_id: RotaId, request: Request, ctx: Ctx, principal: Manager) -> None:
    with register_change(request, principal) as change:
        if read_rota(change.conn, rota_id, principal.communes) is None:
            raise _unknown_rota(rota_id)
        delete_rota(change.conn, rota_id)
        change.journal("oncall.rota.delete", detail={"rota": rota_id})


@router.get("/api/rotas/{rota_id}/on-call", response_model=OnCallOut)
def rota_on_call(
    rota_id: RotaId,
    ctx: Ctx,
    principal: Manager,
    at: Annotated[AwareDatetime | None, Query(description="Instant; default: now")] = None,
) -> OnCallOut:
    when = at or ctx.clock.now()
    with ctx.engine.connect() as conn:
        found = read_rota(conn, rota_id, principal.communes)
        if found is None:
            raise _unknown_rota(rota_id)
        current = on_duty(conn, rota_id, when)
        chains = {c: who_is_on_call(conn, c, when).chain for c in found.communes}
    return OnCallOut(
        rota=rota_id,
        at=when,
        on_call=current.username if current else None,
        chain={c: [p.username for p in chain] for c, chain in chains.items()},
        escalate_minutes=found.escalate_minutes,
    )


def _managed_user(ctx: Ctx, principal: Principal, username: str) -> int:
    try:
        allowed = may_manage(principal, username, ctx.engine)
    except UnknownUserError:
        allowed = False
    if not allowed:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"unknown user {username}")
    with ctx.engine.connect() as conn:
        return int(
            conn.execute(select(users.c.id).where(users.c.username == username)).scalar_one()
        )


def _check_webhooks(request: Request, contacts: list[ContactIn]) -> None:
    """422 for a webhook contact whose host the site file does not list: the address is
    typed by a person, the POST is made by the server (`channels/webhook.py`)."""
    runtime = getattr(request.app.state, "oncall", None)
    channel = runtime.notifier.channels.get("webhook") if runtime is not None else None
    allowed = channel.settings.allowed_hosts if isinstance(channel, WebhookChannel) else None
    for c in contacts:
        if c.channel != "webhook":
            continue
        if allowed is None:
            raise unprocessable("the webhook channel is not configured on this site")
        if not host_allowed(c.address, allowed):
            raise unprocessable(
                f"{c.address}: its host is not in the site file's "
                "notifications.webhook.allowed_hosts"
            )


@router.get("/api/users/{username}/contacts", response_model=list[ContactIn])
def contacts_read(username: Username, ctx: Ctx, principal: Self) -> list[ContactIn]:
    """One's own contacts, or, for those who manage on-call, those of the agents of
    their communes."""
    if username == principal.username:
        uid = principal.user_id
    elif principal.can(Permission.ONCALL_MANAGE):
        uid = _managed_user(ctx, principal, username)
    else:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"unknown user {username}")
    with ctx.engine.connect() as conn:
        return read_contacts(conn, uid)


@router.put("/api/users/{username}/contacts", response_model=list[ContactIn])
def contacts_write(
    username: Username, body: ContactsIn, request: Request, ctx: Ctx, principal: Self
) -> list[ContactIn]:
    """Where an agent is reached, alarm pictures included: set by the agent, or by a
    supervisor of the agent's communes, never by an administrator (who could send an
    agent's alarm snapshots to a mailbox of their own). Journaled with the addresses
    before and after, in the same transaction."""
    if username == principal.username:
        uid = principal.user_id
    elif principal.role == Role.SUPERVISOR:
        uid = _managed_user(ctx, principal, username)
    elif principal.can(Permission.ONCALL_MANAGE):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail="only the agent or a supervisor of the agent's commune sets where the "
            "agent is reached",
        )
    else:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"unknown user {username}")
    _check_webhooks(request, body.contacts)
    with register_change(request, principal) as change:
        before = read_contacts(change.conn, uid)
        write_contacts(change.conn, uid, body.contacts)
        change.journal(
            "oncall.contacts.write",
            detail={
                "user": username,
                "before": [c.model_dump() for c in before],
                "after": [c.model_dump() for c in body.contacts],
            },
        )
    return body.contacts


def _attempt(r: Any, reader: Principal | None = None) -> AttemptOut:
    """An attempt as `reader` may see it (None: one who manages on-call). A failure's
    text often quotes the address (a relay refusing a mailbox): hidden with it."""
    shown = reader is None or reader.can(Permission.ONCALL_MANAGE) or r.username == reader.username
    return AttemptOut(
        at=from_ms(r.at_ms),
        user=r.username,
        step=r.step,
        channel=r.channel,
        address=r.address if shown else None,
        outcome=r.outcome,
        error=r.error if shown else None,
    )


@router.get("/api/incidents/{incident_id}/notifications", response_model=list[AttemptOut])
def incident_notifications(
    incident_id: IncidentId, ctx: Ctx, principal: Reader
) -> list[AttemptOut]:
    with ctx.engine.connect() as conn:
        commune = conn.scalar(select(incidents.c.commune_id).where(incidents.c.id == incident_id))
        if commune is None or not principal.sees_commune(commune):
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"unknown incident {incident_id}")
        rows = conn.execute(
            select(notification_attempts)
            .where(notification_attempts.c.incident_id == incident_id)
            .order_by(notification_attempts.c.id)
        ).all()
    return [_attempt(r, principal) for r in rows]


@router.post("/api/notifications/test", response_model=list[AttemptOut])
def notification_test(
    body: TestIn, request: Request, ctx: Ctx, principal: Manager
) -> list[AttemptOut]:
    """Send a test message to a user's contacts (each one, whatever happens to the
    others), so an agent's phone is known to ring before the night it must."""
    uid = _managed_user(ctx, principal, body.user)
    runtime = getattr(request.app.state, "oncall", None)
    notifier: Notifier = (
        runtime.notifier if runtime is not None else Notifier(ctx.engine, ctx.clock, {})
    )
    with ctx.engine.connect() as conn:
        full_name = conn.scalar(select(users.c.full_name).where(users.c.id == uid))
    person = Person(uid, body.user, full_name)
    now = ctx.clock.now()
    alert = Alert(
        title="Essai de notification Beffroi",
        text=f"Message d'essai envoyé par {principal.username}. Aucune action n'est requise.",
        kind="test",
        at=now,
        priority=3,
        tags=("white_check_mark",),
    )
    with ctx.engine.connect() as conn:
        contacts = [c for c in read_contacts(conn, uid) if body.channel in (None, c.channel)]
    results = [notifier.send(c.channel, alert, c.address) for c in contacts]
    for result in results:
        notifier.record(person, alert, None, result)
    journal_action(
        request,
        principal,
        "oncall.test",
        detail={"user": body.user, "sent": sum(r.outcome == "sent" for r in results)},
    )
    return [
        AttemptOut(
            at=now,
            user=body.user,
            step=None,
            channel=r.channel,
            address=r.address,
            outcome=r.outcome,
            error=r.error,
        )
        for r in results
    ]


@router.get("/api/incident-links/{token}", response_model=LinkOut)
def incident_link(
    token: Annotated[str, Path(min_length=1, max_length=200, description="The link's token")],
    ctx: Ctx,
    principal: Reader,
) -> LinkOut:
    """What a signed link names, for the signed-in user (the console opens it)."""
    links = Links(load_or_create_secret(ctx.data_dir))
    try:
        incident_id, expires = links.verify(token, ctx.clock.now())
    except ExpiredLinkError:
        raise HTTPException(status.HTTP_410_GONE, detail="the link has expired") from None
    except LinkError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="unknown link") from None
    with ctx.engine.connect() as conn:
        commune = conn.scalar(select(incidents.c.commune_id).where(incidents.c.id == incident_id))
    if commune is None or not principal.sees_commune(commune):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="unknown link")
    return LinkOut(incident=incident_id, expires_at=expires)
