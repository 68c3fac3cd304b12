"""SQLite on the event loop's own thread, for the gateway's hot paths.

With aiosqlite every statement is a round trip to a worker thread and back; under load those hand-offs, not
SQLite, bound Authorize and transaction throughput. An indexed read or a one-row write on a WAL database
takes tens of microseconds, so the gateway runs them directly. Reads use an autocommit connection (each sees
the latest commit, no snapshot is held). Writes are queued by the gateway's lock and run here with a short
busy timeout: if another connection holds the write lock (an API import), `OperationalError` makes the
gateway run the same work through aiosqlite instead, so the event loop never waits on SQLite's busy handler.
"""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event

from chargedesk.db import Prepared, sqlite_pragmas

T = TypeVar("T")


def _engine(url: str, busy_timeout: float, **kwargs: Any) -> Engine:
    engine = create_engine(url.replace("+aiosqlite", "", 1), **kwargs)
    event.listen(engine, "connect", lambda dbapi, _record: sqlite_pragmas(dbapi, int(busy_timeout * 1000)))
    return engine


class SqliteReader:
    """`execute` / `scalar` coroutines (the subset of AsyncSession that reads use), answered synchronously."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._connection: Any = None

    def _conn(self) -> Any:
        if self._connection is None:
            self._connection = _engine(self.url, 10.0, isolation_level="AUTOCOMMIT").connect()
        return self._connection

    async def execute(self, statement: Any, *args: Any) -> Any:
        return self._conn().execute(statement, *args)

    async def scalar(self, statement: Any) -> Any:
        return self._conn().execute(statement).scalar()

    def direct(self, prepared: Prepared, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Run a prepared SELECT on the sqlite3 cursor itself (see `Prepared`)."""
        connection = self._conn()
        sql, binds, results = prepared.compiled_for(connection.dialect)
        values = []
        for name, constant, process in binds:
            value = params.get(name, constant)
            values.append(process(value) if process is not None else value)
        rows = connection.connection.driver_connection.execute(sql, values).fetchall()
        if not any(results):
            return rows
        return [
            tuple(value if process is None else process(value) for value, process in zip(row, results, strict=True))
            for row in rows
        ]

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection.engine.dispose()
            self._connection = None


class SyncConnection:
    """The AsyncConnection coroutines the gateway's writes use (`execute`, `exec_driver_sql`, `scalar`, `commit`,
    `rollback`),
    over a synchronous Core connection."""

    __slots__ = ("sync",)

    def __init__(self, connection: Connection) -> None:
        self.sync = connection

    async def execute(self, statement: Any, *args: Any) -> Any:
        return self.sync.execute(statement, *args)

    async def scalar(self, statement: Any, *args: Any) -> Any:
        return self.sync.scalar(statement, *args)

    async def exec_driver_sql(self, statement: str, *args: Any) -> Any:
        return self.sync.exec_driver_sql(statement, *args)

    async def commit(self) -> None:
        self.sync.commit()

    async def rollback(self) -> None:
        self.sync.rollback()


class SqliteWriter:
    """One long-lived Core connection: a gateway write is its statements and a commit, nothing more (no ORM
    session, no pool checkout)."""

    def __init__(self, url: str, busy_timeout: float = 0.02) -> None:
        self.engine = _engine(url, busy_timeout)
        self._connection: SyncConnection | None = None

    async def run(self, work: Callable[[Any], Awaitable[T]]) -> T:
        if self._connection is None:
            self._connection = SyncConnection(self.engine.connect())
        connection = self._connection
        try:
            return await work(connection)
        finally:
            if connection.sync.in_transaction():  # the work failed, or forgot to commit
                connection.sync.rollback()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.sync.close()
            self._connection = None
        self.engine.dispose()
