"""The composition as `beffroi run` wires it (site file -> receiver -> incidents), driven
by `beffroi sim alarm`, and a SIGHUP-style reload of the accounts."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sqlalchemy import Engine

from beffroi.cli import main
from beffroi.clock import SystemClock
from beffroi.incidents.intake import AlarmIntake
from beffroi.incidents.queries import list_incidents
from beffroi.journal.service import Journal
from beffroi.site import demo_site_path
from beffroi.site.apply import apply_site
from beffroi.site.loader import load_site
from tests.alarms.site import KEY_ENV, KEY_HEX, SITE, load, seed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_sim_alarm_reaches_an_incident_through_the_wired_intake(
    engine: Engine,
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = SystemClock()
    port = free_port()
    text = SITE.replace("127.0.0.1:12128", f"127.0.0.1:{port}")
    site = seed(engine, clock, text)
    monkeypatch.setenv(KEY_ENV, KEY_HEX)
    intake = AlarmIntake.start(site, engine, clock, Journal.open(engine, clock, data_dir))
    try:
        to = f"127.0.0.1:{port}"
        assert main(["sim", "alarm", "--to", to, "--account", "4321", "--zone", "2"]) == 0
        assert '"ACK"' in capsys.readouterr().out
        code = main(
            [
                "sim",
                "alarm",
                "--to",
                to,
                "--account",
                "ABC123",
                "--key-env",
                KEY_ENV,
                "--udp",
                "--adm-cid",
                "--code",
                "130",
            ]
        )
        assert code == 0 and '"*ACK"' in capsys.readouterr().out
        assert main(["sim", "alarm", "--to", to, "--account", "7777"]) == 2
        assert '"DUH"' in capsys.readouterr().out
        # Reload: a new building's account is known at once, without a restart.
        reloaded = load(text.replace('alarm_account: "5101"', 'alarm_account: "7777"'))
        apply_site(engine, reloaded, clock)
        intake.reload(reloaded)
        assert main(["sim", "alarm", "--to", to, "--account", "7777"]) == 0
    finally:
        intake.stop()
    incidents = list_incidents(engine, None)
    assert sorted(i.building for i in incidents) == [
        "gymnase-jean-bigot",
        "hotel-de-ville",
        "mairie-chambray",
    ]
    assert {i.zone for i in incidents if i.building == "gymnase-jean-bigot"} == {2}


def test_the_demo_site_declares_the_receiver_and_linked_buildings(engine: Engine) -> None:
    site = load_site(demo_site_path()).site
    assert site.alarms.sia_dc09 is not None and site.alarms.sia_dc09.listen == "127.0.0.1:12128"
    gym = site.building("gymnase-jean-bigot")
    assert gym is not None and gym.alarm_account == "4321" and gym.zones[0].cameras == ["jlt-003"]
    cameras = {c.id: c.commune for c in site.cameras}
    for building in site.buildings:
        assert all(cameras[c] == building.commune for z in building.zones for c in z.cameras)
    apply_site(engine, site, SystemClock())
