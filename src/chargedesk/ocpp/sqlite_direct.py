"""SQLite on the event loop's own thread, for the gateway's hot paths.

With aiosqlite every statement is a round trip to a worker thread and back; under load those hand-offs, not
SQLite, bound Authorize and transaction throughput. An indexed read or a one-row write on a WAL database
takes tens of microseconds, so the gateway runs them directly. Reads use an autocommit connection (each sees
the latest commit, no snapshot is held). Writes go through one writer with group commit (`SqliteWriter`);
if another connection holds the write lock (an API import), they run through aiosqlite instead, so the
event loop never waits on SQLite's busy handler.
"""

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import OperationalError

from chargedesk.db import Prepared, sqlite_pragmas

LOGGER = logging.getLogger("chargedesk.ocpp.sqlite")


def _engine(url: str, busy_timeout: float, **kwargs: Any) -> Engine:
    engine = create_engine(url.replace("+aiosqlite", "", 1), **kwargs)
    event.listen(engine, "connect", lambda dbapi, _record: sqlite_pragmas(dbapi, int(busy_timeout * 1000)))
    return engine


class SqliteReader:
    """An autocommit connection that `Prepared.all` runs its statements on directly (`direct`)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._connection: Any = None

    def _conn(self) -> Any:
        if self._connection is None:
            self._connection = _engine(self.url, 10.0, isolation_level="AUTOCOMMIT").connect()
        return self._connection

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
    """The AsyncConnection coroutines the gateway's writes use (`execute`, `exec_driver_sql`, `commit`,
    `rollback`) over a synchronous Core connection, inside the writer's batch: each write runs in its own
    savepoint, so its `commit` releases the savepoint and its `rollback` undoes that write alone (what it does
    next stays in the savepoint). The savepoint statements are plain SQL: one write at a time, one name."""

    __slots__ = ("sync", "open")

    def __init__(self, connection: Connection) -> None:
        self.sync = connection
        connection.exec_driver_sql("SAVEPOINT gateway_write")
        self.open = True

    async def execute(self, statement: Any, *args: Any) -> Any:
        return self.sync.execute(statement, *args)

    async def exec_driver_sql(self, statement: str, *args: Any) -> Any:
        return self.sync.exec_driver_sql(statement, *args)

    async def commit(self) -> None:
        if self.open:
            self.sync.exec_driver_sql("RELEASE gateway_write")
            self.open = False

    async def rollback(self) -> None:
        if self.open:
            self.sync.exec_driver_sql("ROLLBACK TO gateway_write")

    def discard(self) -> None:
        """Undo whatever the write left uncommitted."""
        if self.open:
            self.sync.exec_driver_sql("ROLLBACK TO gateway_write")
            self.sync.exec_driver_sql("RELEASE gateway_write")
            self.open = False


Work = Callable[[Any], Awaitable[Any]]


class SqliteWriter:
    """The gateway's only SQLite writer, with group commit.

    A commit is the expensive part of a small write (the WAL append, and now and then a checkpoint), so the
    writes asked for in the same moment (every station whose frame arrived in one turn of the event loop) run
    in one transaction, each in its own savepoint, and one COMMIT makes them all durable before any of their
    callers hears back. A write that fails is rolled back alone and its caller gets the error. If another
    connection holds SQLite's write lock (an API import), `BEGIN IMMEDIATE` fails after `busy_timeout` and the
    batch goes to `fallback` (aiosqlite, which waits on its own thread) one write at a time.

    Checkpoints (copying the WAL back into the database file, with an fsync) are not left to whichever commit
    crosses SQLite's threshold, where they would stop the event loop for tens of milliseconds: this connection
    never checkpoints, and after writes a passive checkpoint runs on a worker thread every
    `checkpoint_interval` seconds.
    """

    def __init__(
        self,
        url: str,
        fallback: Callable[[Work], Awaitable[Any]],
        busy_timeout: float = 0.02,
        checkpoint_interval: float = 1.0,
    ) -> None:
        self.engine = _engine(url, busy_timeout)
        event.listen(self.engine, "connect", _writer_connection)
        # The transaction is ours to open (BEGIN IMMEDIATE: the write lock up front), not the sqlite3 module's,
        # so that savepoints nest inside it.
        event.listen(self.engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        self.fallback = fallback
        self.checkpoint_interval = checkpoint_interval
        self.checkpoints = 0
        self._connection: Connection | None = None
        self._queue: list[tuple[Work, asyncio.Future[Any]]] = []
        self._flushing = False
        self._written = False
        self._checkpointer: asyncio.Task[None] | None = None
        self._checkpoint_connection: sqlite3.Connection | None = None

    def run(self, work: Work) -> "asyncio.Future[Any]":
        """Queue `work(conn)`; the future has its result once the batch it ran in is committed."""
        future = asyncio.get_running_loop().create_future()
        self._queue.append((work, future))
        if not self._flushing:
            self._flushing = True
            asyncio.ensure_future(self._flush())
        return future

    async def _flush(self) -> None:
        if self._checkpointer is None or self._checkpointer.done():
            self._checkpointer = asyncio.ensure_future(self._checkpoint_forever())
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                await self._commit(batch)
        finally:
            self._flushing = False

    async def _commit(self, batch: list[tuple[Work, "asyncio.Future[Any]"]]) -> None:
        if self._connection is None:
            self._connection = self.engine.connect()
        connection = self._connection
        outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        try:
            connection.begin()
        except OperationalError as exc:
            if "locked" not in str(exc):
                _fail(batch, exc)
                return
            for work, future in batch:
                await _settle(future, self.fallback(work))
            return
        try:
            for work, future in batch:
                conn = SyncConnection(connection)
                try:
                    result = await work(conn)
                except Exception as exc:
                    outcomes.append((future, None, exc))
                else:
                    outcomes.append((future, result, None))
                conn.discard()  # a failed write, or one that never committed
            connection.commit()
            self._written = True
        except BaseException as exc:
            if connection.in_transaction():
                connection.rollback()
            _fail(batch, exc)
            if not isinstance(exc, Exception):
                raise
            return
        for future, result, error in outcomes:
            if future.done():
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)

    async def _checkpoint_forever(self) -> None:
        while True:
            await asyncio.sleep(self.checkpoint_interval)
            if self._written:
                self._written = False
                try:
                    await asyncio.to_thread(self._checkpoint)
                except sqlite3.Error as exc:  # SQLite retries at the next one
                    LOGGER.warning("WAL checkpoint failed: %s", exc)

    def _checkpoint(self) -> None:
        if self._checkpoint_connection is None:
            path = self.engine.url.database
            self._checkpoint_connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._checkpoint_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        self.checkpoints += 1

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.cancel()
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._checkpoint_connection is not None:
            self._checkpoint_connection.close()
            self._checkpoint_connection = None
        self.engine.dispose()


def _writer_connection(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")


def _fail(batch: list[tuple[Work, "asyncio.Future[Any]"]], error: BaseException) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(error)


async def _settle(future: "asyncio.Future[Any]", outcome: Awaitable[Any]) -> None:
    try:
        result = await outcome
    except Exception as exc:
        if not future.done():
            future.set_exception(exc)
    else:
        if not future.done():
            future.set_result(result)
