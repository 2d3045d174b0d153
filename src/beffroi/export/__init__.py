"""Sealed export packages: clips by stream copy, signed manifest, jobs, offline verify."""
