"""Who is making a request: the result of authentication, handed to every route."""

from __future__ import annotations

from dataclasses import dataclass

from beffroi.access.permissions import Permission, Role, has_permission


@dataclass(frozen=True)
class Principal:
    user_id: int  # 0 for an API token (a machine is no user)
    username: str  # "token:<name>" for an API token
    role: Role
    # None: every commune of the installation (the administrator's scope).
    communes: frozenset[str] | None
    # The session the request came with (None for a principal not bound to a session).
    token_sha256: str | None = None
    # A further restriction of the role's permissions (API tokens); None: the whole role.
    scopes: frozenset[Permission] | None = None
    # How the request authenticated: "bearer", "cookie", "enroll" or "api_token".
    auth: str = "bearer"
    token_id: int | None = None  # the API token's id, for the journal
    # Patrol agents: the cameras designated to them; None: every camera of the communes.
    cameras: frozenset[str] | None = None

    def can(self, permission: Permission) -> bool:
        if self.scopes is not None and permission not in self.scopes:
            return False
        return has_permission(self.role, permission)

    def sees_commune(self, commune_id: str) -> bool:
        return self.communes is None or commune_id in self.communes

    def sees_camera(self, camera_id: str, commune_id: str) -> bool:
        in_designation = self.cameras is None or camera_id in self.cameras
        return in_designation and self.sees_commune(commune_id)
