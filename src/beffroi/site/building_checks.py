"""Checks of the site file's buildings and alarm zones (see `checks` for the rules)."""

from __future__ import annotations

from typing import Any

from beffroi.site.checks import Report, did_you_mean, districts, entries, text
from beffroi.site.yamltree import locate


def _shared_communes(data: Any) -> dict[str, set[str]]:
    """Commune -> the communes it shares cameras with (itself included)."""
    out: dict[str, set[str]] = {c: {c} for c in districts(data)}
    for _, conv in entries(data, "conventions"):
        members = conv.get("communes")
        names = {n for n in map(text, members) if n} if isinstance(members, list) else set()
        for name in names:
            out.setdefault(name, {name}).update(names)
    return out


def check_buildings(data: Any, report: Report) -> None:
    """Buildings name known communes and cameras; accounts and zone numbers are unique.

    A zone camera of another commune is refused unless a convention joins the two
    communes: an incident is shown to the agents of the building's commune, who may not
    see another commune's cameras (Conseil constitutionnel 2021-817 DC)."""
    communes = districts(data)
    shared = _shared_communes(data)
    camera_commune = {
        ident: text(cam.get("commune"))
        for _, cam in entries(data, "cameras")
        if (ident := text(cam.get("id"))) is not None
    }
    accounts: dict[str, int] = {}
    alarms = data.get("alarms") if isinstance(data, dict) else None
    dc09 = alarms.get("sia_dc09") if isinstance(alarms, dict) else None
    clear_refused = isinstance(dc09, dict) and dc09.get("insecure_cleartext") is not True
    for i, building in entries(data, "buildings"):
        commune = text(building.get("commune"))
        if commune is not None and commune not in communes:
            report.add(
                ("buildings", i, "commune"),
                f"unknown commune '{commune}'{did_you_mean(commune, list(communes))}: "
                "declare it under `communes` first",
            )
        account = text(building.get("alarm_account"))
        if account is not None:
            key = account.upper()
            if key in accounts:
                line = locate(report.root, ("buildings", accounts[key], "alarm_account"))
                report.add(
                    ("buildings", i, "alarm_account"),
                    f"alarm account '{account}' is already used on line {line}: each panel "
                    "needs its own account",
                )
            else:
                accounts[key] = i
        if building.get("alarm_key_env") is not None and building.get("alarm_key_file"):
            report.add(
                ("buildings", i, "alarm_key_file"),
                "give the key either through alarm_key_env or alarm_key_file, not both",
            )
        has_key = building.get("alarm_key_env") is not None or building.get("alarm_key_file")
        if has_key and account is None:
            report.add(("buildings", i), "a key is given but no alarm_account: add the account")
        if account is not None and not has_key and clear_refused:
            report.add(
                ("buildings", i, "alarm_account"),
                f"the panel of account '{account}' has no AES key: its alarms would travel "
                "in clear, forgeable by anyone on the network. Give its key (alarm_key_env "
                "or alarm_key_file), or accept keyless panels knowingly with "
                "alarms.sia_dc09.insecure_cleartext: true",
            )
        _check_zones(report, i, building, commune, camera_commune, shared)


def _check_zones(
    report: Report,
    i: int,
    building: dict[str, Any],
    commune: str | None,
    camera_commune: dict[str, str | None],
    shared: dict[str, set[str]],
) -> None:
    zones = building.get("zones")
    if not isinstance(zones, list):
        return
    seen: dict[int, int] = {}
    for j, zone in enumerate(zones):
        if not isinstance(zone, dict):
            continue
        number = zone.get("zone")
        if isinstance(number, int) and not isinstance(number, bool):
            if number in seen:
                line = locate(report.root, ("buildings", i, "zones", seen[number], "zone"))
                report.add(
                    ("buildings", i, "zones", j, "zone"),
                    f"zone {number} is already declared on line {line}",
                )
            else:
                seen[number] = j
        cams = zone.get("cameras")
        for k, cam in enumerate(cams if isinstance(cams, list) else []):
            name = text(cam)
            if name is None:
                continue
            path = ("buildings", i, "zones", j, "cameras", k)
            if name not in camera_commune:
                report.add(
                    path,
                    f"unknown camera '{name}'{did_you_mean(name, list(camera_commune))}: "
                    "declare it under `cameras`",
                )
                continue
            other = camera_commune[name]
            if (
                commune is not None
                and other is not None
                and other not in shared.get(commune, {commune})
            ):
                report.add(
                    path,
                    f"camera '{name}' belongs to {other}, not to {commune}: the agents of "
                    f"{commune} could not see it; link a camera of {commune}, or join the "
                    "two communes in a convention",
                )
