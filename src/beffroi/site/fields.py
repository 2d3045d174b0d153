"""Building blocks of the site file's schema: the strict base model, identifiers,
validators and the legal minima, shared by the sections in `models`, `alarm_models` and
`notification_models`."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from beffroi.site.credentials import STREAM_SCHEMES, redact_stream_url, split_stream_url
from beffroi.site.units import parse_retention, parse_space

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
INSEE_PATTERN = r"^(?:\d{5}|2[AB]\d{3})$"

View = Literal["close-up", "general", "traffic"]
Reader = Literal["ffmpeg", "native"]  # which RTSP client reads the camera (ingest/sources.py)
Transport = Literal["tcp", "udp"]  # how RTP reaches the recorder: interleaved in RTSP, or UDP

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


class FieldOfView(_Strict):
    bearing: float = Field(
        ge=0, le=360, description="Direction the camera looks, in degrees: 0 = north, 90 = east."
    )
    angle: float | None = Field(
        default=None,
        gt=0,
        le=360,
        description="Horizontal opening of the view in degrees (60 for a common fixed "
        "camera, 360 for a dome); unknown when left out.",
    )
    range_m: float | None = Field(
        default=None,
        gt=0,
        le=5000,
        description="How far the camera usefully sees, in metres; unknown when left out.",
    )
