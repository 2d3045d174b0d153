"""Secrets the site file names but never holds: a password, key or token is read from
an environment variable or a file (systemd credentials, a vault agent's file), so the
site file can be shared and versioned without them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


class SecretError(ValueError):
    """A named secret that cannot be read: said, never taken for an empty one."""


def secret_value(
    env: str | None, file: str | None, environ: Mapping[str, str] | None = None
) -> str | None:
    """The secret from the environment variable `env`, else the file `file` (stripped);
    None when neither is given. `SecretError` when the named one cannot be read."""
    if env is not None:
        value = (os.environ if environ is None else environ).get(env)
        if not value:
            raise SecretError(f"the environment variable {env} is not set")
        return value
    if file is not None:
        try:
            return Path(file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise SecretError(f"cannot read {file}: {exc}") from None
    return None
