"""SQLite on the event loop's own thread, for the gateway's hot paths.

With aiosqlite every statement is a round trip to a worker thread and back; under load those hand-offs, not
SQLite, bound Authorize and transaction throughput. An indexed read or a one-row write on a WAL database
takes tens of microseconds, so the gateway runs them directly. Reads use an autocommit connection (each sees
the latest commit, no snapshot is held). Writes are queued by the gateway's lock and run here with a short
busy timeout: if another connection holds the write lock (an API import), `OperationalError` makes the
gateway run the same work through aiosqlite instead, so the event loop never waits on SQLite's busy handler.
"""

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

T = TypeVar("T")


def _sync_url(url: str) -> str:
    return url.replace("+aiosqlite", "", 1)


class SqliteReader:
    """`execute` / `scalar` coroutines (the subset of AsyncSession that reads use), answered synchronously."""

    def __init__(self, url: str) -> None:
        self.url = _sync_url(url)
        self._connection: Any = None

    def _conn(self) -> Any:
        if self._connection is None:
            engine = create_engine(self.url, isolation_level="AUTOCOMMIT", connect_args={"timeout": 10})
            self._connection = engine.connect()
        return self._connection

    async def execute(self, statement: Any, *args: Any) -> Any:
        return self._conn().execute(statement, *args)

    async def scalar(self, statement: Any) -> Any:
        return self._conn().execute(statement).scalar()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection.engine.dispose()
            self._connection = None


class SyncSession:
    """The AsyncSession coroutines the gateway's writes use, over a synchronous Session."""

    def __init__(self, session: Session) -> None:
        self.sync = session

    def add(self, instance: Any) -> None:
        self.sync.add(instance)

    async def execute(self, statement: Any, *args: Any) -> Any:
        return self.sync.execute(statement, *args)

    async def scalar(self, statement: Any) -> Any:
        return self.sync.scalar(statement)

    async def get(self, entity: Any, ident: Any) -> Any:
        return self.sync.get(entity, ident)

    async def flush(self) -> None:
        self.sync.flush()

    async def commit(self) -> None:
        self.sync.commit()

    async def rollback(self) -> None:
        self.sync.rollback()

    @contextlib.asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[None]:
        with self.sync.begin_nested():
            yield


class SqliteWriter:
    def __init__(self, url: str, busy_timeout: float = 0.02) -> None:
        self.engine = create_engine(_sync_url(url), connect_args={"timeout": busy_timeout})

    async def run(self, work: Callable[[Any], Awaitable[T]]) -> T:
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                return await work(SyncSession(session))
            except BaseException:
                session.rollback()
                raise

    def close(self) -> None:
        self.engine.dispose()
