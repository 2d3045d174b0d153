"""Liveness: open to anyone, says nothing about the site (the version and schema
revision, so an upgrade can be checked from outside)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from beffroi import __version__
from beffroi.db.migrate import current_revision
from beffroi.web.deps import Ctx, public

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"] = Field(description="Always ok when the API answers")
    version: str = Field(description="Beffroi version")
    schema_revision: str | None = Field(description="The database's schema revision")


@router.get("/api/health", response_model=Health)
def health(ctx: Ctx, _: Annotated[None, Depends(public())]) -> Health:
    return Health(status="ok", version=__version__, schema_revision=current_revision(ctx.engine))
