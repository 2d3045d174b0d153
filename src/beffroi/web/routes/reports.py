"""Monthly activity reports of a commune, for the town council: JSON, CSV or a page
to print. A commune outside the user's scope answers 404 like a missing one. Reading
a report is journaled: it names who acknowledged and closed incidents."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status

from beffroi.access.permissions import Permission
from beffroi.access.principal import Principal
from beffroi.incidents.reports import MonthlyReport, monthly_report, report_csv, report_html
from beffroi.journal.http import journal_action
from beffroi.web.deps import Ctx, require

router = APIRouter(prefix="/api/reports", tags=["reports"])

Reader = Annotated[Principal, Depends(require(Permission.REPORT_READ))]


@router.get(
    "/{commune}/{month}",
    response_model=MonthlyReport,
    responses={200: {"content": {"text/csv": {}, "text/html": {}}}},
)
def report_of_month(
    request: Request,
    ctx: Ctx,
    principal: Reader,
    commune: Annotated[
        str, Path(max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$", description="Commune id")
    ],
    month: Annotated[
        str, Path(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM (Europe/Paris months)")
    ],
    format: Annotated[
        Literal["json", "csv", "html"], Query(description="json, csv, or html (printable)")
    ] = "json",
) -> Any:
    """Alarms, incidents, false-alarm rate, times to acknowledge and to disposition,
    camera availability, for one commune and month."""
    unknown = HTTPException(status.HTTP_404_NOT_FOUND, detail=f"unknown commune {commune}")
    if not principal.sees_commune(commune):
        raise unknown
    now = ctx.clock.now()
    try:
        report = monthly_report(ctx.engine, commune, month, now)
    except ValueError as exc:
        raise HTTPException(422, detail=str(exc)) from None
    if report is None:
        raise unknown
    journal_action(
        request,
        principal,
        "report.read",
        commune=commune,
        detail={"month": month, "format": format},
    )
    if format == "json":
        return report
    if format == "csv":
        name = f"rapport-{commune}-{month}.csv"
        return Response(
            report_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return Response(
        report_html(report, now, principal.username), media_type="text/html; charset=utf-8"
    )
