"""A small site with buildings and zones, loaded through the real site-file path."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from beffroi.clock import Clock
from beffroi.site.apply import apply_site
from beffroi.site.loader import load_site_text
from beffroi.site.models import Site

KEY_HEX = "000102030405060708090A0B0C0D0E0F"
KEY = bytes.fromhex(KEY_HEX)
KEY_ENV = "TEST_PANEL_KEY"

SITE = """\
communes:
  - {id: joue-les-tours, name: Joué-lès-Tours}
  - {id: chambray, name: Chambray-lès-Tours}
cameras:
  - {id: jlt-001, name: Hôtel de ville, commune: joue-les-tours, stream: "rtsp://127.0.0.1/1"}
  - {id: jlt-003, name: Gymnase parking, commune: joue-les-tours, stream: "rtsp://127.0.0.1/3"}
  - {id: jlt-004, name: Gymnase rue, commune: joue-les-tours, stream: "rtsp://127.0.0.1/4"}
  - {id: cha-001, name: Mairie, commune: chambray, stream: "rtsp://127.0.0.1/5"}
buildings:
  - id: gymnase-jean-bigot
    name: Gymnase Jean Bigot
    commune: joue-les-tours
    location: {lat: 47.3447, lon: 0.6561}
    alarm_account: "4321"
    procedure: [Regarder les caméras]
    zones:
      - {zone: 1, name: Hall, cameras: [jlt-004], procedure: [Vérifier la porte]}
      - {zone: 2, name: Salle, cameras: [jlt-003, jlt-004]}
  - id: hotel-de-ville
    name: Hôtel de ville
    commune: joue-les-tours
    alarm_account: "ABC123"
    alarm_key_env: TEST_PANEL_KEY
    zones:
      - {zone: 1, name: Accueil, cameras: [jlt-001]}
  - id: mairie-chambray
    name: Mairie de Chambray
    commune: chambray
    alarm_account: "5101"
    zones:
      - {zone: 1, name: Hall, cameras: [cha-001]}
alarms:
  sia_dc09: {listen: "127.0.0.1:12128", insecure_cleartext: true}
  group_seconds: 60
"""


def load(text: str = SITE) -> Site:
    return load_site_text(text, today=date(2026, 11, 1)).site


def seed(engine: Engine, clock: Clock, text: str = SITE) -> Site:
    site = load(text)
    apply_site(engine, site, clock)
    return site
