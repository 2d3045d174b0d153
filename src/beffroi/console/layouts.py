"""Wall layouts as the API reads and writes them.

Scope is applied on both sides: a camera outside the caller's view (its communes, or a
patrol agent's designated cameras) cannot be written into a layout (`LayoutError`, a
422 naming the tile), and reads show it as an empty tile (null), so a shared layout
never tells a user of one commune which cameras another commune watches. A layout is
written whole: a shared layout rewritten by a supervisor of one commune loses the tiles
of the communes that supervisor does not see (they read as null to him).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import Connection, Row, delete, insert, or_, select, update

from beffroi.clock import from_ms, utc_ms
from beffroi.console.tables import SHARED_OWNER, wall_layouts

GRIDS = (1, 4, 9, 16)
CameraId = Annotated[str, Field(min_length=1, max_length=64)]


class LayoutError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class LayoutIn(BaseModel):
    grid: Literal[1, 4, 9, 16] = Field(description="Tiles of the wall: 1, 4, 9 or 16")
    cameras: list[CameraId | None] = Field(
        max_length=16,
        description="Per tile, left to right and top to bottom: a camera id or null "
        "(empty tile); at most `grid` entries, missing ones are empty",
    )
    shared: bool = Field(
        default=False,
        description="Shared with every viewer of the centre (needs layout.share); "
        "false: the caller's own layout",
    )

    @model_validator(mode="after")
    def _fits(self) -> LayoutIn:
        if len(self.cameras) > self.grid:
            raise ValueError(f"{len(self.cameras)} cameras do not fit a grid of {self.grid}")
        return self


class LayoutOut(BaseModel):
    name: str = Field(description="Name of the layout, unique per owner")
    grid: int = Field(description="Tiles of the wall: 1, 4, 9 or 16")
    cameras: list[str | None] = Field(
        description="`grid` entries: a camera id, or null for an empty tile or a camera "
        "outside the caller's communes"
    )
    shared: bool = Field(description="Shared with every viewer (true) or the caller's own")
    updated_at: datetime = Field(description="Last written (UTC)")
    updated_by: str = Field(description="Who wrote it last")


def padded(cameras: list[str | None], grid: int) -> list[str | None]:
    return (list(cameras) + [None] * grid)[:grid]


def check_cameras(cameras: list[str | None], visible: Collection[str]) -> None:
    """Every camera named is one the writer sees (else 422 on that tile)."""
    for index, camera in enumerate(cameras):
        if camera is not None and camera not in visible:
            raise LayoutError(f"cameras.{index}", f"unknown camera {camera}")


def _out(row: Row[Any], visible: Collection[str]) -> LayoutOut:
    stored = json.loads(row.cameras)
    shown = [c if isinstance(c, str) and c in visible else None for c in stored]
    return LayoutOut(
        name=row.name,
        grid=row.grid,
        cameras=padded(shown, row.grid),
        shared=row.owner_id == SHARED_OWNER,
        updated_at=from_ms(row.updated_ms),
        updated_by=row.updated_by,
    )


def list_layouts(conn: Connection, user_id: int, visible: Collection[str]) -> list[LayoutOut]:
    """The user's own layouts, then the shared ones, each by name."""
    rows = conn.execute(
        select(wall_layouts)
        .where(or_(wall_layouts.c.owner_id == user_id, wall_layouts.c.owner_id == SHARED_OWNER))
        .order_by((wall_layouts.c.owner_id == SHARED_OWNER), wall_layouts.c.name)
    ).all()
    return [_out(r, visible) for r in rows]


def read_layout(
    conn: Connection, owner_id: int, name: str, visible: Collection[str]
) -> LayoutOut | None:
    row = conn.execute(
        select(wall_layouts).where(wall_layouts.c.owner_id == owner_id, wall_layouts.c.name == name)
    ).first()
    return _out(row, visible) if row is not None else None


def write_layout(
    conn: Connection,
    owner_id: int,
    name: str,
    body: LayoutIn,
    visible: Collection[str],
    username: str,
    now: datetime,
) -> bool:
    """Create or replace; True when created."""
    check_cameras(body.cameras, visible)
    values = {
        "grid": body.grid,
        "cameras": json.dumps(padded(body.cameras, body.grid)),
        "updated_ms": utc_ms(now),
        "updated_by": username,
    }
    key = (wall_layouts.c.owner_id == owner_id) & (wall_layouts.c.name == name)
    if conn.execute(update(wall_layouts).where(key).values(**values)).rowcount:
        return False
    conn.execute(insert(wall_layouts).values(owner_id=owner_id, name=name, **values))
    return True


def delete_layout(conn: Connection, owner_id: int, name: str) -> bool:
    key = (wall_layouts.c.owner_id == owner_id) & (wall_layouts.c.name == name)
    return bool(conn.execute(delete(wall_layouts).where(key)).rowcount)
