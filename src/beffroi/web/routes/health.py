"""Liveness: open to anyone, says nothing about the site."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from beffroi import __version__
from beffroi.web.deps import public

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"] = Field(description="Always ok when the API answers")
    version: str = Field(description="Beffroi version")


@router.get("/api/health", response_model=Health)
def health(_: Annotated[None, Depends(public())]) -> Health:
    return Health(status="ok", version=__version__)
