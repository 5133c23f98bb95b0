"""Durable data: SQLAlchemy models, async sessions and alembic migrations."""
