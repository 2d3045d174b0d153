"""Clip parameters shared by the simulator tests."""

from typing import Any

# Small clips keep encoding (once per session) and decoding fast on a 2-core machine.
SMALL: dict[str, Any] = {
    "width": 320,
    "height": 240,
    "fps": 15,
    "bitrate": 300_000,
    "duration": 3.0,
}
