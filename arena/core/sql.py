"""Small SQL helpers that differ per dialect."""

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

MAX_ID = 2**31 - 1  # the largest value an INTEGER id column holds on PostgreSQL


def insert_ignoring_conflicts(session: Session, model, rows: list[dict], conflict_columns) -> int:
    """INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL alike; returns rows inserted."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(model).values(rows).on_conflict_do_nothing(index_elements=conflict_columns)
    return session.execute(statement).rowcount
