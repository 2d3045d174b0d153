"""Camera health history: one sample a minute per camera (status, frame rate, bitrate),
kept 8 days, for the administration's health page and its charts.

The recorder knows only the present (`RecorderView.camera_states()`); this package
keeps what it said, so "was this camera up last night?" has an answer.
"""
