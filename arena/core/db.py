"""Engine set-up per backend and the unit of work both run modes share.

Services never commit. The caller that owns a request or a CLI command opens one
`unit_of_work`, calls services inside it, and publishes their events after it closes.
"""

import os
import threading
from collections.abc import Sequence
from contextlib import contextmanager

from sqlalchemy import Table, TextClause, bindparam, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session

SQLITE_WRITE_OPTION = "arena_sqlite_write"
UNIT_OF_WORK = "arena_unit_of_work"
# A unit of work waits this long for the SQLite writer lock of its process (as long as SQLite's
# own busy timeout lets a connection wait for another process's writer).
WRITE_LOCK_TIMEOUT = 30.0
# Writers of an SQLite database in different processes queue on a lock of this file beside it.
WRITER_LOCK_SUFFIX = ".writer-lock"

try:
    import fcntl
except ImportError:  # not POSIX: processes meet SQLite's busy timeout instead
    fcntl = None


def configure_engine(engine: Engine) -> None:
    """SQLite: WAL, foreign keys, a busy timeout, and transactions only for writes.

    Reads run in SQLite's autocommit mode: each statement sees the latest commit, as every
    statement does on PostgreSQL under READ COMMITTED, so code written for one behaves the
    same on the other. A write opens its transaction with BEGIN IMMEDIATE (`begin_write`).
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # pysqlite must not begin transactions by itself: `begin_write` does, with IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get(SQLITE_WRITE_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "before_cursor_execute")
    def _writes_begin_transactions(connection, cursor, statement, *_):
        # A write outside `begin_write` (a test's fixture, a script) would otherwise commit at
        # once, alone: it opens the transaction that the session's commit or rollback ends.
        if statement.lstrip()[:6].upper() in _WRITES and not _in_write(connection):
            cursor.execute("BEGIN IMMEDIATE")


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")


def _in_write(connection) -> bool:
    return connection.connection.dbapi_connection.in_transaction


def begin_write(session: Session) -> None:
    """Start a transaction that will write, serialising writers on SQLite.

    A deferred SQLite transaction that reads and then writes fails with SQLITE_BUSY when
    another writer committed in between; BEGIN IMMEDIATE takes the write lock up front.
    PostgreSQL ignores the option and relies on row locks taken by the caller.

    A session that has already read (say, the request's authentication) goes on into the
    write on its connection: on PostgreSQL its transaction continues (under READ COMMITTED
    every statement sees the latest commits anyway); on SQLite its reads ran in autocommit
    mode, so BEGIN IMMEDIATE starts the write there. Nothing loaded is expired: code that
    decides on fresh state re-reads it under the write lock (compare-and-set, FOR UPDATE).
    """
    if isinstance(session, scoped_session):
        session = session()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("begin_write must run before any change is made in the session")
    if not session.in_transaction():
        session.connection(execution_options={SQLITE_WRITE_OPTION: True})
        return
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not _in_write(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class _SqliteWriters:
    """Queues the writers of one SQLite database: this process's threads on a lock, then the
    processes on an exclusive `flock` of a file beside the database.

    Without it every waiting writer sits in SQLite's busy handler, which polls with growing
    sleeps (up to 100 ms each) and lets a lucky newcomer overtake: the locks hand over at once,
    in turn (with two gunicorn workers the busy handler alone gave votes a p99 of 0.4 to 0.6 s
    against 60 ms for one worker). The busy timeout stays for writers that take neither lock.
    """

    def __init__(self, path: str | None):
        self.path, self.threads, self.depth, self.file = path, threading.RLock(), 0, None

    def acquire(self) -> None:
        if not self.threads.acquire(timeout=WRITE_LOCK_TIMEOUT):
            raise TimeoutError("the database is busy: no write transaction could start")
        self.depth += 1
        if self.depth == 1 and self.path and fcntl is not None:
            try:
                self._lock_file()
            except BaseException:
                self.release()
                raise

    def _lock_file(self) -> None:
        # Opened for each turn: nothing stays open, and no file is inherited by a fork (a
        # forked copy would share the parent's lock, and lock nothing between them).
        self.file = open(self.path, "a+b")  # noqa: SIM115 - closed in release
        fcntl.flock(self.file.fileno(), fcntl.LOCK_EX)

    def release(self) -> None:
        self.depth -= 1
        if self.depth == 0 and self.file is not None:
            self.file.close()  # closing the file releases its lock
            self.file = None
        self.threads.release()


_writers: dict[str, _SqliteWriters] = {}
_writers_guard = threading.Lock()


def _sqlite_writers(session: Session) -> _SqliteWriters | None:
    """The writer queue of this session's SQLite database (None on other databases)."""
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return None
    database = bind.url.database
    on_disk = bool(database) and database != ":memory:" and not database.startswith("file:")
    key = os.path.abspath(database) if on_disk else f"{id(bind)}"
    with _writers_guard:
        if key not in _writers:
            _writers[key] = _SqliteWriters(key + WRITER_LOCK_SUFFIX if on_disk else None)
        return _writers[key]


@contextmanager
def unit_of_work(session: Session):
    """The one write transaction of a request or command: committed at the end, rolled back on
    any error (the rebuilds included), so a failure never leaves half a change behind."""
    writers = _sqlite_writers(session)
    if writers is not None:
        writers.acquire()
    try:
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
    finally:
        if writers is not None:
            writers.release()


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


def insert_on_conflict(
    table: Table, columns: Sequence[str], on_conflict: str, returning: Sequence[str] = ()
) -> TextClause:
    """`INSERT INTO table (columns) VALUES (...) ON CONFLICT ... [RETURNING ...]`, to build once
    and execute with one dict (or a list of dicts) of the columns' values.

    The same SQL runs on SQLite and PostgreSQL, and it stays in SQLAlchemy's statement cache:
    the dialects' own `on_conflict_do_*` inserts have no cache key, so they are compiled again
    at every execution, which costs more than running them. Parameters keep the columns' types.
    """
    names = ", ".join(columns)
    values = ", ".join(f":{name}" for name in columns)
    returned = f" RETURNING {', '.join(returning)}" if returning else ""
    statement = text(
        f"INSERT INTO {table.name} ({names}) VALUES ({values}) ON CONFLICT {on_conflict}{returned}"
    ).bindparams(*(bindparam(name, type_=table.c[name].type) for name in columns))
    return statement.columns(*(table.c[name] for name in returning)) if returning else statement
