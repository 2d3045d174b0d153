"""The site file's schema: communes, cameras, conventions, recording, buildings, alarms.

Every field carries a description: the reference documentation of the site file is
generated from these models. Unknown keys are refused (`extra="forbid"`) so a typo such
as `retension: 45d` cannot silently fall back to a default. A new top-level section
(buildings, alarms, ...) is one more field on `Site` and, if it refers to other
sections, one more check in `beffroi.site.checks`. Large sections keep their classes in
a module of their own (`alarm_models`, `notification_models`), on the building blocks of
`fields`; this module re-exports them, so the schema reads as one.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, BeforeValidator, Field, PrivateAttr, model_validator

from beffroi.site.alarm_models import (
    AlarmMqttSettings,
    AlarmSettings,
    AlarmWebhookIntegration,
    AlarmWebhookSettings,
    Building,
    MqttAlarmTopic,
    SiaDc09Settings,
    Zone,
)
from beffroi.site.fields import (
    FieldOfView,
    Location,
    Reader,
    Slug,
    Text,
    Transport,
    View,
    _check_env_name,
    _check_insee,
    _check_retention,
    _check_space,
    _check_stream,
    _none_as_empty_dict,
    _none_as_empty_list,
    _Strict,
    legal_minima,
)
from beffroi.site.map_models import MapSettings, TileServer
from beffroi.site.notification_models import (
    HeartbeatSettings,
    MqttSettings,
    NotificationSettings,
    NtfySettings,
    SmtpSettings,
    WebhookSettings,
)
from beffroi.site.units import SpaceFloor, parse_retention, parse_space

if TYPE_CHECKING:
    from beffroi.site.geojson import MapData


class Authorisation(_Strict):
    reference: Annotated[str, Field(min_length=1, max_length=100)] = Field(
        description="Reference of the prefectoral authorisation, e.g. 2019-37-0042."
    )
    expires: date = Field(
        description="Last day of validity (an authorisation lasts 5 years), e.g. 2029-06-30."
    )


class Commune(_Strict):
    id: Slug = Field(description="Stable identifier, lower-case with dashes: joue-les-tours.")
    name: Text = Field(description="Name as written by the commune: Joué-lès-Tours.")
    insee: Annotated[str, AfterValidator(_check_insee)] | None = Field(
        default=None, description="INSEE code of the commune, e.g. 37122."
    )
    districts: Annotated[list[Text], BeforeValidator(_none_as_empty_list)] = Field(
        default_factory=list,
        description="Names of the commune's districts (quartiers). When given, every "
        "camera of the commune that names a district must use one of them.",
    )


class Camera(_Strict):
    id: Slug = Field(description="Stable identifier, lower-case with dashes: jlt-001.")
    name: Text = Field(description="What the camera shows, in words: Place François Mitterrand.")
    commune: Slug = Field(description="Id of the commune the camera belongs to.")
    district: Text | None = Field(
        default=None, description="District (quartier); one of the commune's districts."
    )
    location: Location | None = Field(
        default=None,
        description="Where the camera stands, e.g. {lat: 47.3522, lon: 0.6633}. Needed for "
        "the map; a warning is given when missing.",
    )
    direction: float | None = Field(
        default=None,
        ge=0,
        le=360,
        description="Bearing of the field of view in degrees, 0 = north, 90 = east: the "
        "short form of field_of_view.bearing (give one or the other).",
    )
    field_of_view: FieldOfView | None = Field(
        default=None,
        description="What the camera looks at, drawn on the map as a cone: "
        "{bearing: 135, angle: 60, range_m: 80} (degrees from north, degrees, metres).",
    )
    stream: Annotated[str, AfterValidator(_check_stream)] = Field(
        description="RTSP address of the stream: rtsp:// or rtsps://. Credentials may be "
        "written in it (user:password@); they are never stored in the database.",
    )
    transport: Transport = Field(
        default="tcp",
        description="How the video reaches Beffroi: tcp (inside the RTSP connection, "
        "nothing lost: the default) or udp, for the cameras and encoders that offer "
        "nothing else (VLC's server answers 461 to tcp). Over udp a lost packet damages "
        "a picture; keep it to the local network.",
    )
    reader: Reader = Field(
        default="ffmpeg",
        description="Which RTSP client records the camera: ffmpeg (FFmpeg's, through "
        "PyAV: every camera, both transports) or native (Beffroi's own: rtsp:// over "
        "tcp, H.264 and H.265; recording a camera costs about 0.6 times the CPU of "
        "ffmpeg; a camera it cannot read shows offline with the reason).",
    )
    username: Text | None = Field(
        default=None, description="User name for the stream, if not in the address."
    )
    password_env: Annotated[str, AfterValidator(_check_env_name)] | None = Field(
        default=None,
        description="Name of the environment variable that holds the stream's password.",
    )
    retention: Annotated[str, AfterValidator(_check_retention)] = Field(
        default="15d",
        description="How long recordings are kept before automatic destruction: a duration "
        "in days, hours and minutes such as 15d, 36h or 1d12h. At most 30d (CSI L252-5).",
    )
    view: View = Field(
        default="general",
        description="Kind of view, which sets the legal minimum picture: close-up "
        "(704x576 at 12 fps), general or traffic (352x288 at 6 fps).",
    )
    authorisation: Authorisation | None = Field(
        default=None,
        description="Prefectoral authorisation: {reference, expires}. A warning is given "
        "when missing, expired or expiring within 90 days.",
    )
    enabled: bool = Field(default=True, description="false stops recording this camera.")

    @property
    def bearing(self) -> float | None:
        """Direction of the view in degrees from north, from either way of writing it."""
        return self.field_of_view.bearing if self.field_of_view else self.direction

    @property
    def retention_s(self) -> int:
        """Retention in seconds."""
        return parse_retention(self.retention)

    @property
    def legal_minima(self) -> tuple[int, int, int]:
        """(width, height, fps) this camera must reach by law."""
        return legal_minima(self.view)

    @model_validator(mode="after")
    def _reader_fits(self) -> Camera:
        if self.reader == "native" and (
            self.transport != "tcp" or not self.stream.lower().startswith("rtsp://")
        ):
            raise ValueError(
                "reader: native reads rtsp:// streams over tcp only; "
                "use reader: ffmpeg for this camera"
            )
        return self


class Convention(_Strict):
    id: Slug = Field(description="Stable identifier of the intercommunal convention.")
    name: Text = Field(description="Name of the convention or intercommunal group.")
    communes: list[Slug] = Field(
        min_length=1, description="Ids of the communes that share their cameras under it."
    )


class RecordingSettings(_Strict):
    segment_seconds: int = Field(
        default=60, ge=10, le=600, description="Length of one recorded file, in seconds."
    )
    free_space_floor: Annotated[str, AfterValidator(_check_space)] = Field(
        default="5%",
        description="Free space always kept on the recording volume: a percentage (5%) or "
        "a size (20GB, 500MiB).",
    )
    cameras_per_worker: int = Field(
        default=30, ge=1, le=500, description="Cameras recorded by one worker process."
    )
    reconnect_max_seconds: int = Field(
        default=60, ge=1, le=3600, description="Longest wait between reconnection attempts."
    )
    stall_timeout_seconds: int = Field(
        default=10,
        ge=1,
        le=600,
        description="A connected camera that sends nothing for this long is reconnected.",
    )

    def space_floor(self) -> SpaceFloor:
        """The free-space floor, parsed."""
        return parse_space(self.free_space_floor)


class ExportSettings(_Strict):
    keep_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="Days a sealed package is kept after its requisition was delivered, "
        "then destroyed (the delivered copy serves the procedure; the centre's copy is "
        "footage outside the archive's retention). Packages not yet delivered are kept.",
    )
    fingerprint_published_at: Text | None = Field(
        default=None,
        description="Where the centre publishes the fingerprint of its export-signing key, "
        "outside any package (`beffroi journal key` prints it): a web page, the town hall's "
        "notice board, the prosecutor's office. Every package's LISEZMOI sends recipients "
        "there to check its signature, never to the fingerprint the package itself carries "
        "(a forger would write their own).",
    )


def _check_absolute(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError(f"{value!r} must be an absolute path (/mnt/…)")
    return value


def _check_syslog_address(value: str) -> str:
    for scheme in ("udp://", "tcp://"):
        if value.startswith(scheme):
            host, _, port = value[len(scheme) :].rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"{value!r}: expected {scheme}HOST:PORT")
            return value
    if not value.startswith("/"):
        raise ValueError(f"{value!r}: a socket path (/dev/log), udp://HOST:PORT or tcp://HOST:PORT")
    return value


def _check_address(value: str) -> str:
    local, at, domain = value.rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


class JournalPublishSettings(_Strict):
    file: Annotated[Text, AfterValidator(_check_absolute)] | None = Field(
        default=None,
        description="A file to which each signed checkpoint of the journal is appended as "
        "one JSON line (seq, hash, time, signature, key fingerprint) and flushed to disk. "
        "Put it on another mount (a NAS share, another disk, another server's export) "
        "that the centre's database administrators cannot rewrite: `beffroi journal "
        "verify --against FILE` then proves that the database still holds what it held.",
    )
    syslog: bool = Field(
        default=False,
        description="Also send each checkpoint to syslog (facility user, tag "
        "beffroi-journal), e.g. to the town's log collector.",
    )
    syslog_address: Annotated[Text, AfterValidator(_check_syslog_address)] | None = Field(
        default=None,
        description="Where syslog listens, when `syslog` is true: a Unix socket "
        "(/dev/log, the default), udp://HOST:PORT or tcp://HOST:PORT.",
    )
    email: Annotated[Text, AfterValidator(_check_address)] | None = Field(
        default=None,
        description="Address of the data-protection officer: once a day, the day's "
        "checkpoints in a file that `--against` reads, through `notifications.smtp`.",
    )
    email_hour: int = Field(
        default=7, ge=0, le=23, description="Hour of the daily e-mail (Europe/Paris)."
    )


class JournalSettings(_Strict):
    publish: JournalPublishSettings | None = Field(
        default=None,
        description="Copies of the journal's signed checkpoints outside the database; "
        "absent: none (the database alone cannot show that an older state of it was "
        "restored).",
    )


class Site(_Strict):
    communes: list[Commune] = Field(min_length=1, description="The communes served by the centre.")
    cameras: Annotated[list[Camera], BeforeValidator(_none_as_empty_list)] = Field(
        default_factory=list, description="The public-space cameras."
    )
    conventions: Annotated[list[Convention], BeforeValidator(_none_as_empty_list)] = Field(
        default_factory=list,
        description="Intercommunal conventions: groups of communes that share one centre "
        "and whose agents may see each other's cameras.",
    )
    recording: Annotated[RecordingSettings, BeforeValidator(_none_as_empty_dict)] = Field(
        default_factory=RecordingSettings, description="How the recorder works."
    )
    buildings: Annotated[list[Building], BeforeValidator(_none_as_empty_list)] = Field(
        default_factory=list,
        description="Municipal buildings whose alarm panels report to the centre, with "
        "their zones and the cameras that show them.",
    )
    alarms: Annotated[AlarmSettings, BeforeValidator(_none_as_empty_dict)] = Field(
        default_factory=AlarmSettings, description="How alarms are received and grouped."
    )
    notifications: Annotated[NotificationSettings, BeforeValidator(_none_as_empty_dict)] = Field(
        default_factory=NotificationSettings,
        description="How on-call agents are reached: e-mail, webhook, push, MQTT.",
    )
    exports: Annotated[ExportSettings, BeforeValidator(_none_as_empty_dict)] = Field(
        default_factory=ExportSettings,
        description="Sealed exports: where the key's fingerprint is published.",
    )
    journal: Annotated[JournalSettings, BeforeValidator(_none_as_empty_dict)] = Field(
        default_factory=JournalSettings,
        description="The journal of actions: where its signed checkpoints are published.",
    )
    map: Annotated[MapSettings, BeforeValidator(_none_as_empty_dict)] = Field(
        default_factory=MapSettings,
        description="The console's map: outlines of the communes and districts (GeoJSON "
        "files next to the site file) and, only if named, a tile server.",
    )
    # The outlines read from the `map` files by the loader (`beffroi.site.geojson`);
    # None for a site validated without its files (then nothing is drawn).
    _map_data: MapData | None = PrivateAttr(default=None)

    @property
    def map_data(self) -> MapData | None:
        return self._map_data

    @model_validator(mode="after")
    def _email_needs_smtp(self) -> Site:
        publish = self.journal.publish
        if publish is not None and publish.email is not None and self.notifications.smtp is None:
            raise ValueError(
                "journal.publish.email is sent through notifications.smtp: declare the relay"
            )
        return self

    def commune(self, commune_id: str) -> Commune | None:
        return next((c for c in self.communes if c.id == commune_id), None)

    def camera(self, camera_id: str) -> Camera | None:
        return next((c for c in self.cameras if c.id == camera_id), None)

    def building(self, building_id: str) -> Building | None:
        return next((b for b in self.buildings if b.id == building_id), None)


SECTIONS: tuple[str, ...] = tuple(Site.model_fields)

# The schema is read as one module (`from beffroi.site.models import ...`), wherever a
# section's classes live.
__all__ = [
    "SECTIONS",
    "AlarmMqttSettings",
    "AlarmSettings",
    "AlarmWebhookIntegration",
    "AlarmWebhookSettings",
    "Authorisation",
    "Building",
    "Camera",
    "Commune",
    "Convention",
    "ExportSettings",
    "FieldOfView",
    "HeartbeatSettings",
    "JournalPublishSettings",
    "JournalSettings",
    "Location",
    "MapSettings",
    "MqttAlarmTopic",
    "MqttSettings",
    "NotificationSettings",
    "NtfySettings",
    "RecordingSettings",
    "SiaDc09Settings",
    "Site",
    "SmtpSettings",
    "TileServer",
    "WebhookSettings",
    "Zone",
    "legal_minima",
]
