"""The pre/post-alarm clip window: the site file's `alarms.clip`, and per building."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from beffroi.site.alarm_models import ClipWindowSettings
from beffroi.site.models import Site


@dataclass(frozen=True)
class ClipWindow:
    pre_s: float = 20.0
    post_s: float = 40.0


@dataclass(frozen=True)
class MediaSettings:
    """The clip window, global and per building (`buildings[building_id]`): the site
    file's `alarms.clip` and each building's `clip`."""

    clip: ClipWindow = ClipWindow()
    buildings: Mapping[str, ClipWindow] = field(default_factory=dict)

    @classmethod
    def of_site(cls, site: Site) -> MediaSettings:
        def window(c: ClipWindowSettings) -> ClipWindow:
            return ClipWindow(float(c.before_seconds), float(c.after_seconds))

        return cls(
            clip=window(site.alarms.clip),
            buildings={b.id: window(b.clip) for b in site.buildings if b.clip is not None},
        )

    def window(self, building_id: str | None) -> ClipWindow:
        return self.buildings.get(building_id or "", self.clip)
