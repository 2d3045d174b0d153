"""The site file's schema: communes, cameras, intercommunal conventions, recording.

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

    def commune(self, commune_id: str) -> Commune | None:
        return next((c for c in self.communes if c.id == commune_id), None)

    def camera(self, camera_id: str) -> Camera | None:
        return next((c for c in self.cameras if c.id == camera_id), None)


SECTIONS: tuple[str, ...] = tuple(Site.model_fields)
