"""The permission matrix: which role may do what. The one place rights are decided.

Every HTTP route declares the permission it needs (`web.deps.require`); `create_app`
refuses to start if a route declares none, so a forgotten check is a crash at start-up,
not a silent hole. Commune scope is orthogonal: a permission says *what* a user may do,
`Principal.sees_commune` says *where*.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"  # the town's administrator: cameras, users, storage
    SUPERVISOR = "supervisor"  # head of the centre
    OPERATOR = "operator"  # municipal police / approved agent at the video wall
    INVESTIGATOR = "investigator"  # OPJ: police or gendarmerie officer requesting footage
    PATROL = "patrol"  # agents in the field: live view only
    AUDITOR = "auditor"  # data-protection officer, CNIL: journals and registers, no video


class Permission(StrEnum):
    ACCOUNT_SELF = "account.self"  # one's own session (logout); every role
    CAMERA_LIST = "camera.list"  # camera metadata and live status
    CAMERA_VIEW_LIVE = "camera.view_live"
    RECORDING_READ = "recording.read"  # timeline and playback of recorded footage
    SNAPSHOT_READ = "snapshot.read"  # a still frame of recorded footage
    EXPORT_CREATE = "export.create"
    HOLD_MANAGE = "hold.manage"  # judicial holds
    REQUISITION_MANAGE = "requisition.manage"
    JOURNAL_READ = "journal.read"
    STORAGE_READ = "storage.read"
    METRICS_READ = "metrics.read"
    SITE_ADMIN = "site.admin"  # cameras, communes, retention
    USER_ADMIN = "user.admin"


P = Permission

MATRIX: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(
        {
            P.ACCOUNT_SELF,
            P.CAMERA_LIST,
            P.STORAGE_READ,
            P.METRICS_READ,
            P.JOURNAL_READ,
            P.SITE_ADMIN,
            P.USER_ADMIN,
            # TODO(rights issue): the administrator must see NO video by default (he runs
            # the system, he is not a designated viewer). Granted for now only so the demo
            # works; remove RECORDING_READ and SNAPSHOT_READ when the rights issue lands.
            P.RECORDING_READ,
            P.SNAPSHOT_READ,
        }
    ),
    Role.SUPERVISOR: frozenset(
        {
            P.ACCOUNT_SELF,
            P.CAMERA_LIST,
            P.CAMERA_VIEW_LIVE,
            P.RECORDING_READ,
            P.SNAPSHOT_READ,
            P.EXPORT_CREATE,
            P.HOLD_MANAGE,
            P.REQUISITION_MANAGE,
            P.JOURNAL_READ,
            P.STORAGE_READ,
            P.METRICS_READ,
        }
    ),
    Role.OPERATOR: frozenset(
        {P.ACCOUNT_SELF, P.CAMERA_LIST, P.CAMERA_VIEW_LIVE, P.RECORDING_READ, P.SNAPSHOT_READ}
    ),
    Role.INVESTIGATOR: frozenset(
        {P.ACCOUNT_SELF, P.CAMERA_LIST, P.RECORDING_READ, P.SNAPSHOT_READ, P.EXPORT_CREATE}
    ),
    Role.PATROL: frozenset({P.ACCOUNT_SELF, P.CAMERA_LIST, P.CAMERA_VIEW_LIVE}),
    Role.AUDITOR: frozenset({P.ACCOUNT_SELF, P.CAMERA_LIST, P.JOURNAL_READ, P.STORAGE_READ}),
}

# Roles whose scope is every commune of the installation, whatever `user_communes` says.
ALL_COMMUNES_ROLES: frozenset[Role] = frozenset({Role.ADMIN})


def has_permission(role: Role | str, permission: Permission) -> bool:
    """True when `role` grants `permission`; an unknown role grants nothing."""
    try:
        return permission in MATRIX[Role(role)]
    except ValueError:
        return False


def sees_all_communes(role: Role | str) -> bool:
    try:
        return Role(role) in ALL_COMMUNES_ROLES
    except ValueError:
        return False
