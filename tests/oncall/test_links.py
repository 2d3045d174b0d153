"""Signed links: valid, expired, tampered, for another incident or installation."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from beffroi.oncall.links import ExpiredLinkError, IncidentLinks, LinkError, load_or_create_secret

NOW = datetime(2026, 11, 4, 22, 30, tzinfo=UTC)


def links(data_dir: Path) -> IncidentLinks:
    return IncidentLinks(
        load_or_create_secret(data_dir), "https://csu.example.fr", timedelta(minutes=30)
    )


def test_a_link_names_its_incident_until_it_expires(data_dir: Path) -> None:
    made = links(data_dir)
    url = made.url(42, NOW)
    parts = urlsplit(url)
    assert parts.netloc == "csu.example.fr" and parts.path == "/incidents/42"
    token = parse_qs(parts.query)["link"][0]
    incident, expires = made.verify(token, NOW + timedelta(minutes=29))
    assert incident == 42 and expires == NOW + timedelta(minutes=30)
    with pytest.raises(ExpiredLinkError):
        made.verify(token, NOW + timedelta(minutes=30))


def test_the_secret_is_private_and_stable(data_dir: Path) -> None:
    first = load_or_create_secret(data_dir)
    path = data_dir / "keys" / "incident-links.key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and len(first) == 32
    assert load_or_create_secret(data_dir) == first


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t.replace("42.", "43.", 1),  # another incident
        lambda t: ".".join([t.split(".")[0], str(int(t.split(".")[1]) + 3600), t.split(".")[2]]),
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # the signature
        lambda t: t.split(".")[0],  # truncated
        lambda t: "42..",
        lambda t: "x" * 50,
    ],
)
def test_a_tampered_link_is_refused(data_dir: Path, tamper) -> None:
    token = links(data_dir).token(42, NOW)
    with pytest.raises(LinkError) as caught:
        links(data_dir).verify(tamper(token), NOW)
    assert not isinstance(caught.value, ExpiredLinkError)


def test_a_link_of_another_installation_is_refused(data_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    token = links(other).token(42, NOW)
    with pytest.raises(LinkError):
        links(data_dir).verify(token, NOW)
