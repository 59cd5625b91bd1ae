"""The first schema: projects, their events, heartbeats of running trials.

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tunecore_projects",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(255), nullable=False, unique=True),
        sa.Column("header", sa.Text, nullable=False),
        sa.Column("created", sa.Float, nullable=False),
    )
    op.create_table(
        "tunecore_events",
        sa.Column("project_id", sa.Integer, sa.ForeignKey("tunecore_projects.id", ondelete="CASCADE"),
                  primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_table(
        "tunecore_heartbeats",
        sa.Column("project_id", sa.Integer, sa.ForeignKey("tunecore_projects.id", ondelete="CASCADE"),
                  primary_key=True, autoincrement=False),
        sa.Column("trial_id", sa.String(255), primary_key=True),
        sa.Column("time", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("tunecore_heartbeats")
    op.drop_table("tunecore_events")
    op.drop_table("tunecore_projects")
