"""The pre/post-alarm clip window comes from the site file: `alarms.clip`, then per building."""

from __future__ import annotations

import pytest

from beffroi.incidents.clip_window import ClipWindow, MediaSettings
from beffroi.site.loader import load_site_text
from beffroi.site.problems import SiteError
from tests.alarms.site import SITE


def test_default_window_is_20_s_before_and_40_s_after() -> None:
    settings = MediaSettings.of_site(load_site_text(SITE).site)
    assert settings.window("gymnase-jean-bigot") == ClipWindow(20.0, 40.0)


def test_site_and_building_windows() -> None:
    text = SITE.replace(
        "  group_seconds: 60\n",
        "  group_seconds: 60\n  clip: {before_seconds: 30, after_seconds: 60}\n",
    ).replace(
        "    name: Gymnase Jean Bigot\n",
        "    name: Gymnase Jean Bigot\n    clip: {before_seconds: 5, after_seconds: 10}\n",
    )
    settings = MediaSettings.of_site(load_site_text(text).site)
    assert settings.window("gymnase-jean-bigot") == ClipWindow(5.0, 10.0)
    assert settings.window("mairie-chambray") == ClipWindow(30.0, 60.0)
    assert settings.window(None) == ClipWindow(30.0, 60.0)


def test_a_window_out_of_bounds_is_refused_with_its_field() -> None:
    text = SITE.replace("  group_seconds: 60\n", "  clip: {before_seconds: 900}\n")
    with pytest.raises(SiteError) as err:
        load_site_text(text)
    assert "before_seconds" in str(err.value)
