"""Wall layouts: which camera on which tile of the console's video wall.

A layout belongs to one user (`owner_id` = the user's id) or is shared with every
viewer of the centre (`owner_id` = 0; written by holders of `layout.share`). Its name is
unique per owner. The cameras are kept as a JSON array, one entry per tile (a camera id
or null): a layout is always read and written whole.
"""

from sqlalchemy import Column, Integer, PrimaryKeyConstraint, String, Table, Text

from beffroi.db.base import Millis, metadata

SHARED_OWNER = 0

wall_layouts = Table(
    "wall_layouts",
    metadata,
    Column("owner_id", Integer, nullable=False, comment="The user's id; 0: shared layout"),
    Column("name", String(100), nullable=False),
    Column("grid", Integer, nullable=False, comment="Tiles: 1, 4, 9 or 16"),
    Column("cameras", Text, nullable=False, comment="JSON array, a camera id or null per tile"),
    Column("updated_ms", Millis, nullable=False),
    Column("updated_by", String(200), nullable=False),
    PrimaryKeyConstraint("owner_id", "name"),
)
