"""Alembic environment: runs on the connection handed over by ``upgrade_schema``."""

from alembic import context
from sqlalchemy import create_engine

from facegate.db.tables import Base

config = context.config
target_metadata = Base.metadata

connection = config.attributes.get("connection")
if connection is None:  # `alembic` CLI use: take the URL from the settings
    from facegate.settings import get_settings

    engine = create_engine(str(get_settings().database_url))
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
