"""The API's shapes for requisitions and holds (pydantic: validation, 422 and OpenAPI).

Instants must carry a zone (`AwareDatetime`): "08:00" is two different instants in UTC
and in Paris, and a wrong guess would hold, and hand over, the wrong hour of footage.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from beffroi.playback.timeline import MAX_WINDOW_MS


def _text(max_length: int) -> object:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


# Far outside any footage, and outside what every conversion (Paris time, ms) handles.
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _plausible(value: datetime) -> datetime:
    if not _EARLIEST <= value < _LATEST:
        raise ValueError("date out of range: between 2000 and 2099")
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_plausible)]
Name = Annotated[str, _text(200)]
Short = Annotated[str, _text(100)]
LongText = Annotated[str, _text(4000)]

LegalBasis = Literal["60-1", "77-1-1", "99-3", "igp", "other"]


class AuthorityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name = Field(description="Name of the magistrate or judicial police officer")
    rank: Short | None = Field(
        default=None, description="Rank or title (OPJ, capitaine, substitut du procureur...)"
    )
    service: Name = Field(description="Service: commissariat, brigade, parquet...")
    unit: Name | None = Field(default=None, description="Unit within the service")


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    camera: Annotated[str, _text(64)] = Field(description="Camera identifier, e.g. jlt-003")
    start: Instant = Field(description="Start of the requested range, with a zone")
    end: Instant = Field(description="End of the requested range, with a zone")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.start >= self.end:
            raise ValueError("start must be before end")
        if (self.end - self.start).total_seconds() * 1000 > MAX_WINDOW_MS:
            raise ValueError(f"range too long: at most {MAX_WINDOW_MS // 86_400_000} days")
        return self


class RequisitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    authority: AuthorityIn = Field(description="Who requires the footage")
    legal_basis: LegalBasis = Field(
        description="Code de procédure pénale article: 60-1 (flagrance), 77-1-1 "
        "(préliminaire), 99-3 (instruction), igp (instruction générale du parquet), other"
    )
    legal_basis_other: LongText | None = Field(
        default=None, description="The legal basis in words; required when legal_basis is other"
    )
    procedure: Short = Field(description="Procedure number, as written on the requisition")
    received_at: Instant = Field(description="When the centre received it, with a zone")
    items: list[ItemIn] = Field(
        min_length=1, max_length=200, description="Requested cameras and ranges (at least one)"
    )
    notes: LongText | None = Field(default=None, description="Free notes")
    assigned_to: list[Short] = Field(
        default_factory=list,
        max_length=50,
        description="Usernames of the investigators who may see it and download packages",
    )

    @model_validator(mode="after")
    def _other_basis(self) -> Self:
        if self.legal_basis == "other" and not self.legal_basis_other:
            raise ValueError("legal_basis_other is required when legal_basis is other")
        return self


class ItemsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[ItemIn] = Field(
        min_length=1,
        max_length=200,
        description="Cameras and ranges to add (the requisition holds at most 200 in all)",
    )


class DeliverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    delivered_to: Name = Field(description="Name of the person the package was handed to")
    delivered_at: Instant | None = Field(
        default=None, description="When it was handed over (default: now), with a zone"
    )
    medium: Short = Field(description='Medium: "clé USB", "DVD", "téléchargement"...')
    signature: Name = Field(description="Name of who signed the handover receipt")


class RefuseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: LongText = Field(description="Why the requisition is refused")


class NoFootageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: LongText | None = Field(default=None, description="Optional closing note")


class AuthorityOut(BaseModel):
    name: str = Field(description="Name of the magistrate or officer")
    rank: str | None = Field(description="Rank or title")
    service: str = Field(description="Service")
    unit: str | None = Field(description="Unit")


class Interval(BaseModel):
    start: datetime = Field(description="Start (UTC)")
    end: datetime = Field(description="End (UTC)")
    seconds: float = Field(description="Length in seconds")


class DestroyedOut(Interval):
    reason: str = Field(description="retention | disk_pressure | clock_step")
    destroyed_at: datetime = Field(description="When the footage was destroyed (UTC)")


class FootageOut(BaseModel):
    recorded_seconds: float = Field(description="Seconds of footage in the index for the range")
    ranges: list[Interval] = Field(description="Continuous recorded ranges")
    gaps: list[Interval] = Field(description="Intervals without footage, up to now")
    destroyed: list[DestroyedOut] = Field(
        description="Parts destroyed by retention or disk pressure before being held"
    )
    messages: list[str] = Field(description="What an operator should know, in words")


class ItemOut(BaseModel):
    camera: str = Field(description="Camera identifier")
    start: datetime = Field(description="Start of the requested range (UTC)")
    end: datetime = Field(description="End of the requested range (UTC)")
    footage: FootageOut | None = Field(
        default=None, description="What the archive holds (on GET of one requisition only)"
    )


class DeliveryOut(BaseModel):
    to: str = Field(description="Who received the package")
    at: datetime = Field(description="When (UTC)")
    medium: str = Field(description="On which medium")
    signature: str = Field(description="Who signed the handover receipt")


class HoldOut(BaseModel):
    id: int = Field(description="Hold id")
    camera: str = Field(description="Camera identifier")
    start: datetime = Field(description="Start of the held range (UTC)")
    end: datetime = Field(description="End of the held range (UTC)")
    reason: str = Field(description="Why it is held")
    requisition_id: int | None = Field(description="The requisition that placed it, if any")
    created_by: str = Field(description="Who placed it")
    created_at: datetime = Field(description="When (UTC)")
    active: bool = Field(description="False once released")
    released_by: str | None = Field(description="Who released it")
    released_at: datetime | None = Field(description="When (UTC)")
    release_reason: str | None = Field(description="Why it was released")
    expires_at: datetime | None = Field(
        default=None,
        description="A hold placed by hand lapses then unless renewed (released by the "
        "system, journaled); null for a requisition's hold",
    )


class HistoryOut(BaseModel):
    from_state: str | None = Field(description="State before (null for the creation)")
    to_state: str = Field(description="State after")
    by: str = Field(description="Who made the change")
    at: datetime = Field(description="When (UTC)")
    detail: str | None = Field(description="Facts of the change, canonical JSON")


class RequisitionOut(BaseModel):
    id: int = Field(description="Internal id")
    number: str = Field(description="Register number, YYYY-NNNN")
    state: str = Field(description="received | extracting | delivered | no_footage | refused")
    authority: AuthorityOut = Field(description="Who requires the footage")
    legal_basis: str = Field(description="60-1 | 77-1-1 | 99-3 | igp | other")
    legal_basis_other: str | None = Field(description="The legal basis in words, for other")
    procedure: str = Field(description="Procedure number")
    received_at: datetime = Field(description="When the centre received it (UTC)")
    notes: str | None = Field(description="Free notes")
    assigned_to: list[str] = Field(description="Usernames of the assigned investigators")
    created_by: str = Field(description="Who recorded it")
    created_at: datetime = Field(description="When it was recorded (UTC)")
    closed_at: datetime | None = Field(description="When it was closed (UTC)")
    delivery: DeliveryOut | None = Field(description="The handover, once delivered")
    close_reason: str | None = Field(description="Refusal reason or closing note")
    items: list[ItemOut] = Field(description="Requested cameras and ranges")
    holds: list[HoldOut] = Field(
        default_factory=list, description="Its legal holds (GET of one requisition only)"
    )
    history: list[HistoryOut] = Field(
        default_factory=list,
        description="Every state change, and each addition of items (same state before "
        "and after, the items in `detail`) (GET of one requisition only)",
    )


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    camera: Annotated[str, _text(64)] = Field(description="Camera identifier")
    start: Instant = Field(description="Start of the range to hold, with a zone")
    end: Instant = Field(description="End of the range to hold, with a zone")
    reason: LongText = Field(description="Why the footage must be kept")
    days: int = Field(
        default=30,
        ge=1,
        le=30,
        description="Days until the hold lapses unless renewed (at most 30: a hold without "
        "a requisition must not outlive the law silently)",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


class RenewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: int = Field(ge=1, le=30, description="Days from now until the hold lapses again")
    reason: LongText = Field(description="Why the footage must still be kept")


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: LongText = Field(description="Why the hold is released (e.g. prosecutor's decision)")
