"""The tables of a tunecore database (version :data:`SCHEMA_VERSION`; changes go through ``migrations/``).

One database holds any number of projects:

``tunecore_projects``
    One row per project: ``name`` (the search's ``project_name``, unique) and
    ``header`` (what the journal's first line holds: oracle, objective...).
``tunecore_events``
    The events of every project, ``(project_id, seq)`` the primary key:
    ``seq`` counts a project's events from 1, without gaps. Two drivers
    that append at the same ``seq`` collide on the key, and only one
    insert wins: that collision *is* the claim conflict of
    :meth:`~tunecore.storage.Storage.append_if_current`.
``tunecore_heartbeats``
    The last heartbeat of each running trial, ``(project_id, trial_id)`` the key.

Alembic keeps the schema's version in its own table, ``tunecore_alembic_version``,
so that a database shared with another Alembic-managed application (MLflow's,
Optuna's) keeps both versions apart.
"""

import sqlalchemy as sa

#: The Alembic revision the tables below are at (``migrations/versions``); a test checks it is the head.
SCHEMA_VERSION = "0001"
#: Alembic's version table for tunecore's schema.
VERSION_TABLE = "tunecore_alembic_version"

metadata = sa.MetaData()

projects = sa.Table(
    "tunecore_projects", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("header", sa.Text, nullable=False),
    sa.Column("created", sa.Float, nullable=False),
)

events = sa.Table(
    "tunecore_events", metadata,
    sa.Column("project_id", sa.Integer, sa.ForeignKey("tunecore_projects.id", ondelete="CASCADE"),
              primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=False),
    sa.Column("data", sa.Text, nullable=False),
)

heartbeats = sa.Table(
    "tunecore_heartbeats", metadata,
    sa.Column("project_id", sa.Integer, sa.ForeignKey("tunecore_projects.id", ondelete="CASCADE"),
              primary_key=True, autoincrement=False),
    sa.Column("trial_id", sa.String(255), primary_key=True),
    sa.Column("time", sa.Float, nullable=False),
)
