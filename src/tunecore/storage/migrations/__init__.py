"""Alembic migrations of tunecore's database schema (see :mod:`tunecore.storage.sql_schema`).

:meth:`tunecore.storage.SQLStorage.upgrade` applies them when a storage opens
a project, so no ``alembic`` command is needed. A change to the tables is a
new revision in ``versions/`` and a new ``sql_schema.SCHEMA_VERSION``.
"""
