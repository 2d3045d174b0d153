"""The site file's buildings, their alarm zones, and the alarm receivers' settings."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from beffroi.site.fields import (
    Account,
    Location,
    Slug,
    Text,
    _check_alarm_topic,
    _check_broker,
    _check_env_name,
    _check_hex,
    _check_listen,
    _none_as_empty_list,
    _Strict,
)


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


class ClipWindowSettings(_Strict):
    before_seconds: int = Field(
        default=20,
        ge=0,
        le=300,
        description="Seconds of footage before the alarm in the incident's clip (the "
        "intruder coming in).",
    )
    after_seconds: int = Field(
        default=40,
        ge=1,
        le=600,
        description="Seconds after the alarm; the clip is assembled once they have passed.",
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

    clip: ClipWindowSettings | None = Field(
        default=None,
        description="This building's clip window, instead of `alarms.clip` (a car park "
        "wants more before the alarm than a hall).",
    )


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
    insecure_cleartext: bool = Field(
        default=False,
        description="Accept panels without an AES key, whose messages travel in clear and "
        "unauthenticated (anyone on the path can read them, forge an alarm or hide one). "
        "false (the default): every building with an alarm_account needs its key.",
    )


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
    clip: ClipWindowSettings = Field(
        default_factory=ClipWindowSettings,
        description="The clip each alarm's cameras get: 20 s before to 40 s after, unless "
        "a building says otherwise.",
    )
    group_seconds: int = Field(
        default=300,
        ge=0,
        le=86_400,
        description="Alarms of one building less than this many seconds after the last "
        "one join its open incident instead of opening another (an alarm storm is one "
        "incident).",
    )
