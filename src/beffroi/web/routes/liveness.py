"""Liveness: open to anyone, says nothing about the site (the version and schema
revision, so an upgrade can be checked from outside)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from beffroi import __version__
from beffroi.web.deps import public

router = APIRouter(tags=["health"])


class Liveness(BaseModel):
    status: Literal["ok"] = Field(description="Always ok when the API answers")
    version: str = Field(description="Beffroi version")
    schema_revision: str | None = Field(description="The database's schema revision")


@router.get("/api/health", response_model=Liveness)
def health(request: Request, _: Annotated[None, Depends(public())]) -> Liveness:
    # Read once by create_app: a public route polled by monitoring touches no database.
    revision = request.app.state.schema_revision
    return Liveness(status="ok", version=__version__, schema_revision=revision)
