"""Engine set-up per backend and the unit of work both run modes share.

Services never commit. The caller that owns a request or a CLI command opens one
`unit_of_work`, calls services inside it, and publishes their events after it closes.
"""

from contextlib import contextmanager

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session

SQLITE_WRITE_OPTION = "arena_sqlite_write"
UNIT_OF_WORK = "arena_unit_of_work"


def configure_engine(engine: Engine) -> None:
    """SQLite: WAL, foreign keys, a busy timeout and explicit BEGIN control."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event issue BEGIN itself, so writes can use IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        write = connection.get_execution_options().get(SQLITE_WRITE_OPTION)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def begin_write(session: Session) -> None:
    """Start a transaction that will write, serialising writers on SQLite.

    A deferred SQLite transaction that reads and then writes fails with SQLITE_BUSY when
    another writer committed in between; BEGIN IMMEDIATE takes the write lock up front.
    PostgreSQL ignores the option and relies on row locks taken by the caller.
    """
    if isinstance(session, scoped_session):
        session = session()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("begin_write must run before any change is made in the session")
    if session.in_transaction():
        session.commit()  # ends the read snapshot; nothing is pending
    session.connection(execution_options={SQLITE_WRITE_OPTION: True})


@contextmanager
def unit_of_work(session: Session):
    """The one write transaction of a request or command: committed at the end, rolled back on
    any error (the rebuilds included), so a failure never leaves half a change behind."""
    begin_write(session)
    session.info[UNIT_OF_WORK] = True
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(UNIT_OF_WORK, None)


def require_unit_of_work(session: Session) -> None:
    """Fail loudly on a change outside a unit of work: it would otherwise be lost silently."""
    if not session.info.get(UNIT_OF_WORK):
        raise RuntimeError("a change was flushed outside `unit_of_work`; it would be lost")


def lock_tables(session: Session, *tables: str) -> None:
    """Keep writers out while a rebuild reads and rewrites derived tables.

    Call inside a write transaction: on SQLite BEGIN IMMEDIATE already excludes other writers;
    PostgreSQL needs explicit table locks so no vote commits between the read and the rewrite.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"LOCK TABLE {', '.join(tables)} IN SHARE ROW EXCLUSIVE MODE"))
