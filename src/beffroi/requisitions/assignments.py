"""What an investigator may see: the footage of the requisitions assigned to him.

An OPJ acts under a requisition, not as a designated viewer of the town's cameras: the
law lets him see what the prosecutor's requisition covers, nothing more. So for the
`investigator` role the video routes ask this module, after the commune scope, whether
the camera and window fall within an item of a requisition assigned to him that was not
refused. Other roles are not restricted here: their permission and commune scope decide.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from beffroi.access.permissions import Role
from beffroi.access.principal import Principal
from beffroi.requisitions.tables import requisition_assignees, requisition_items, requisitions

# Playback starts on the keyframe at or before the instant asked: a segment may begin up
# to about a minute before an item's start. This much context is part of the requisition.
KEYFRAME_SLACK_MS = 2 * 60_000


def assigned_ranges(conn: Connection, user_id: int, camera_id: str) -> list[tuple[int, int]]:
    """The (start_ms, end_ms) of `camera_id` in requisitions assigned to `user_id`."""
    rows = conn.execute(
        select(requisition_items.c.start_ms, requisition_items.c.end_ms)
        .join(requisitions, requisitions.c.id == requisition_items.c.requisition_id)
        .join(
            requisition_assignees,
            requisition_assignees.c.requisition_id == requisition_items.c.requisition_id,
        )
        .where(
            requisition_assignees.c.user_id == user_id,
            requisition_items.c.camera_id == camera_id,
            requisitions.c.state != "refused",
        )
    ).all()
    return [(int(r.start_ms), int(r.end_ms)) for r in rows]


def may_view(
    conn: Connection,
    principal: Principal,
    camera_id: str,
    start_ms: int,
    end_ms: int,
    slack_ms: int = KEYFRAME_SLACK_MS,
) -> bool:
    """False only for an investigator whose assigned requisitions do not cover
    `[start_ms, end_ms]` of `camera_id` (within `slack_ms` on either side)."""
    if principal.role is not Role.INVESTIGATOR:
        return True
    return any(
        s - slack_ms <= start_ms and end_ms <= e + slack_ms
        for s, e in assigned_ranges(conn, principal.user_id, camera_id)
    )


def may_see_timeline(
    conn: Connection, principal: Principal, camera_id: str, start_ms: int, end_ms: int
) -> bool:
    """The timeline shows when a camera recorded, not images: an investigator may read it
    over any window that overlaps one of his ranges (the console shows context around
    an item), but `may_view` still guards the media."""
    if principal.role is not Role.INVESTIGATOR:
        return True
    return any(
        s <= end_ms and start_ms <= e
        for s, e in assigned_ranges(conn, principal.user_id, camera_id)
    )
