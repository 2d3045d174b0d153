"""Who is making a request: the result of authentication, handed to every route."""

from __future__ import annotations

from dataclasses import dataclass

from beffroi.access.permissions import Permission, Role, has_permission


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    role: Role
    # None: every commune of the installation (the administrator's scope).
    communes: frozenset[str] | None
    # The session the request came with (None for a principal not bound to a session).
    token_sha256: str | None = None

    def can(self, permission: Permission) -> bool:
        return has_permission(self.role, permission)

    def sees_commune(self, commune_id: str) -> bool:
        return self.communes is None or commune_id in self.communes
