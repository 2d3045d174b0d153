"""Registers for inspection: what the retention destroyed, and whether the journal's
chain is intact.

Both are `journal.read`: they are the registers a data-protection officer (the
auditor, who sees no video) or the CNIL checks, and the administrator and supervisors
keep. The commune scope is the journal's: an auditor reads everything, a supervisor
the destructions of its communes' cameras. Reading is journaled.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from beffroi.access.permissions import Permission
from beffroi.access.principal import Principal
from beffroi.archive.gc import REASONS
from beffroi.archive.tables import destructions
from beffroi.clock import from_ms, utc_ms
from beffroi.journal.http import app_journal, journal_action
from beffroi.journal.verify import verify_journal
from beffroi.site.tables import cameras
from beffroi.web.deps import Ctx, require
from beffroi.web.routes.journal import reader_scope
from beffroi.web.timeparams import INSTANT_HELP, parse_instant

router = APIRouter(tags=["registers"])

Reader = Annotated[Principal, Depends(require(Permission.JOURNAL_READ))]
MAX_LIMIT = 1000
SHOWN_PROBLEMS = 20


class DestructionOut(BaseModel):
    id: int = Field(description="Entry number, increasing")
    camera: str = Field(description="Camera id")
    camera_name: str | None = Field(description="Camera name (null: no longer in the site)")
    commune: str | None = Field(description="The camera's commune")
    start: datetime = Field(description="Start of the destroyed footage (UTC)")
    end: datetime = Field(description="End of the destroyed footage (UTC)")
    segments: int = Field(description="Segments destroyed")
    bytes: int = Field(description="Bytes destroyed")
    reason: str = Field(
        description="`retention` (the authorised period ended), `disk_pressure` (the disk "
        "reached its free-space floor first) or `clock_step` (the authorised period ended "
        "for footage whose times carry a clock step: aged by its true time)"
    )
    destroyed_at: datetime = Field(description="When it was destroyed (UTC)")


class DestructionPage(BaseModel):
    entries: list[DestructionOut] = Field(description="Destructions, newest first")
    next_cursor: int | None = Field(
        description="Pass as `cursor` for the next (older) page; null on the last page"
    )


class ProblemOut(BaseModel):
    seq: int = Field(description="Entry concerned")
    message: str = Field(description="What is wrong")


class VerificationOut(BaseModel):
    ok: bool = Field(description="Every hash, link, seq and signed checkpoint is intact")
    summary: str = Field(description="The verdict in words (as `beffroi journal verify`)")
    entries: int = Field(description="Entries checked")
    first_seq: int | None = Field(description="First entry kept (older ones were purged)")
    last_seq: int | None = Field(description="Last entry")
    checkpoints: int = Field(description="Signed checkpoints checked")
    last_checkpoint_seq: int | None = Field(description="Entry of the last checkpoint")
    first_bad_seq: int | None = Field(description="First entry found wrong")
    problem_count: int = Field(description="Problems found")
    problems: list[ProblemOut] = Field(description=f"The first {SHOWN_PROBLEMS} problems")
    key_fingerprint: str | None = Field(description="SHA-256 of the installation key")
    verified_at: datetime = Field(description="When the check ran (UTC)")


@router.get("/api/destructions", response_model=DestructionPage)
def destruction_register(
    request: Request,
    ctx: Ctx,
    principal: Reader,
    camera: Annotated[str | None, Query(max_length=64, description="One camera")] = None,
    reason: Annotated[
        str | None,
        Query(pattern=f"^({'|'.join(REASONS)})$", description="One reason"),
    ] = None,
    start: Annotated[
        str | None, Query(description="Destroyed at or after; " + INSTANT_HELP)
    ] = None,
    end: Annotated[str | None, Query(description="Destroyed before; " + INSTANT_HELP)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Entries per page")] = 100,
    cursor: Annotated[
        int | None, Query(ge=1, le=2**62, description="`next_cursor` of the page before")
    ] = None,
) -> DestructionPage:
    """The destruction register: footage the retention or disk pressure destroyed."""
    d = destructions
    query = select(d, cameras.c.name, cameras.c.commune_id).outerjoin(
        cameras, cameras.c.id == d.c.camera_id
    )
    scope = reader_scope(principal)
    if scope is not None:  # unknown cameras stay with the unscoped readers: the safe side
        query = query.where(cameras.c.commune_id.in_(sorted(scope)))
    if camera is not None:
        query = query.where(d.c.camera_id == camera)
    if reason is not None:
        query = query.where(d.c.reason == reason)
    if start is not None:
        query = query.where(d.c.destroyed_ms >= parse_instant("start", start))
    if end is not None:
        query = query.where(d.c.destroyed_ms < parse_instant("end", end))
    if cursor is not None:
        query = query.where(d.c.id < cursor)
    with ctx.engine.connect() as conn:
        rows = conn.execute(query.order_by(d.c.id.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    journal_action(
        request,
        principal,
        "destruction.read",
        camera=camera,
        detail={
            k: v
            for k, v in {"reason": reason, "start": start, "end": end, "cursor": cursor}.items()
            if v is not None
        }
        | {"returned": len(rows)},
    )
    return DestructionPage(
        entries=[
            DestructionOut(
                id=r.id,
                camera=r.camera_id,
                camera_name=r.name,
                commune=r.commune_id,
                start=from_ms(r.start_ms),
                end=from_ms(r.end_ms),
                segments=r.segments,
                bytes=r.bytes,
                reason=r.reason,
                destroyed_at=from_ms(r.destroyed_ms),
            )
            for r in rows
        ],
        next_cursor=rows[-1].id if more and rows else None,
    )


@router.get("/api/journal/verification", response_model=VerificationOut)
def journal_verification(request: Request, ctx: Ctx, principal: Reader) -> VerificationOut:
    """Check the whole journal now (every hash, link and signed checkpoint), as
    `beffroi journal verify` does. One pass over the journal: seconds per million
    entries. The verdict is journaled (`journal.verify`)."""
    journal = app_journal(request)
    public = journal.key.public_key() if journal.key is not None else None
    report = verify_journal(ctx.engine, public)
    verified_ms = utc_ms(ctx.clock.now())
    journal_action(
        request,
        principal,
        "journal.verify",
        outcome="ok",
        detail={"intact": report.ok, "entries": report.entries, "problems": report.problem_count},
    )
    data = asdict(report)
    return VerificationOut(
        ok=report.ok,
        summary=report.summary(),
        entries=report.entries,
        first_seq=report.first_seq,
        last_seq=report.last_seq,
        checkpoints=report.checkpoints,
        last_checkpoint_seq=report.last_checkpoint_seq,
        first_bad_seq=report.first_bad_seq,
        problem_count=report.problem_count,
        problems=[ProblemOut(**p) for p in data["problems"][:SHOWN_PROBLEMS]],
        key_fingerprint=journal.fingerprint,
        verified_at=from_ms(verified_ms),
    )
