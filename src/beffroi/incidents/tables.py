"""Tables of the incident queue: incidents, their alarms, cameras and history.

`building_id` and `commune_id` are copied onto the incident when it opens: the commune
scopes who sees it, and the incident must keep saying where it happened even after the
building leaves the site file.
"""

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text

from beffroi.alarms import tables as _alarm_tables  # noqa: F401  (alarm_messages FK)
from beffroi.db.base import Millis, metadata
from beffroi.site import tables as _site_tables  # noqa: F401  (communes, cameras FKs)

incidents = Table(
    "incidents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False, comment="intrusion | fire | panic | ..."),
    Column("state", String(16), nullable=False, comment="new|notified|acknowledged|closed"),
    Column("commune_id", String(64), ForeignKey("communes.id"), nullable=False),
    Column("building_id", String(64), ForeignKey("buildings.id"), nullable=True),
    Column("zone", Integer, nullable=True, comment="Zone of the first alarm"),
    Column("zone_name", String(200), nullable=True),
    Column("opened_ms", Millis, nullable=False),
    Column("last_alarm_ms", Millis, nullable=False, comment="Grouping window runs from it"),
    Column("alarm_count", Integer, nullable=False, default=1),
    Column("acknowledged_ms", Millis, nullable=True),
    Column("acknowledged_by", String(200), nullable=True),
    Column("closed_ms", Millis, nullable=True),
    Column("closed_by", String(200), nullable=True),
    Column("disposition", String(32), nullable=True),
    Column("police_called_ms", Millis, nullable=True),
    Column("notes", Text, nullable=True),
    Column("updated_ms", Millis, nullable=False),
    Index("ix_incidents_commune_id_opened_ms", "commune_id", "opened_ms"),
    Index("ix_incidents_building_id_state", "building_id", "state"),
)

incident_cameras = Table(
    "incident_cameras",
    metadata,
    Column(
        "incident_id",
        Integer,
        ForeignKey("incidents.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("camera_id", String(64), ForeignKey("cameras.id"), primary_key=True),
    Column("position", Integer, nullable=False),
)

incident_alarms = Table(
    "incident_alarms",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "incident_id",
        Integer,
        ForeignKey("incidents.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("message_id", Integer, ForeignKey("alarm_messages.id"), nullable=True),
    Column("received_ms", Millis, nullable=False),
    Column("event_ms", Millis, nullable=True, comment="The panel's own time"),
    Column("account", String(16), nullable=True),
    Column("code", String(8), nullable=False, comment="SIA code (BA) or Contact ID (1130)"),
    Column("kind", String(32), nullable=False),
    Column("zone", Integer, nullable=True),
    Column("partition", Integer, nullable=True),
    Column("text", String(200), nullable=True),
)

incident_history = Table(
    "incident_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "incident_id",
        Integer,
        ForeignKey("incidents.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("at_ms", Millis, nullable=False),
    Column("action", String(32), nullable=False, comment="opened|alarm|notified|..."),
    Column("user_id", Integer, nullable=True),
    Column("username", String(200), nullable=True, comment="Who: a user, or system"),
    Column("detail", Text, nullable=True, comment="JSON"),
)

# What an incident shows: a snapshot and a clip per camera, copied out of the archive
# under DATA/incidents/<id>/. The row is also the work queue (state pending, due_ms), so
# a restart resumes the captures it interrupted. A destroyed copy keeps its row: what
# existed, its SHA-256 and when it was destroyed.
incident_media = Table(
    "incident_media",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "incident_id",
        Integer,
        ForeignKey("incidents.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("camera_id", String(64), ForeignKey("cameras.id"), nullable=False),
    Column("kind", String(16), nullable=False, comment="snapshot | clip"),
    Column("part", Integer, nullable=False, comment="Clip file number (a gap splits a clip)"),
    Column("state", String(16), nullable=False, comment="pending|ready|..."),
    Column("at_ms", Millis, nullable=False, comment="The alarm instant"),
    Column("want_start_ms", Millis, nullable=False, comment="Clip: alarm - pre"),
    Column("want_end_ms", Millis, nullable=False, comment="Clip: alarm + post"),
    Column("due_ms", Millis, nullable=False, comment="When the worker may make it"),
    Column("attempts", Integer, nullable=False),
    Column("start_ms", Millis, nullable=True, comment="Snapshot: frame time; clip: media time 0"),
    Column("end_ms", Millis, nullable=True),
    Column("path", String(300), nullable=True, comment="Relative to the data directory"),
    Column("sha256", String(64), nullable=True),
    Column("bytes", Integer, nullable=True),
    Column("width", Integer, nullable=True),
    Column("height", Integer, nullable=True),
    Column("frames", Integer, nullable=True),
    Column("gaps", Text, nullable=True, comment="JSON [[start_ms, end_ms], ...]"),
    Column("sources", Text, nullable=True, comment="JSON: archive segments copied"),
    Column("error", Text, nullable=True),
    Column("expires_ms", Millis, nullable=True, comment="Destroyed then (camera retention)"),
    Column("created_ms", Millis, nullable=False),
    Column("done_ms", Millis, nullable=True, comment="When it was made (or given up)"),
    Column("destroyed_ms", Millis, nullable=True, comment="When its file was destroyed"),
    Index("ix_incident_media_state_due_ms", "state", "due_ms"),
    Index(
        "ux_incident_media_incident_camera_kind_part",
        "incident_id",
        "camera_id",
        "kind",
        "part",
        unique=True,
    ),
)

# A fault incident's subject: one open incident per (kind, object, commune) while it
# lasts; `resolved_ms` is set when the fault clears (the incident stays open for a person
# to close) and cleared again if it comes back before that.
incident_faults = Table(
    "incident_faults",
    metadata,
    Column(
        "incident_id",
        Integer,
        ForeignKey("incidents.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("kind", String(32), nullable=False, comment="camera_offline | storage_low | ..."),
    Column("object", String(64), nullable=False, comment="Camera id, or archive | clock"),
    Column("commune_id", String(64), ForeignKey("communes.id"), nullable=False),
    Column("raised_ms", Millis, nullable=False, comment="When it was last raised"),
    Column("resolved_ms", Millis, nullable=True, comment="When it cleared; null while it lasts"),
    Column("occurrences", Integer, nullable=False),
    Column("message", Text, nullable=False, comment="What was wrong, in words"),
    Index("ix_incident_faults_kind_object_commune_id", "kind", "object", "commune_id"),
)
