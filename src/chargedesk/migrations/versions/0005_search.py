"""Substring search indexes for locations: FTS5 trigram on SQLite, pg_trgm GIN on PostgreSQL.

On SQLite the index is an external-content FTS5 table kept in step by triggers. A later batch migration that
recreates the locations table drops those triggers: such a migration must create them again and rebuild.

Revision ID: 0005_search
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_search"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_UP = [
    "CREATE VIRTUAL TABLE locations_search USING fts5("
    "search_text, content='locations', content_rowid='rowid', tokenize='trigram')",
    "CREATE TRIGGER locations_search_ai AFTER INSERT ON locations BEGIN "
    "INSERT INTO locations_search(rowid, search_text) VALUES (new.rowid, new.search_text); END",
    "CREATE TRIGGER locations_search_ad AFTER DELETE ON locations BEGIN "
    "INSERT INTO locations_search(locations_search, rowid, search_text) "
    "VALUES ('delete', old.rowid, old.search_text); END",
    "CREATE TRIGGER locations_search_au AFTER UPDATE OF search_text ON locations BEGIN "
    "INSERT INTO locations_search(locations_search, rowid, search_text) "
    "VALUES ('delete', old.rowid, old.search_text); "
    "INSERT INTO locations_search(rowid, search_text) VALUES (new.rowid, new.search_text); END",
    "INSERT INTO locations_search(locations_search) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS locations_search_au",
    "DROP TRIGGER IF EXISTS locations_search_ad",
    "DROP TRIGGER IF EXISTS locations_search_ai",
    "DROP TABLE IF EXISTS locations_search",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)
    else:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_locations_search_trgm ON locations USING gin (search_text gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
    else:
        op.execute("DROP INDEX IF EXISTS ix_locations_search_trgm")
