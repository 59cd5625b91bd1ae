"""Alembic's environment for tunecore's schema: runs on the connection the storage hands it."""

from alembic import context

from tunecore.storage import sql_schema

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=sql_schema.metadata,
    version_table=sql_schema.VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
