"""Tables of the site model: communes and cameras, as applied from the site file."""

from sqlalchemy import Boolean, Column, Float, ForeignKey, Integer, String, Table, Text

from beffroi.db.base import Millis, metadata

communes = Table(
    "communes",
    metadata,
    Column("id", String(64), primary_key=True, comment="Stable slug, e.g. joue-les-tours"),
    Column("name", String(200), nullable=False),
    Column("insee", String(5), nullable=True, comment="INSEE code of the commune"),
    Column("updated_ms", Millis, nullable=False),
)

cameras = Table(
    "cameras",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("commune_id", String(64), ForeignKey("communes.id"), nullable=False, index=True),
    Column("district", String(200), nullable=True),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("direction_deg", Float, nullable=True, comment="Field-of-view bearing, 0 = north"),
    Column("stream_url", Text, nullable=False, comment="Stored without credentials"),
    Column("username", String(200), nullable=True),
    Column("password_env", String(200), nullable=True),
    Column("retention_s", Integer, nullable=False),
    Column("view", String(16), nullable=False, comment="close-up | general | traffic"),
    Column("authorisation_ref", String(100), nullable=True),
    Column("authorisation_expires", String(10), nullable=True, comment="ISO date"),
    Column("enabled", Boolean, nullable=False, default=True),
    Column(
        "removed_ms",
        Millis,
        nullable=True,
        comment="Set when the camera left the site file; its footage ages out normally",
    ),
    Column("updated_ms", Millis, nullable=False),
)

conventions = Table(
    "conventions",
    metadata,
    Column("id", String(64), primary_key=True, comment="Intercommunal convention"),
    Column("name", String(200), nullable=False),
    Column("updated_ms", Millis, nullable=False),
)

convention_communes = Table(
    "convention_communes",
    metadata,
    Column(
        "convention_id",
        String(64),
        ForeignKey("conventions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("commune_id", String(64), ForeignKey("communes.id"), primary_key=True, index=True),
)
