"""Database access: engine + session factory, tables, and query functions."""

from facegate.db.engine import Database, make_database

__all__ = ["Database", "make_database"]
