"""The site file's `notifications` section: how on-call agents are reached."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from beffroi.site.fields import (
    EnvName,
    HttpUrl,
    Text,
    _check_broker,
    _check_topic_prefix,
    _none_as_empty_list,
    _Strict,
)


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
    allowed_hosts: Annotated[list[Text], BeforeValidator(_none_as_empty_list)] = Field(
        default_factory=list,
        description="The hosts an agent's webhook contact may name (host names, IP "
        "addresses or networks such as 10.20.0.0/16); a contact naming another is refused "
        "when saved. A host that resolves to a loopback, private or link-local address is "
        "refused at sending unless that address (or its network) is listed too.",
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


class HeartbeatSettings(_Strict):
    """A dead man's switch: the centre calls an outside monitor's address every minute
    while it works, so that its silence (a dead server, a cut network, a recorder that
    records nothing) is noticed by a service that does not share its fate."""

    url: HttpUrl | None = Field(
        default=None,
        description="The monitor's check address (healthchecks, Uptime Kuma push, Better "
        "Stack heartbeat, a second centre…); it usually carries the check's token: "
        "prefer url_env or url_file.",
    )
    url_env: EnvName | None = Field(
        default=None, description="Environment variable holding that address."
    )
    url_file: Text | None = Field(default=None, description="File holding that address.")
    method: Literal["POST", "GET"] = Field(
        default="POST",
        description="POST sends the centre's state as JSON; GET for monitors that take no body.",
    )
    every_seconds: int = Field(
        default=60, ge=10, le=3600, description="Time between two calls while all is well."
    )
    timeout_seconds: int = Field(
        default=10, ge=1, le=60, description="A monitor silent for this long is a failed call."
    )

    @model_validator(mode="after")
    def _one_address(self) -> HeartbeatSettings:
        given = [n for n in ("url", "url_env", "url_file") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give the monitor's address once: url, url_env or url_file")
        return self


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
    heartbeat: HeartbeatSettings | None = Field(
        default=None,
        description="A dead man's switch: an outside monitor called every minute while "
        "the centre records, which raises the alarm when the calls stop.",
    )
