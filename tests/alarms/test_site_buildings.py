"""Buildings and zones in the site file: bad input located at its line, keys from the
environment or a file (never stored), apply idempotent."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from beffroi.alarms.accounts import site_accounts
from beffroi.clock import FakeClock
from beffroi.site.apply import apply_site
from beffroi.site.loader import load_site_text
from beffroi.site.problems import SiteError
from beffroi.site.tables import buildings, zone_cameras
from tests.alarms.site import KEY, KEY_ENV, KEY_HEX, SITE, load


def problems(text: str) -> list[str]:
    with pytest.raises(SiteError) as exc:
        load_site_text(text, file="site.yaml", today=date(2026, 11, 1))
    return [str(p) for p in exc.value.problems]


def test_unknown_camera_duplicate_account_and_zone_are_located() -> None:
    text = SITE.replace("cameras: [jlt-004], procedure", "cameras: [jlt-044], procedure")
    text = text.replace('alarm_account: "5101"', 'alarm_account: "4321"')
    text = text.replace("{zone: 2, name: Salle", "{zone: 1, name: Salle")
    found = problems(text)
    assert found == [
        "site.yaml:17: buildings[0].zones[0].cameras[0] (gymnase-jean-bigot): unknown camera "
        "'jlt-044' (did you mean 'jlt-004'?): declare it under `cameras`",
        "site.yaml:18: buildings[0].zones[1].zone (gymnase-jean-bigot): zone 1 is already "
        "declared on line 17",
        "site.yaml:29: buildings[2].alarm_account (mairie-chambray): alarm account '4321' is "
        "already used on line 14: each panel needs its own account",
    ]


def test_a_camera_of_another_commune_is_refused_unless_a_convention_joins_them() -> None:
    text = SITE.replace(
        "{zone: 1, name: Accueil, cameras: [jlt-001]}",
        "{zone: 1, name: Accueil, cameras: [cha-001]}",
    )
    [problem] = problems(text)
    assert "buildings[1].zones[0].cameras[0]" in problem and "belongs to chambray" in problem
    shared = text + "conventions:\n  - {id: sud, name: Sud, communes: [joue-les-tours, chambray]}\n"
    assert load(shared).building("hotel-de-ville") is not None


def test_bad_values_are_named() -> None:
    text = SITE.replace('alarm_account: "5101"', 'alarm_account: "51G1"')
    text = text.replace('listen: "127.0.0.1:12128"', 'listen: "12128"')
    found = problems(text)
    assert any("buildings[2].alarm_account" in p and "hexadecimal" in p for p in found)
    assert any("alarms.sia_dc09.listen" in p and "host:port" in p for p in found)


def test_keys_come_from_the_environment_or_a_file(tmp_path: Path) -> None:
    site = load()
    accounts, trouble = site_accounts(site, {KEY_ENV: KEY_HEX})
    assert trouble == [] and accounts["ABC123"].key == KEY and accounts["4321"].key is None
    assert accounts["4321"].building_id == "gymnase-jean-bigot"
    accounts, trouble = site_accounts(site, {})
    assert "ABC123" not in accounts and "TEST_PANEL_KEY is not set" in trouble[0]
    _, trouble = site_accounts(site, {KEY_ENV: "00112233"})
    assert "32, 48 or 64" in trouble[0]
    key_file = tmp_path / "panel.key"
    key_file.write_text(KEY_HEX + "\n")
    by_file = load(SITE.replace("alarm_key_env: TEST_PANEL_KEY", f"alarm_key_file: {key_file}"))
    assert site_accounts(by_file, {})[0]["ABC123"].key == KEY
    both = SITE.replace(
        "alarm_key_env: TEST_PANEL_KEY", f"alarm_key_env: X\n    alarm_key_file: {key_file}"
    )
    assert any("not both" in p for p in problems(both))


def test_apply_stores_zones_without_keys_and_is_idempotent(
    engine: Engine, clock: FakeClock
) -> None:
    first = apply_site(engine, load(), clock)
    assert first.buildings_changed == ["gymnase-jean-bigot", "hotel-de-ville", "mairie-chambray"]
    assert apply_site(engine, load(), clock).buildings_changed == []
    # Accounts swapped between two buildings in one edit, a zone camera changed.
    swapped = SITE.replace('"4321"', '"TMP"').replace('"5101"', '"4321"').replace('"TMP"', '"5101"')
    swapped = swapped.replace(
        "{zone: 1, name: Hall, cameras: [jlt-004]", "{zone: 1, name: Hall, cameras: [jlt-003]"
    )
    changed = apply_site(engine, load(swapped), clock)
    assert sorted(changed.buildings_changed) == ["gymnase-jean-bigot", "mairie-chambray"]
    with engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(buildings))}
        cams = (
            conn.execute(
                select(zone_cameras.c.camera_id).where(
                    zone_cameras.c.building_id == "gymnase-jean-bigot", zone_cameras.c.zone == 1
                )
            )
            .scalars()
            .all()
        )
    assert rows["gymnase-jean-bigot"].alarm_account == "5101" and cams == ["jlt-003"]
    assert KEY_HEX not in str([tuple(r) for r in rows.values()])
    removed = apply_site(
        engine, load(SITE.split("  - id: mairie-chambray")[0] + "alarms: {}\n"), clock
    )
    assert "mairie-chambray" in removed.buildings_changed
    with engine.connect() as conn:
        gone = conn.execute(select(buildings).where(buildings.c.id == "mairie-chambray")).one()
    assert gone.removed_ms is not None and gone.alarm_account is None


def test_a_panel_without_a_key_is_refused_unless_clear_text_is_accepted_knowingly() -> None:
    text = SITE.replace("insecure_cleartext: true", "insecure_cleartext: false")
    found = problems(text)
    assert len(found) == 2, found  # gymnase-jean-bigot and mairie-chambray have no key
    assert all("has no AES key" in p and "insecure_cleartext: true" in p for p in found)
    assert "buildings[0].alarm_account" in found[0]
    assert load(SITE).alarms.sia_dc09.insecure_cleartext is True
