"""camera field of view (direction, angle) for the map

The cameras' field of view (opening and depth, next to the bearing), the outlines of
the communes and of their districts, and the map's settings, from the site file.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 18:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "fov_angle_deg", sa.Float(), nullable=True, comment="Field-of-view opening, degrees"
            )
        )
        batch_op.add_column(
            sa.Column(
                "fov_range_m", sa.Float(), nullable=True, comment="Field-of-view depth, metres"
            )
        )
    with op.batch_alter_table("communes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "outline",
                sa.Text(),
                nullable=True,
                comment="GeoJSON geometry (Polygon or MultiPolygon) from the map's outlines file",
            )
        )
    op.create_table(
        "districts",
        sa.Column("commune_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, comment="Order in the site file"),
        sa.Column(
            "outline", sa.Text(), nullable=True, comment="GeoJSON geometry, when the map draws it"
        ),
        sa.ForeignKeyConstraint(
            ["commune_id"],
            ["communes.id"],
            name=op.f("fk_districts_commune_id_communes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("commune_id", "name", name=op.f("pk_districts")),
    )
    op.create_table(
        "map_settings",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False, comment="Always 1"),
        sa.Column(
            "tiles_url",
            sa.String(length=500),
            nullable=True,
            comment="Raster tiles, only when named",
        ),
        sa.Column("tiles_attribution", sa.String(length=300), nullable=True),
        sa.Column("tiles_max_zoom", sa.Integer(), nullable=True),
        sa.Column("center_lat", sa.Float(), nullable=True),
        sa.Column("center_lon", sa.Float(), nullable=True),
        sa.Column("zoom", sa.Integer(), nullable=True),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_map_settings")),
    )


def downgrade() -> None:
    op.drop_table("map_settings")
    op.drop_table("districts")
    with op.batch_alter_table("communes", schema=None) as batch_op:
        batch_op.drop_column("outline")
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.drop_column("fov_range_m")
        batch_op.drop_column("fov_angle_deg")
