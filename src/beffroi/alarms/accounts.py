"""The panels the centre expects, from the site file: account -> building and AES key.

Keys are read from the environment variable or the file the site file names, never
from the site file itself, and never stored. A building whose key cannot be read is
left out (its panel's messages are then refused as an unknown account) and the reason
is returned, to be logged at start-up: one bad key must not silence every building.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from beffroi.alarms.dc09 import parse_key
from beffroi.alarms.decoder import AlarmAccount
from beffroi.site.models import Building, Site


def building_key(building: Building, environ: Mapping[str, str] | None = None) -> bytes | None:
    """The building's AES key, None when it has none; ValueError when unreadable."""
    env = os.environ if environ is None else environ
    if building.alarm_key_env is not None:
        text = env.get(building.alarm_key_env)
        if not text:
            raise ValueError(f"the environment variable {building.alarm_key_env} is not set")
    elif building.alarm_key_file is not None:
        try:
            text = Path(building.alarm_key_file).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read the key file {building.alarm_key_file}: {exc}") from None
    else:
        return None
    return parse_key(text)


def site_accounts(
    site: Site, environ: Mapping[str, str] | None = None
) -> tuple[dict[str, AlarmAccount], list[str]]:
    """(accounts by number, problems in plain words)."""
    accounts: dict[str, AlarmAccount] = {}
    problems: list[str] = []
    for building in site.buildings:
        if building.alarm_account is None:
            continue
        try:
            key = building_key(building, environ)
        except ValueError as exc:
            problems.append(f"building {building.id}: alarm key: {exc}; its alarms are refused")
            continue
        accounts[building.alarm_account] = AlarmAccount(
            account=building.alarm_account, building_id=building.id, key=key
        )
    return accounts, problems
