"""The permission matrix as data: pure checks."""

from __future__ import annotations

from beffroi.access.permissions import (
    MATRIX,
    USER_ROLES,
    VIDEO_PERMISSIONS,
    Permission,
    Role,
    can_view_video,
    has_permission,
    needs_approval,
    sees_all_communes,
)
from beffroi.access.principal import Principal


def test_every_role_has_an_entry_and_people_can_manage_their_own_session() -> None:
    assert set(MATRIX) == set(Role)
    assert all(has_permission(r, Permission.ACCOUNT_SELF) for r in USER_ROLES)
    assert Role.MACHINE not in USER_ROLES


def test_video_rights_follow_the_roles() -> None:
    assert has_permission(Role.OPERATOR, Permission.RECORDING_READ)
    assert has_permission(Role.INVESTIGATOR, Permission.SNAPSHOT_READ)
    assert not has_permission(Role.PATROL, Permission.RECORDING_READ)
    assert not has_permission(Role.AUDITOR, Permission.SNAPSHOT_READ)
    assert not has_permission(Role.OPERATOR, Permission.USER_ADMIN)
    assert not has_permission(Role.OPERATOR, Permission.METRICS_READ)
    assert has_permission(Role.ADMIN, Permission.USER_ADMIN)


def test_administrator_and_machines_see_no_video() -> None:
    assert not MATRIX[Role.ADMIN] & VIDEO_PERMISSIONS
    assert not MATRIX[Role.MACHINE] & VIDEO_PERMISSIONS
    assert not MATRIX[Role.MACHINE] & {Permission.USER_ADMIN, Permission.USER_UNLOCK}


def test_totp_and_approval_follow_the_roles() -> None:
    video = {r for r in Role if can_view_video(r)}
    assert video == {Role.SUPERVISOR, Role.OPERATOR, Role.INVESTIGATOR, Role.PATROL}
    assert needs_approval(Role.OPERATOR, is_police=False)
    assert not needs_approval(Role.OPERATOR, is_police=True)
    assert needs_approval(Role.PATROL, is_police=False)
    assert not needs_approval(Role.INVESTIGATOR, is_police=False)
    assert not needs_approval(Role.ADMIN, is_police=False)
    assert not can_view_video("emperor") and not needs_approval("emperor", False)


def test_unknown_role_grants_nothing() -> None:
    assert not has_permission("superuser", Permission.CAMERA_LIST)
    assert not sees_all_communes("superuser")


def test_scope_only_admin_sees_all_communes() -> None:
    assert [r for r in Role if sees_all_communes(r)] == [Role.ADMIN]
    scoped = Principal(1, "a", Role.OPERATOR, frozenset({"joue-les-tours"}))
    assert scoped.sees_commune("joue-les-tours") and not scoped.sees_commune("chambray")
    assert Principal(2, "admin", Role.ADMIN, None).sees_commune("anything")


def test_scopes_narrow_a_role_never_widen_it() -> None:
    token = Principal(
        0, "token:x", Role.MACHINE, frozenset(), scopes=frozenset({Permission.METRICS_READ})
    )
    assert token.can(Permission.METRICS_READ)
    assert not token.can(Permission.CAMERA_LIST)  # in the role, not in the scopes
    wide = Principal(0, "t", Role.MACHINE, frozenset(), scopes=frozenset(Permission))
    assert not wide.can(Permission.RECORDING_READ)  # in the scopes, not in the role
