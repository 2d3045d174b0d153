"""The footage on disk and its index: segments written by stream copy, hash-chained
and fsynced; retention, disk pressure and holds; the destruction register; the hourly
seals into the journal; salvage, reindex and `beffroi check`."""
