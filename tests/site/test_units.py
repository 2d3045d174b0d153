"""Durations, retention limits, free-space floors and stream credentials: pure functions."""

import pytest

from beffroi.site.credentials import (
    camera_stream_credentials,
    redact_stream_url,
    split_stream_url,
    url_with_credentials,
)
from beffroi.site.models import Camera, legal_minima
from beffroi.site.units import (
    DAY_S,
    format_duration,
    parse_duration,
    parse_retention,
    parse_space,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("15d", 15 * DAY_S),
        ("36h", 36 * 3600),
        ("90m", 90 * 60),
        ("1d12h", 36 * 3600),
        ("1d 12h 30m", DAY_S + 12 * 3600 + 30 * 60),
        ("30d", 30 * DAY_S),
        ("720h", 30 * DAY_S),
    ],
)
def test_durations_and_retentions_accepted(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds
    assert parse_retention(text) == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31d", "retention 31d exceeds the legal maximum of 30 days (CSI L252-5)"),
        ("30d1m", "exceeds the legal maximum of 30 days"),
        ("721h", "exceeds the legal maximum"),
        ("0d", "retention must be longer than zero"),
        ("0m", "retention must be longer than zero"),
        ("abc", "not a duration: use e.g. 15d, 36h, 90m"),
        ("15", "a number alone has no unit: did you mean 15d?"),
        ("2w", "not a duration"),
        ("12h1d", "not a duration"),
        ("", "not a duration"),
    ],
)
def test_retentions_refused_with_words(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_retention(text)


def test_format_duration_is_the_shortest_spelling() -> None:
    assert format_duration(15 * DAY_S) == "15d"
    assert format_duration(36 * 3600) == "1d12h"
    assert format_duration(90 * 60) == "1h30m"
    assert parse_duration(format_duration(DAY_S + 61 * 60)) == DAY_S + 61 * 60


def test_space_floor_percent_and_sizes() -> None:
    assert parse_space("5%").bytes_for(1_000_000) == 50_000
    assert parse_space("20GB").bytes_for(10**15) == 20 * 10**9
    assert parse_space("500MiB").size_bytes == 500 * 2**20
    assert parse_space("1.5TiB").size_bytes == int(1.5 * 2**40)
    for bad in ("0%", "100%", "5 parsecs", "lots"):
        with pytest.raises(ValueError):
            parse_space(bad)


def test_legal_minima_by_view() -> None:
    assert legal_minima("close-up") == (704, 576, 12)
    assert legal_minima("general") == (352, 288, 6)
    assert legal_minima("traffic") == (352, 288, 6)
    with pytest.raises(ValueError):
        legal_minima("panoramic")


def test_credentials_are_split_out_of_the_stream_address() -> None:
    split = split_stream_url("rtsp://op%40jlt:p%3Ass@192.0.2.10:554/Streaming/101?x=1")
    assert split.url == "rtsp://192.0.2.10:554/Streaming/101?x=1"
    assert (split.username, split.password) == ("op@jlt", "p:ss")
    assert split_stream_url("rtsp://cam/1").username is None
    assert split_stream_url("rtsp://user@[::1]:554/a").url == "rtsp://[::1]:554/a"
    rebuilt = url_with_credentials(split.url, "op@jlt", "p:ss")
    assert split_stream_url(rebuilt) == split
    assert "p:ss" not in redact_stream_url(rebuilt) and "***" in redact_stream_url(rebuilt)


def test_camera_stream_credentials_from_address_or_environment() -> None:
    in_url = Camera(id="a", name="A", commune="c", stream="rtsp://u:secret@cam/1")
    assert camera_stream_credentials(in_url, environ={}) == ("rtsp://cam/1", "u", "secret")
    from_env = Camera(
        id="b", name="B", commune="c", stream="rtsp://cam/2", username="op", password_env="PW"
    )
    assert camera_stream_credentials(from_env, environ={"PW": "s3"}) == ("rtsp://cam/2", "op", "s3")
    assert camera_stream_credentials(from_env, environ={}) == ("rtsp://cam/2", "op", None)
