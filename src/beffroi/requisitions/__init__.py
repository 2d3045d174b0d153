"""Judicial requisitions: the register, its numbering and state machine, legal holds."""
