"""The site file's schema: communes, cameras, conventions, recording, buildings, alarms.

Every field carries a description: the reference documentation of the site file is
generated from these models. Unknown keys are refused (`extra="forbid"`) so a typo such
as `retension: 45d` cannot silently fall back to a default. A new top-level section
(buildings, alarms, ...) is one more field on `Site` and, if it refers to other
sections, one more check in `beffroi.site.checks`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from beffroi.site.credentials import STREAM_SCHEMES, redact_stream_url, split_stream_url
from beffroi.site.units import SpaceFloor, parse_retention, parse_space

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
INSEE_PATTERN = r"^(?:\d{5}|2[AB]\d{3})$"

View = Literal["close-up", "general", "traffic"]

# Arrêté du 3 août 2007, art. 2: (width, height, frames per second) a camera must reach.
_LEGAL_MINIMA: dict[str, tuple[int, int, int]] = {
    "close-up": (704, 576, 12),
    "general": (352, 288, 6),
    "traffic": (352, 288, 6),
}


def legal_minima(view: str) -> tuple[int, int, int]:
    """(width, height, fps) the law requires of a camera with this kind of view."""
    try:
        return _LEGAL_MINIMA[view]
    except KeyError:
        raise ValueError(f"unknown view {view!r}: use close-up, general or traffic") from None


def _check_slug(value: str) -> str:
    if not re.match(SLUG_PATTERN, value):
        raise ValueError(
            f"'{value}' is not a valid id: use lower-case letters, digits and dashes, "
            "starting with a letter or a digit (e.g. jlt-001)"
        )
    return value


def _check_env_name(value: str) -> str:
    if not re.match(ENV_NAME_PATTERN, value):
        raise ValueError(
            f"'{value}' is not an environment variable name: use letters, digits and "
            "underscores, not starting with a digit (e.g. JLT_CAMERAS_PASSWORD)"
        )
    return value


def _check_insee(value: str) -> str:
    if not re.match(INSEE_PATTERN, value):
        raise ValueError(f"'{value}' is not an INSEE code: it has five characters, e.g. 37122")
    return value


def _check_stream(value: str) -> str:
    split = split_stream_url(value)
    scheme = split.url.partition("://")[0].lower() if "://" in split.url else ""
    host = split.url.partition("://")[2].partition("/")[0] if scheme else ""
    if scheme not in STREAM_SCHEMES or not host:
        raise ValueError(
            f"the stream must be an rtsp:// or rtsps:// address such as "
            f"rtsp://192.0.2.10:554/stream1 (got '{redact_stream_url(value)}')"
        )
    return value.strip()


def _check_retention(value: str) -> str:
    parse_retention(value)
    return value.strip()


def _check_space(value: str) -> str:
    parse_space(value)
    return value.strip()


def _none_as_empty_list(value: Any) -> Any:
    # `cameras:` with nothing under it is YAML null; it means "none yet", not an error.
    return [] if value is None else value


def _none_as_empty_dict(value: Any) -> Any:
    return {} if value is None else value


Slug = Annotated[
    str,
    Field(max_length=64, json_schema_extra={"pattern": SLUG_PATTERN}),
    AfterValidator(_check_slug),
]
Text = Annotated[str, Field(min_length=1, max_length=200)]


class _Strict(BaseModel):
    # Numbers become text where text is expected (`name: 2024`, `insee: 37122`).
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, str_strip_whitespace=True)


class Location(_Strict):
    lat: float = Field(ge=-90, le=90, description="Latitude in decimal degrees (WGS 84).")
    lon: float = Field(ge=-180, le=180, description="Longitude in decimal degrees (WGS 84).")


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
        description="Bearing of the field of view in degrees, 0 = north, 90 = east.",
    )
    stream: Annotated[str, AfterValidator(_check_stream)] = Field(
        description="RTSP address of the stream: rtsp:// or rtsps://. Credentials may be "
        "written in it (user:password@); they are never stored in the database.",
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
    def retention_s(self) -> int:
        """Retention in seconds."""
        return parse_retention(self.retention)

    @property
    def legal_minima(self) -> tuple[int, int, int]:
        """(width, height, fps) this camera must reach by law."""
        return legal_minima(self.view)


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


def _check_listen(value: str) -> str:
    host, colon, port = value.rpartition(":")
    if not colon or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(
            f"'{value}' is not an address to listen on: write host:port, e.g. 0.0.0.0:12128"
        )
    return value


def _check_hex(value: str) -> str:
    if not re.fullmatch(r"[0-9A-Fa-f]+", value):
        raise ValueError(f"'{value}' is not hexadecimal: use the digits 0-9 and letters A-F")
    return value.upper()


Account = Annotated[str, Field(min_length=3, max_length=16), AfterValidator(_check_hex)]


class Zone(_Strict):
    zone: int = Field(
        ge=0, le=9999, description="Zone (point) number as the alarm panel reports it, e.g. 1."
    )
    name: Text = Field(description="What the zone covers, in words: Hall, Salle de sport.")
    cameras: Annotated[list[Slug], BeforeValidator(_none_as_empty_list)] = Field(
        default_factory=list,
        description="Ids of the cameras that show the zone: an alarm of the zone opens an "
        "incident with them. They belong to the building's commune, or to a commune that "
        "shares a convention with it.",
    )
    preset: Text | None = Field(
        default=None,
        description="Name of the PTZ preset that points a camera at the zone (kept for "
        "when cameras are moved on alarm).",
    )
    procedure: Annotated[list[Text], BeforeValidator(_none_as_empty_list)] = Field(
        default_factory=list,
        description="Steps the agent follows on an alarm of the zone, in order.",
    )


class Building(_Strict):
    id: Slug = Field(description="Stable identifier, lower-case with dashes: gymnase-jean-bigot.")
    name: Text = Field(description="Name of the building: Gymnase Jean Bigot.")
    commune: Slug = Field(description="Id of the commune the building belongs to.")
    address: Text | None = Field(default=None, description="Postal address, for the agent.")
    location: Location | None = Field(
        default=None, description="Where the building stands, e.g. {lat: 47.3447, lon: 0.6561}."
    )
    alarm_account: Account | None = Field(
        default=None,
        description="The account number the building's alarm panel reports with (SIA "
        'DC-09: 3 to 16 hexadecimal digits, e.g. "4321"). Quote it so that leading zeros '
        "are kept. Unique across the site.",
    )
    alarm_key_env: Annotated[str, AfterValidator(_check_env_name)] | None = Field(
        default=None,
        description="Name of the environment variable holding the panel's AES key (32, 48 "
        "or 64 hexadecimal digits). With a key, only encrypted messages are accepted.",
    )
    alarm_key_file: Text | None = Field(
        default=None,
        description="Path of a file holding the panel's AES key (hexadecimal), instead of "
        "alarm_key_env. The key is never written in the site file nor stored.",
    )
    procedure: Annotated[list[Text], BeforeValidator(_none_as_empty_list)] = Field(
        default_factory=list,
        description="Steps the agent follows on any alarm of the building (before the "
        "zone's own steps).",
    )
    zones: Annotated[list[Zone], BeforeValidator(_none_as_empty_list)] = Field(
        default_factory=list, description="The alarm zones of the building."
    )

    def zone(self, number: int) -> Zone | None:
        return next((z for z in self.zones if z.zone == number), None)


class SiaDc09Settings(_Strict):
    listen: Annotated[str, AfterValidator(_check_listen)] = Field(
        description="Address and port the receiver listens on, over TCP and UDP both: "
        "127.0.0.1:12128 (this machine only) or 0.0.0.0:12128 (the network)."
    )
    receiver: Annotated[str, Field(max_length=6), AfterValidator(_check_hex)] | None = Field(
        default=None,
        description="Receiver number (1 to 6 hexadecimal digits) the panels are programmed "
        "with; when set, a message addressed to another receiver is refused.",
    )
    line: Annotated[str, Field(max_length=6), AfterValidator(_check_hex)] | None = Field(
        default=None,
        description="Line prefix (1 to 6 hexadecimal digits); when set, a message on "
        "another line is refused.",
    )
    past_seconds: int = Field(
        default=40,
        ge=1,
        le=3600,
        description="How old a message's timestamp may be (the standard says 40 s).",
    )
    future_seconds: int = Field(
        default=20,
        ge=1,
        le=3600,
        description="How far ahead of the server clock a timestamp may be (the standard "
        "says 20 s).",
    )


def _check_alarm_topic(value: str) -> str:
    levels = value.split("/")
    for i, level in enumerate(levels):
        special = level in ("+", "{building}", "{zone}") or (level == "#" and i == len(levels) - 1)
        if not special and not re.fullmatch(r"[^+#{}\x00]+", level):
            raise ValueError(
                f"'{value}' is not a topic pattern: each level is a word, + or a whole "
                "{building} or {zone}, and # comes last only (e.g. alarmes/{building}/{zone})"
            )
    return value


class AlarmWebhookIntegration(_Strict):
    token: Text = Field(
        description="Name of the API token (permission alarm.submit) the integration calls "
        "with; its requests must be signed with this integration's key."
    )
    secret_env: Annotated[str, AfterValidator(_check_env_name)] | None = Field(
        default=None,
        description="Environment variable holding the integration's signing key (HMAC-SHA256, "
        "32 characters or more). The key is never written in the site file nor stored.",
    )
    secret_file: Text | None = Field(
        default=None, description="File holding that key (instead of secret_env)."
    )
    buildings: Annotated[list[Slug], BeforeValidator(_none_as_empty_list)] = Field(
        default_factory=list,
        description="Buildings it may raise alarms for; empty: every building of the "
        "token's communes.",
    )


class AlarmWebhookSettings(_Strict):
    window_seconds: int = Field(
        default=300,
        ge=10,
        le=3600,
        description="How far a request's X-Beffroi-Timestamp may be from the server clock, "
        "either way; older or newer is refused (401), a replay within it too (409).",
    )
    integrations: list[AlarmWebhookIntegration] = Field(
        min_length=1,
        description="The systems allowed to POST alarms to /api/alarms (building "
        "management, panels with an HTTP output).",
    )


class MqttAlarmTopic(_Strict):
    topic: Annotated[
        str, Field(min_length=1, max_length=200), AfterValidator(_check_alarm_topic)
    ] = Field(
        description="Topic filter to subscribe to; {building} and {zone}, each a whole "
        "level, take those values from the topic: alarmes/{building}/{zone}. + and # as in "
        "MQTT."
    )
    building: Slug | None = Field(
        default=None,
        description="Building of this topic's messages when neither the topic nor the "
        "payload names one.",
    )
    zone: int | None = Field(
        default=None, ge=0, le=9999, description="Zone of this topic's messages, likewise."
    )
    event: Annotated[str, Field(max_length=16)] | None = Field(
        default=None,
        description="Event when the payload gives none: a SIA code (BA) or a kind (intrusion).",
    )
    payloads: dict[Annotated[str, Field(max_length=64)], Annotated[str, Field(max_length=16)]] = (
        Field(
            default_factory=dict,
            description='Plain payloads and the event each one means, e.g. {"ON": BA, "OFF": '
            "BR} for a Home Assistant sensor (quote ON and OFF: YAML reads them as true and "
            "false). Another payload is read as JSON, or as the event itself.",
        )
    )


class AlarmMqttSettings(_Strict):
    # A lambda: `_check_broker` (shared with notifications.mqtt) is defined further down.
    broker: Annotated[str, Field(max_length=300), AfterValidator(lambda v: _check_broker(v))] = (
        Field(description="The broker: mqtt://host:1883, or mqtts://host:8883 (TLS).")
    )
    username: Text | None = Field(default=None, description="User name on the broker.")
    password_env: Annotated[str, AfterValidator(_check_env_name)] | None = Field(
        default=None, description="Environment variable holding the broker password."
    )
    password_file: Text | None = Field(
        default=None, description="File holding the broker password (instead of password_env)."
    )
    client_id: Annotated[str, Field(min_length=1, max_length=64)] = Field(
        default="beffroi-alarms",
        description="Client id; the broker keeps its subscriptions and queued alarms across "
        "a reconnection (persistent session).",
    )
    topics: list[MqttAlarmTopic] = Field(
        min_length=1, description="The topics alarms arrive on, and how to read them."
    )


class AlarmSettings(_Strict):
    sia_dc09: SiaDc09Settings | None = Field(
        default=None,
        description="The SIA DC-09 receiver (alarm panels over IP); absent: not started.",
    )
    webhook: AlarmWebhookSettings | None = Field(
        default=None,
        description="The HTTP receiver, POST /api/alarms (scoped API token and signed "
        "body); absent: it answers 404.",
    )
    mqtt: AlarmMqttSettings | None = Field(
        default=None,
        description="The MQTT receiver: alarms read from a broker's topics; absent: not started.",
    )
    group_seconds: int = Field(
        default=300,
        ge=0,
        le=86_400,
        description="Alarms of one building less than this many seconds after the last "
        "one join its open incident instead of opening another (an alarm storm is one "
        "incident).",
    )


def _check_http_url(value: str) -> str:
    scheme, sep, rest = value.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest.split("/")[0]:
        raise ValueError(f"'{value}' is not a web address: write it like https://csu.example.fr")
    return value.rstrip("/")


def _check_broker(value: str) -> str:
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ValueError(
            f"'{value}' is not a broker address: write mqtt://host:1883 or mqtts://host:8883"
        )
    return value


def _check_topic_prefix(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*", value):
        raise ValueError(
            f"'{value}' is not a topic prefix: use letters, digits, dashes and slashes, "
            "without + or # (e.g. beffroi or ville/csu)"
        )
    return value


EnvName = Annotated[str, AfterValidator(_check_env_name)]
HttpUrl = Annotated[str, Field(max_length=500), AfterValidator(_check_http_url)]


class SmtpSettings(_Strict):
    host: Text = Field(description="Mail server (relay) that sends the alerts: smtp.example.fr.")
    port: int = Field(default=587, ge=1, le=65535, description="Its port (587 with STARTTLS).")
    sender: Text = Field(
        description="From address of the alert mails: Beffroi CSU <csu@ville.example.fr>."
    )
    starttls: bool = Field(
        default=True, description="Upgrade the connection with STARTTLS before sending."
    )
    username: Text | None = Field(default=None, description="User name, if the relay asks one.")
    password_env: EnvName | None = Field(
        default=None, description="Environment variable holding the relay's password."
    )
    password_file: Text | None = Field(
        default=None, description="File holding the relay's password (instead of password_env)."
    )
    timeout_seconds: int = Field(
        default=10, ge=1, le=120, description="A relay silent for this long is a failed attempt."
    )


class WebhookSettings(_Strict):
    secret_env: EnvName | None = Field(
        default=None,
        description="Environment variable holding the key that signs each POST "
        "(HMAC-SHA256, header X-Beffroi-Signature).",
    )
    secret_file: Text | None = Field(
        default=None, description="File holding that key (instead of secret_env)."
    )
    timeout_seconds: int = Field(
        default=10, ge=1, le=120, description="A receiver silent for this long is a failure."
    )


class NtfySettings(_Strict):
    url: HttpUrl = Field(
        description="Base address of the ntfy-compatible push server: https://ntfy.sh or "
        "the town's own server. Agents' contacts name their topic."
    )
    token_env: EnvName | None = Field(
        default=None, description="Environment variable holding an access token, if needed."
    )
    token_file: Text | None = Field(
        default=None, description="File holding that token (instead of token_env)."
    )
    timeout_seconds: int = Field(
        default=10, ge=1, le=120, description="A server silent for this long is a failure."
    )


class MqttSettings(_Strict):
    broker: Annotated[str, Field(max_length=300), AfterValidator(_check_broker)] = Field(
        description="The broker: mqtt://host:1883, or mqtts://host:8883 (TLS)."
    )
    topic_prefix: Annotated[str, Field(max_length=100), AfterValidator(_check_topic_prefix)] = (
        Field(
            default="beffroi",
            description="First level of every topic: <prefix>/<commune>/incidents/<id>.",
        )
    )
    username: Text | None = Field(default=None, description="User name on the broker.")
    password_env: EnvName | None = Field(
        default=None, description="Environment variable holding the broker password."
    )
    password_file: Text | None = Field(
        default=None, description="File holding the broker password (instead of password_env)."
    )
    publish_incidents: bool = Field(
        default=True, description="Publish every incident and each change of its state."
    )
    publish_cameras: bool = Field(
        default=True, description="Publish each camera's status (retained) when it changes."
    )


class NotificationSettings(_Strict):
    public_url: HttpUrl | None = Field(
        default=None,
        description="Address of the console as the agents' phones reach it, for the "
        "signed links in notifications: https://csu.ville.example.fr.",
    )
    link_minutes: int = Field(
        default=120,
        ge=5,
        le=1440,
        description="How long the link in a notification names its incident.",
    )
    smtp: SmtpSettings | None = Field(default=None, description="E-mail alerts; absent: none.")
    webhook: WebhookSettings | None = Field(
        default=None, description="Signed HTTP POST of each alert to a contact's URL."
    )
    ntfy: NtfySettings | None = Field(
        default=None, description="Push notifications to phones through an ntfy server."
    )
    mqtt: MqttSettings | None = Field(
        default=None,
        description="An MQTT broker: alerts to a contact's topic, and incidents and "
        "camera status for building management or Home Assistant.",
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

    def commune(self, commune_id: str) -> Commune | None:
        return next((c for c in self.communes if c.id == commune_id), None)

    def camera(self, camera_id: str) -> Camera | None:
        return next((c for c in self.cameras if c.id == camera_id), None)

    def building(self, building_id: str) -> Building | None:
        return next((b for b in self.buildings if b.id == building_id), None)


SECTIONS: tuple[str, ...] = tuple(Site.model_fields)
