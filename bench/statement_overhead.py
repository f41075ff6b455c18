"""CPU per one-row select on SQLite: through a SQLAlchemy Session, through its Connection, raw.

The floor under every statement of the vote path: the same prebuilt, cached Core select by
primary key on a 1,000-row table, with a bound parameter, as the vote path runs its own.

    python bench/statement_overhead.py [--rounds 20000]
"""

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, create_engine, select
from sqlalchemy.orm import Session


def cpu_per_call(call, rounds: int) -> float:
    """Microseconds of this process's CPU per call, after a warm-up."""
    for number in range(rounds // 10):
        call(number % 1000)
    started = time.process_time()
    for number in range(rounds):
        call(number % 1000)
    return (time.process_time() - started) / rounds * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "statements.sqlite3"
        engine = create_engine(f"sqlite:///{path}")
        metadata = MetaData()
        table = Table(
            "items", metadata, Column("id", Integer, primary_key=True), Column("name", String)
        )
        metadata.create_all(engine)
        with engine.begin() as connection:
            connection.execute(
                table.insert(), [{"id": n, "name": f"item {n}"} for n in range(1000)]
            )
        query = select(table.c.id, table.c.name).where(table.c.id == bindparam("item_id"))
        session, raw = Session(engine), sqlite3.connect(path)
        ways = {
            "Session.execute": lambda n: session.execute(query, {"item_id": n}).first(),
            "Connection.execute": lambda n: (
                session.connection().execute(query, {"item_id": n}).first()
            ),
            "raw sqlite3": lambda n: raw.execute(
                "SELECT id, name FROM items WHERE id = ?", (n,)
            ).fetchone(),
        }
        for name, call in ways.items():
            print(f"{name:20} {cpu_per_call(call, args.rounds):6.1f} us CPU per select")
        session.close()
        raw.close()
        engine.dispose()


if __name__ == "__main__":
    main()
