"""Tables of the site model: communes, cameras, buildings and their alarm zones, as
applied from the site file. Alarm keys are never stored: they stay in the environment
or the file the site file names."""

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Table,
    Text,
)

from beffroi.db.base import Millis, metadata

communes = Table(
    "communes",
    metadata,
    Column("id", String(64), primary_key=True, comment="Stable slug, e.g. joue-les-tours"),
    Column("name", String(200), nullable=False),
    Column("insee", String(5), nullable=True, comment="INSEE code of the commune"),
    Column(
        "outline",
        Text,
        nullable=True,
        comment="GeoJSON geometry (Polygon or MultiPolygon) from the map's outlines file",
    ),
    Column("updated_ms", Millis, nullable=False),
)

districts = Table(
    "districts",
    metadata,
    Column(
        "commune_id",
        String(64),
        ForeignKey("communes.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("name", String(200), primary_key=True),
    Column("position", Integer, nullable=False, comment="Order in the site file"),
    Column("outline", Text, nullable=True, comment="GeoJSON geometry, when the map draws it"),
)

map_settings = Table(
    "map_settings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False, comment="Always 1"),
    Column("tiles_url", String(500), nullable=True, comment="Raster tiles, only when named"),
    Column("tiles_attribution", String(300), nullable=True),
    Column("tiles_max_zoom", Integer, nullable=True),
    Column("center_lat", Float, nullable=True),
    Column("center_lon", Float, nullable=True),
    Column("zoom", Integer, nullable=True),
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
    Column("fov_angle_deg", Float, nullable=True, comment="Field-of-view opening, degrees"),
    Column("fov_range_m", Float, nullable=True, comment="Field-of-view depth, metres"),
    Column("stream_url", Text, nullable=False, comment="Stored without credentials"),
    Column(
        "transport",
        String(8),
        nullable=False,
        server_default="tcp",
        comment="tcp | udp: RTP inside the RTSP connection, or over UDP",
    ),
    Column(
        "reader",
        String(8),
        nullable=False,
        server_default="ffmpeg",
        comment="ffmpeg | native: the RTSP client that records the camera",
    ),
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

buildings = Table(
    "buildings",
    metadata,
    Column("id", String(64), primary_key=True, comment="Stable slug, e.g. gymnase-jean-bigot"),
    Column("name", String(200), nullable=False),
    Column("commune_id", String(64), ForeignKey("communes.id"), nullable=False, index=True),
    Column("address", String(200), nullable=True),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column(
        "alarm_account",
        String(16),
        nullable=True,
        unique=True,
        comment="SIA account of the building's panel (upper-case hexadecimal)",
    ),
    Column("procedure", Text, nullable=False, default="[]", comment="JSON list of steps"),
    Column(
        "removed_ms",
        Millis,
        nullable=True,
        comment="Set when the building left the site file; its incidents remain",
    ),
    Column("updated_ms", Millis, nullable=False),
)

building_zones = Table(
    "building_zones",
    metadata,
    Column(
        "building_id",
        String(64),
        ForeignKey("buildings.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("zone", Integer, primary_key=True, autoincrement=False),
    Column("name", String(200), nullable=False),
    Column("preset", String(200), nullable=True, comment="PTZ preset name, for later"),
    Column("procedure", Text, nullable=False, default="[]", comment="JSON list of steps"),
)

zone_cameras = Table(
    "zone_cameras",
    metadata,
    Column("building_id", String(64), primary_key=True),
    Column("zone", Integer, primary_key=True, autoincrement=False),
    Column("camera_id", String(64), ForeignKey("cameras.id"), primary_key=True, index=True),
    Column("position", Integer, nullable=False, comment="Order in the site file"),
    ForeignKeyConstraint(
        ["building_id", "zone"],
        ["building_zones.building_id", "building_zones.zone"],
        ondelete="CASCADE",
    ),
)
