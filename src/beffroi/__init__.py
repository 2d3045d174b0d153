"""Beffroi: the open software of a municipal urban supervision centre (CSU)."""

__version__ = "0.1.0"
