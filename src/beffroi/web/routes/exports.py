"""Sealed export packages: start one for a requisition, follow it, download it; the
export register; the installation's signing key.

Scope is the requisition's (`visible_requisition`): investigators reach only the
exports of requisitions assigned to them; an export out of scope answers 404 like a
missing one. Writes commit first, then are journaled; a failed journal write fails the
request (and an export it would have started is marked failed, never built).
"""

from __future__ import annotations

import logging
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import Connection, select
from starlette.responses import Response

from beffroi.access.permissions import Permission
from beffroi.access.principal import Principal
from beffroi.clock import from_ms, utc_ms
from beffroi.export.jobs import DONE, create_export, exports_dir
from beffroi.export.manifest import signing_key_info
from beffroi.export.register import RegisterEntry, register_csv, register_entries
from beffroi.export.tables import exports
from beffroi.journal.http import journal_action, register_change
from beffroi.journal.keys import load_or_create_key
from beffroi.paths import inside
from beffroi.requisitions.query import scoped_requisitions
from beffroi.requisitions.register import (
    IllegalTransition,
    Requisition,
    RequisitionNotFound,
    visible_requisition,
)
from beffroi.web.deps import Ctx, require

router = APIRouter(tags=["exports"])
log = logging.getLogger(__name__)


class ExportCreated(BaseModel):
    id: int = Field(description="Identifier of the export job")


class RequisitionRef(BaseModel):
    id: int = Field(description="Identifier of the requisition")
    number: str = Field(description="Register number, e.g. 2026-0042")


class ExportOut(BaseModel):
    id: int = Field(description="Identifier of the export job")
    requisition: RequisitionRef = Field(description="The requisition exported")
    status: str = Field(description="queued | running | done | failed")
    progress: float = Field(description="0..1, by bytes of footage read")
    download: str | None = Field(description="URL of the ZIP once done, else null")
    error: str | None = Field(description="Why the export failed, in words")
    created_at: datetime = Field(description="When the export was asked (UTC)")
    finished_at: datetime | None = Field(description="When the package was sealed (UTC)")
    exported_by: str = Field(description="User name of who asked for the export")
    bytes: int | None = Field(description="Size of the ZIP")
    manifest_sha256: str | None = Field(description="SHA-256 of the signed manifest.json")
    attempts: int = Field(description="Runs of the job (a restart runs it again)")


class RegisterEntryOut(BaseModel):
    id: int = Field(description="Export identifier")
    requisition: str = Field(description="Requisition number")
    status: str = Field(description="queued | running | done | failed")
    images_start: datetime = Field(description="Date and time of the first filmed image (UTC)")
    images_end: datetime = Field(description="Date and time of the last filmed image (UTC)")
    duration_s: float | None = Field(description="Duration of the exported footage, seconds")
    cameras: list[str] = Field(description="Cameras exported")
    exported_at: datetime | None = Field(description="Date and time of the export (UTC)")
    exported_by: str = Field(description="Who exported (user name)")
    role: str = Field(description="Role of who exported")


class ExportRegister(BaseModel):
    exports: list[RegisterEntryOut] = Field(description="Exports, oldest first")


class SigningKey(BaseModel):
    algorithm: str = Field(description="Signature algorithm: Ed25519")
    fingerprint: str = Field(description="SHA-256 of the raw 32-byte public key, hex")
    public_key: str = Field(description="The raw 32-byte public key, base64")


class RegisterFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


def _requisition(conn: Connection, principal: Principal, requisition_id: int) -> Requisition:
    try:
        return visible_requisition(conn, principal, requisition_id)
    except RequisitionNotFound:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"no requisition #{requisition_id}"
        ) from None


def _export(conn: Connection, principal: Principal, export_id: int) -> tuple[Any, Requisition]:
    row = conn.execute(select(exports).where(exports.c.id == export_id)).first()
    try:
        if row is None:
            raise RequisitionNotFound
        return row, visible_requisition(conn, principal, row.requisition_id)
    except RequisitionNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no export #{export_id}") from None


def _out(request: Request, row: Any, req: Requisition) -> ExportOut:
    done = row.status == DONE
    return ExportOut(
        id=row.id,
        requisition=RequisitionRef(id=req.id, number=req.number),
        status=row.status,
        progress=float(row.progress),
        download=str(request.url_for("download_export", export_id=row.id)) if done else None,
        error=row.error,
        created_at=from_ms(row.created_ms),
        finished_at=from_ms(row.finished_ms) if row.finished_ms is not None else None,
        exported_by=row.username,
        bytes=row.bytes,
        manifest_sha256=row.manifest_sha256,
        attempts=row.attempts,
    )


@router.post(
    "/api/requisitions/{requisition_id}/exports",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ExportCreated,
)
def start_export(
    request: Request,
    ctx: Ctx,
    principal: Annotated[Principal, Depends(require(Permission.EXPORT_CREATE))],
    requisition_id: Annotated[int, Path(ge=1, le=2**31 - 1, description="Requisition id")],
) -> ExportCreated:
    """Start building the requisition's sealed package (202); follow it with
    GET /api/exports/{id}. The requisition becomes `extracting`."""
    jobs = ctx.exports
    now_ms = utc_ms(ctx.clock.now())
    with register_change(request, principal) as change:
        req = _requisition(change.conn, principal, requisition_id)
        if jobs is None:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "export service not running")
        try:
            export_id = create_export(change.conn, req, principal, now_ms)
        except IllegalTransition as e:
            raise HTTPException(status.HTTP_409_CONFLICT, detail=str(e)) from None
        # In the export's transaction: no unjournaled export is ever built.
        change.journal(
            "export.create",
            start_ms=min(i.start_ms for i in req.items),
            end_ms=max(i.end_ms for i in req.items),
            detail={
                "export": export_id,
                "requisition": req.number,
                "cameras": sorted({i.camera_id for i in req.items}),
                "ranges": [
                    {
                        "camera": i.camera_id,
                        "start": from_ms(i.start_ms).isoformat(),
                        "end": from_ms(i.end_ms).isoformat(),
                    }
                    for i in req.items
                ],
            },
        )
    jobs.submit(export_id)
    return ExportCreated(id=export_id)


@router.get("/api/exports/{export_id}", response_model=ExportOut)
def get_export(
    request: Request,
    ctx: Ctx,
    principal: Annotated[Principal, Depends(require(Permission.EXPORT_CREATE))],
    export_id: Annotated[int, Path(ge=1, le=2**31 - 1, description="Export id")],
) -> ExportOut:
    with ctx.engine.connect() as conn:
        row, req = _export(conn, principal, export_id)
    return _out(request, row, req)


@router.get(
    "/api/exports/{export_id}/download",
    response_class=FileResponse,
    name="download_export",
    responses={200: {"content": {"application/zip": {}}, "description": "The sealed package"}},
)
def download_export(
    request: Request,
    ctx: Ctx,
    principal: Annotated[Principal, Depends(require(Permission.EXPORT_DOWNLOAD))],
    export_id: Annotated[int, Path(ge=1, le=2**31 - 1, description="Export id")],
) -> Response:
    """The sealed package (ZIP). Journaled before the first byte leaves."""
    with ctx.engine.connect() as conn:
        row, req = _export(conn, principal, export_id)
    if row.destroyed_ms is not None:
        raise HTTPException(
            status.HTTP_410_GONE,
            detail=f"the package of export #{export_id} was destroyed on "
            f"{from_ms(row.destroyed_ms).isoformat()}, after its delivery",
        )
    if row.status != DONE or row.path is None:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=f"export #{export_id} is {row.status}")
    path = inside(exports_dir(ctx.data_dir), row.path)
    if path is None:
        log.error("export %s: stored path %r is outside the exports folder", export_id, row.path)
        raise HTTPException(
            status.HTTP_409_CONFLICT, detail=f"export #{export_id}: its stored path is invalid"
        )
    if not path.is_file():
        raise HTTPException(
            status.HTTP_410_GONE, detail=f"the package of export #{export_id} is gone"
        )
    journal_action(
        request,
        principal,
        "export.download",
        start_ms=row.footage_start_ms,
        end_ms=row.footage_end_ms,
        detail={
            "export": export_id,
            "requisition": req.number,
            "cameras": row.cameras.split(","),
            "bytes": row.bytes,
            "manifest_sha256": row.manifest_sha256,
        },
    )
    return FileResponse(
        path,
        media_type="application/zip",
        filename=path.name,
        headers={"Cache-Control": "private, no-store"},
    )


def _entry_out(e: RegisterEntry) -> RegisterEntryOut:
    return RegisterEntryOut(
        id=e.id,
        requisition=e.requisition_number,
        status=e.status,
        images_start=from_ms(e.footage_start_ms),
        images_end=from_ms(e.footage_end_ms),
        duration_s=None if e.footage_ms is None else e.footage_ms / 1000,
        cameras=list(e.cameras),
        exported_at=from_ms(e.finished_ms) if e.finished_ms is not None else None,
        exported_by=e.username,
        role=e.role,
    )


@router.get(
    "/api/exports",
    response_model=ExportRegister,
    responses={200: {"content": {"text/csv": {}}}},
)
def export_register(
    request: Request,
    ctx: Ctx,
    principal: Annotated[Principal, Depends(require(Permission.REQUISITION_READ))],
    format: Annotated[RegisterFormat, Query(description="json or csv")] = RegisterFormat.JSON,
) -> Any:
    """The export register (arrêté du 3 août 2007, art. 3), within the reader's scope."""
    with ctx.engine.connect() as conn:
        entries = register_entries(conn, scoped_requisitions(principal))
    journal_action(
        request, principal, "export.register", detail={"format": format.value, "rows": len(entries)}
    )
    if format == RegisterFormat.CSV:
        return StreamingResponse(
            register_csv(entries),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="registre-extractions.csv"'},
        )
    return ExportRegister(exports=[_entry_out(e) for e in entries])


@router.get("/api/signing-key", response_model=SigningKey)
def signing_key(
    ctx: Ctx,
    principal: Annotated[Principal, Depends(require(Permission.ACCOUNT_SELF))],
) -> SigningKey:
    """The installation's public key, which signs packages and journal checkpoints:
    compare its fingerprint with the one a package states."""
    del principal
    return SigningKey(**signing_key_info(load_or_create_key(ctx.data_dir).public_key()))
