"""Synthetic test picture drawn with numpy: moving gradient, bouncing box, frame counter.

Frames are produced directly in planar YUV 4:2:0 so no colour conversion is needed before
encoding. A little temporal noise is added because a perfectly clean picture compresses far
below the requested bitrate, which would make bandwidth benchmarks unrealistic.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

# Seven-segment layout: a (top), b (top right), c (bottom right), d (bottom),
# e (bottom left), f (top left), g (middle).
_DIGIT_SEGMENTS = {
    0: "abcdef",
    1: "bc",
    2: "abdeg",
    3: "abcdg",
    4: "bcfg",
    5: "acdfg",
    6: "acdefg",
    7: "abc",
    8: "abcdefg",
    9: "abcdfg",
}

U8 = npt.NDArray[np.uint8]


class PatternGenerator:
    """Produces frame ``i`` of the synthetic clip as a ``(h * 3 // 2, w)`` yuv420p array."""

    def __init__(self, width: int, height: int, fps: int, seed: int = 1234) -> None:
        if width % 2 or height % 2:
            raise ValueError("width and height must be even for yuv420p")
        self.width = width
        self.height = height
        self.fps = fps
        self._rng = np.random.default_rng(seed)
        ys, xs = np.mgrid[0:height, 0:width]
        self._diag = (xs * 256 // max(width, 1) + ys * 128 // max(height, 1)).astype(np.int32)
        cys, cxs = np.mgrid[0 : height // 2, 0 : width // 2]
        self._cx = cxs.astype(np.int32)
        self._cy = cys.astype(np.int32)
        self._digit_h = max(height // 8, 14)
        self._digit_w = max(self._digit_h // 2, 7)
        self._stroke = max(self._digit_h // 8, 2)

    def frame(self, index: int) -> U8:
        w, h = self.width, self.height
        shift = index * 6
        luma = ((self._diag + shift) % 200 + 28).astype(np.int16)
        luma += self._rng.integers(-6, 7, size=(h, w), dtype=np.int16)
        self._draw_box(luma, index)
        self._draw_counter(luma, index)
        y_plane = np.clip(luma, 16, 235).astype(np.uint8)
        u_plane = ((self._cx * 2 + index * 3) % 160 + 48).astype(np.uint8)
        v_plane = ((self._cy * 2 + index * 2) % 160 + 48).astype(np.uint8)
        return np.concatenate(
            [y_plane.reshape(-1), u_plane.reshape(-1), v_plane.reshape(-1)]
        ).reshape(h * 3 // 2, w)

    def _draw_box(self, luma: npt.NDArray[np.int16], index: int) -> None:
        w, h = self.width, self.height
        size = max(min(w, h) // 5, 8)
        span_x, span_y = max(w - size, 1), max(h - size, 1)
        # Triangle waves bounce the box off the edges at a speed independent of the fps.
        t = index / self.fps
        x = int(abs((t * w * 0.35) % (2 * span_x) - span_x))
        y = int(abs((t * h * 0.25) % (2 * span_y) - span_y))
        luma[y : y + size, x : x + size] = 235
        inner = size // 4
        luma[y + inner : y + size - inner, x + inner : x + size - inner] = 16

    def _draw_counter(self, luma: npt.NDArray[np.int16], index: int) -> None:
        text = f"{index:05d}"
        dw, dh, st = self._digit_w, self._digit_h, self._stroke
        margin = st * 2
        panel_w = margin * 2 + len(text) * (dw + margin)
        panel_h = dh + margin * 2
        luma[0 : min(panel_h, self.height), 0 : min(panel_w, self.width)] = 16
        for pos, char in enumerate(text):
            x0 = margin + pos * (dw + margin)
            self._draw_digit(luma, int(char), x0, margin)

    def _draw_digit(self, luma: npt.NDArray[np.int16], digit: int, x0: int, y0: int) -> None:
        dw, dh, st = self._digit_w, self._digit_h, self._stroke
        half = dh // 2
        rects = {
            "a": (x0, y0, dw, st),
            "b": (x0 + dw - st, y0, st, half),
            "c": (x0 + dw - st, y0 + half, st, dh - half),
            "d": (x0, y0 + dh - st, dw, st),
            "e": (x0, y0 + half, st, dh - half),
            "f": (x0, y0, st, half),
            "g": (x0, y0 + half - st // 2, dw, st),
        }
        for segment in _DIGIT_SEGMENTS[digit]:
            x, y, rw, rh = rects[segment]
            luma[y : y + rh, x : x + rw] = 235
