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
    # Not a person: the role of scoped API tokens (integrations). No user may hold it, and
    # it grants no video: the law lets only individually designated agents view images.
    MACHINE = "machine"


class Permission(StrEnum):
    ACCOUNT_SELF = "account.self"  # one's own session (logout); every role
    CAMERA_LIST = "camera.list"  # camera metadata and live status
    CAMERA_VIEW_LIVE = "camera.view_live"
    RECORDING_READ = "recording.read"  # timeline and playback of recorded footage
    SNAPSHOT_READ = "snapshot.read"  # a still frame of recorded footage
    EXPORT_CREATE = "export.create"
    HOLD_MANAGE = "hold.manage"  # judicial holds
    REQUISITION_MANAGE = "requisition.manage"  # record, update, close requisitions
    # The requisitions register: all of one's communes (supervisor, auditor), or only the
    # requisitions assigned to oneself (investigator); the route applies that filter.
    REQUISITION_READ = "requisition.read"
    EXPORT_DOWNLOAD = "export.download"  # fetch a sealed package (video: needs TOTP)
    INCIDENT_READ = "incident.read"  # alarms and fault incidents of one's communes
    INCIDENT_MANAGE = "incident.manage"  # acknowledge, dispose, close, annotate
    ALARM_SUBMIT = "alarm.submit"  # push an alarm in (webhook: integrations' tokens)
    ONCALL_MANAGE = "oncall.manage"  # on-call rotas and agents' notification contacts
    REPORT_READ = "report.read"  # monthly activity reports for the town council
    JOURNAL_READ = "journal.read"
    STORAGE_READ = "storage.read"
    METRICS_READ = "metrics.read"
    SITE_ADMIN = "site.admin"  # cameras, communes, retention
    USER_ADMIN = "user.admin"  # users, their second factor, API tokens
    USER_UNLOCK = "user.unlock"  # lift a lockout (a supervisor: users of its communes)
    # Ask for or approve an access code (an invitation, a reset of a forgotten password
    # or a lost second factor): two people for accounts that reach images.
    USER_ACCESS = "user.access"
    LAYOUT_SHARE = "layout.share"  # wall layouts shared with every operator of the centre


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
            P.USER_UNLOCK,
            P.USER_ACCESS,
            P.ONCALL_MANAGE,
            P.REPORT_READ,
            # No video: the administrator runs the system, he is not a designated viewer.
        }
    ),
    Role.SUPERVISOR: frozenset(
        {
            P.ACCOUNT_SELF,
            P.LAYOUT_SHARE,
            P.CAMERA_LIST,
            P.CAMERA_VIEW_LIVE,
            P.RECORDING_READ,
            P.SNAPSHOT_READ,
            P.EXPORT_CREATE,
            P.EXPORT_DOWNLOAD,
            P.HOLD_MANAGE,
            P.REQUISITION_MANAGE,
            P.REQUISITION_READ,
            P.INCIDENT_READ,
            P.INCIDENT_MANAGE,
            P.ONCALL_MANAGE,
            P.REPORT_READ,
            P.JOURNAL_READ,
            P.STORAGE_READ,
            P.METRICS_READ,
            P.USER_UNLOCK,
            P.USER_ACCESS,
        }
    ),
    Role.OPERATOR: frozenset(
        {
            P.ACCOUNT_SELF,
            P.CAMERA_LIST,
            P.CAMERA_VIEW_LIVE,
            P.RECORDING_READ,
            P.SNAPSHOT_READ,
            P.INCIDENT_READ,
            P.INCIDENT_MANAGE,
        }
    ),
    Role.INVESTIGATOR: frozenset(
        {
            P.ACCOUNT_SELF,
            P.CAMERA_LIST,
            P.RECORDING_READ,
            P.SNAPSHOT_READ,
            P.EXPORT_CREATE,
            P.EXPORT_DOWNLOAD,
            P.REQUISITION_READ,
        }
    ),
    # On call from a phone: sees and acknowledges the incidents it is notified of.
    Role.PATROL: frozenset(
        {P.ACCOUNT_SELF, P.CAMERA_LIST, P.CAMERA_VIEW_LIVE, P.INCIDENT_READ, P.INCIDENT_MANAGE}
    ),
    # Registers (journal, requisitions) but no video: the DPO checks, he does not watch.
    Role.AUDITOR: frozenset(
        {
            P.ACCOUNT_SELF,
            P.CAMERA_LIST,
            P.JOURNAL_READ,
            P.STORAGE_READ,
            P.REQUISITION_READ,
            P.INCIDENT_READ,
            P.REPORT_READ,
        }
    ),
    # The most a token may carry; each token holds a chosen subset (`Principal.scopes`).
    Role.MACHINE: frozenset(
        {P.CAMERA_LIST, P.STORAGE_READ, P.METRICS_READ, P.JOURNAL_READ, P.ALARM_SUBMIT}
    ),
}

# Permissions that show or hand over images. A role holding any of them needs TOTP.
VIDEO_PERMISSIONS: frozenset[Permission] = frozenset(
    {P.CAMERA_VIEW_LIVE, P.RECORDING_READ, P.SNAPSHOT_READ, P.EXPORT_CREATE, P.EXPORT_DOWNLOAD}
)

# Roles a person may hold (MACHINE is for API tokens only).
USER_ROLES: tuple[Role, ...] = tuple(r for r in Role if r is not Role.MACHINE)

# Roles whose holders, when not municipal police, need a prefectoral approval (CSI
# L252-2 and R252-12: agents designated to view images). Investigators are judicial police
# officers acting under the code of criminal procedure, not designated agents.
APPROVAL_ROLES: frozenset[Role] = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.PATROL})

# Roles whose scope is every commune of the installation, whatever `user_communes` says.
ALL_COMMUNES_ROLES: frozenset[Role] = frozenset({Role.ADMIN})


def has_permission(role: Role | str, permission: Permission) -> bool:
    """True when `role` grants `permission`; an unknown role grants nothing."""
    try:
        return permission in MATRIX[Role(role)]
    except ValueError:
        return False


def can_view_video(role: Role | str) -> bool:
    """True when the role may see or export images: such users must use TOTP."""
    try:
        return bool(MATRIX[Role(role)] & VIDEO_PERMISSIONS)
    except ValueError:
        return False


def needs_approval(role: Role | str, is_police: bool) -> bool:
    try:
        return not is_police and Role(role) in APPROVAL_ROLES
    except ValueError:
        return False


def sees_all_communes(role: Role | str) -> bool:
    try:
        return Role(role) in ALL_COMMUNES_ROLES
    except ValueError:
        return False
