"""The journal API: query and export for auditors and supervisors, and the hook that
journals denied requests.

Auditors (and the administrator, whose scope is every commune) read every entry;
supervisors read the entries about their communes (see `beffroi.journal.query`).
Reading is itself journaled: `journal.read` for a page, `journal.export` for an export.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from beffroi.access.permissions import Permission, Role
from beffroi.access.principal import Principal
from beffroi.clock import from_ms, utc_ms
from beffroi.csvfile import SafeWriter
from beffroi.journal.entries import JournalEntry, communes_list
from beffroi.journal.http import app_journal, client_address, journal_action, principal_entry
from beffroi.journal.query import MAX_LIMIT, JournalFilter, iter_export, query_page
from beffroi.journal.service import Journal
from beffroi.web.deps import Ctx, require
from beffroi.web.timeparams import INSTANT_HELP, parse_instant

router = APIRouter(prefix="/api/journal", tags=["journal"])

Reader = Annotated[Principal, Depends(require(Permission.JOURNAL_READ))]
MAX_EXPORT = 1_000_000
# Readers who see every entry whatever their communes: inspection is their job.
UNSCOPED_ROLES = frozenset({Role.AUDITOR})


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


class JournalEntryOut(BaseModel):
    seq: int = Field(description="Position in the chain, gapless from 1")
    time: datetime = Field(description="When the action happened (UTC)")
    time_ms: int = Field(description="The same instant in milliseconds since the epoch")
    user_id: int | None = Field(description="Id of the acting user")
    username: str | None = Field(description="User name of the actor (as typed, if unknown)")
    role: str | None = Field(description="Role of the actor at the time")
    communes: list[str] | None = Field(description="The actor's communes; null: every commune")
    source: str | None = Field(description="Client address")
    action: str = Field(description="What was done, e.g. recording.read, auth.login_failed")
    camera: str | None = Field(description="Camera concerned")
    commune: str | None = Field(description="Commune of that camera")
    start: datetime | None = Field(description="Start of the footage concerned (UTC)")
    end: datetime | None = Field(description="End of the footage concerned (UTC)")
    detail: Any = Field(description="Further facts (JSON), e.g. the path of a denied request")
    outcome: str = Field(description="ok | denied | not_found | error")
    prev_hash: str = Field(description="Hash of the previous entry")
    hash: str = Field(description="SHA-256 of this entry's canonical form")


class JournalPage(BaseModel):
    entries: list[JournalEntryOut] = Field(description="Entries, newest first")
    next_cursor: int | None = Field(
        description="Pass as `cursor` for the next (older) page; null on the last page"
    )


def entry_out(e: JournalEntry) -> JournalEntryOut:
    return JournalEntryOut(
        seq=e.seq,
        time=from_ms(e.time_ms),
        time_ms=e.time_ms,
        user_id=e.user_id,
        username=e.username,
        role=e.role,
        communes=communes_list(e.communes),
        source=e.source,
        action=e.action,
        camera=e.camera,
        commune=e.commune,
        start=from_ms(e.start_ms) if e.start_ms is not None else None,
        end=from_ms(e.end_ms) if e.end_ms is not None else None,
        detail=json.loads(e.detail) if e.detail else None,
        outcome=e.outcome,
        prev_hash=e.prev_hash,
        hash=e.hash,
    )


def reader_scope(principal: Principal) -> frozenset[str] | None:
    if principal.role in UNSCOPED_ROLES:
        return None
    return principal.communes


def _filters(
    user: Annotated[str | None, Query(description="User name of the actor", max_length=100)] = None,
    camera: Annotated[str | None, Query(description="Camera id", max_length=64)] = None,
    action: Annotated[
        str | None, Query(description="Action, exact or a prefix such as `auth.*`", max_length=64)
    ] = None,
    start: Annotated[str | None, Query(description="From (inclusive); " + INSTANT_HELP)] = None,
    end: Annotated[str | None, Query(description="Until (exclusive); " + INSTANT_HELP)] = None,
) -> JournalFilter:
    return JournalFilter(
        username=user,
        camera=camera,
        action=action,
        start_ms=parse_instant("start", start) if start is not None else None,
        end_ms=parse_instant("end", end) if end is not None else None,
    )


Filters = Annotated[JournalFilter, Depends(_filters)]


@router.get("", response_model=JournalPage)
def read_journal(
    request: Request,
    ctx: Ctx,
    principal: Reader,
    filters: Filters,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Entries per page")] = 100,
    cursor: Annotated[
        int | None, Query(ge=1, description="`next_cursor` of the page before")
    ] = None,
) -> JournalPage:
    entries, next_cursor = query_page(
        ctx.engine, filters, reader_scope(principal), limit=limit, before_seq=cursor
    )
    journal_action(
        request,
        principal,
        "journal.read",
        detail={**filters.as_dict(), "cursor": cursor, "returned": len(entries)},
    )
    return JournalPage(entries=[entry_out(e) for e in entries], next_cursor=next_cursor)


CSV_COLUMNS = (
    "seq", "time", "user_id", "username", "role", "communes", "source", "action", "camera",
    "commune", "start", "end", "outcome", "detail", "prev_hash", "hash",
)  # fmt: skip


def _csv_row(e: JournalEntry) -> list[Any]:
    def iso(ms: int | None) -> str:
        return from_ms(ms).isoformat() if ms is not None else ""

    return [
        e.seq, iso(e.time_ms), e.user_id, e.username, e.role, e.communes, e.source,
        e.action, e.camera, e.commune, iso(e.start_ms), iso(e.end_ms), e.outcome,
        e.detail, e.prev_hash, e.hash,
    ]  # fmt: skip


def _csv(entries: Iterator[JournalEntry]) -> Iterator[str]:
    buf = io.StringIO()
    writer = SafeWriter(buf)
    writer.writerow(CSV_COLUMNS)
    for n, e in enumerate(entries, 1):
        writer.writerow(_csv_row(e))
        if n % 500 == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def _json(entries: Iterator[JournalEntry], header: dict[str, Any]) -> Iterator[str]:
    yield json.dumps(header, ensure_ascii=False)[:-1] + ',"entries":['
    for n, e in enumerate(entries):
        yield ("," if n else "") + entry_out(e).model_dump_json()
    yield "]}"


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}, "application/json": {}}}},
)
def export_journal(
    request: Request,
    ctx: Ctx,
    principal: Reader,
    filters: Filters,
    format: Annotated[ExportFormat, Query(description="csv or json")] = ExportFormat.CSV,
) -> StreamingResponse:
    """Every matching entry, oldest first, for an inspection. The export is journaled
    before the first byte leaves."""
    scope = reader_scope(principal)
    journal = app_journal(request)
    journal_action(
        request, principal, "journal.export", detail={**filters.as_dict(), "format": format}
    )
    entries = iter_export(ctx.engine, filters, scope, MAX_EXPORT)
    stamp = from_ms(utc_ms(ctx.clock.now())).strftime("%Y%m%dT%H%M%SZ")
    name = f"beffroi-journal-{stamp}.{format.value}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format is ExportFormat.CSV:
        return StreamingResponse(_csv(entries), media_type="text/csv", headers=headers)
    header = {
        "exported_at": from_ms(utc_ms(ctx.clock.now())).isoformat(),
        "exported_by": principal.username,
        "filters": filters.as_dict(),
        "installation_key_sha256": journal.fingerprint,
    }
    return StreamingResponse(_json(entries, header), media_type="application/json", headers=headers)


# ---- denied requests -------------------------------------------------------------------

DENIED = {status.HTTP_403_FORBIDDEN: "denied", status.HTTP_404_NOT_FOUND: "not_found"}


def _denied_principal(request: Request) -> Principal | None:
    """Who was refused: the principal `authenticate` left on `request.state`. None for a
    request that never authenticated (a 404 before any credentials is no agent's act)."""
    found = getattr(request.state, "principal", None)
    return found if isinstance(found, Principal) else None


def _record_denied(request: Request, code: int) -> None:
    principal = _denied_principal(request)
    if principal is None:
        return
    route = request.scope.get("route")
    camera = request.path_params.get("camera_id")
    entry = principal_entry(
        principal,
        "request.denied",
        source=client_address(request),
        camera=camera if isinstance(camera, str) else None,
        outcome=DENIED[code],
        detail={
            "method": request.method,
            "path": request.url.path,
            "route": getattr(route, "path", None),
            "status": code,
        },
    )
    app_journal(request).record(entry)


async def journal_denied(request: Request, exc: Exception) -> Response:
    """Exception handler: journal a 403 or 404 answered to an authenticated user on an
    API path, then answer exactly as FastAPI would."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code in DENIED and request.url.path.startswith("/api/"):
        await run_in_threadpool(_record_denied, request, exc.status_code)
    return await http_exception_handler(request, exc)


def install(app: FastAPI, journal: Journal) -> None:
    """Give `app` its journal and journal its denied requests (called by create_app)."""
    app.state.journal = journal
    app.add_exception_handler(StarletteHTTPException, journal_denied)
