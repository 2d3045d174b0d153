"""The demo site: five communes south of Tours sharing one centre, twelve cameras."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def demo_site_path() -> Path:
    """The demo's site file (streams are the simulated cameras cam0..cam11)."""
    return _HERE / "site.yaml"


def demo_communes_geojson_path() -> Path:
    """Approximate outlines of the demo's five communes, for the offline map."""
    return _HERE / "communes.geojson"
