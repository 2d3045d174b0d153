"""Recorded footage out: the timeline (segments and gaps), seeking, streaming a
span as fragmented MP4, snapshots, and the legal minima of what is shown."""
