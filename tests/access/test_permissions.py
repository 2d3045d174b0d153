"""The permission matrix as data: pure checks."""

from __future__ import annotations

from beffroi.access.permissions import (
    MATRIX,
    Permission,
    Role,
    has_permission,
    sees_all_communes,
)
from beffroi.access.principal import Principal


def test_every_role_has_an_entry_and_can_manage_its_own_session() -> None:
    assert set(MATRIX) == set(Role)
    assert all(has_permission(r, Permission.ACCOUNT_SELF) for r in Role)


def test_video_rights_follow_the_roles() -> None:
    assert has_permission(Role.OPERATOR, Permission.RECORDING_READ)
    assert has_permission(Role.INVESTIGATOR, Permission.SNAPSHOT_READ)
    assert not has_permission(Role.PATROL, Permission.RECORDING_READ)
    assert not has_permission(Role.AUDITOR, Permission.SNAPSHOT_READ)
    assert not has_permission(Role.OPERATOR, Permission.USER_ADMIN)
    assert not has_permission(Role.OPERATOR, Permission.METRICS_READ)
    assert has_permission(Role.ADMIN, Permission.USER_ADMIN)


def test_unknown_role_grants_nothing() -> None:
    assert not has_permission("superuser", Permission.CAMERA_LIST)
    assert not sees_all_communes("superuser")


def test_scope_only_admin_sees_all_communes() -> None:
    assert [r for r in Role if sees_all_communes(r)] == [Role.ADMIN]
    scoped = Principal(1, "a", Role.OPERATOR, frozenset({"joue-les-tours"}))
    assert scoped.sees_commune("joue-les-tours") and not scoped.sees_commune("chambray")
    assert Principal(2, "admin", Role.ADMIN, None).sees_commune("anything")
