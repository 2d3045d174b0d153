"""Live view: the segment being recorded, served as it is written to any number of viewers."""
