"""Engine, sessions, the declarative base and the column types shared by every domain package."""

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, DateTime, MetaData, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every engine (SQLite keeps no offset of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# JSONB on PostgreSQL (indexable, comparable), plain JSON elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False, index=True
    )


def sqlite_pragmas(dbapi_connection: Any, busy_timeout_ms: int = 10_000) -> None:
    """Every SQLite connection: foreign keys on, WAL, and no fsync per commit (WAL with synchronous=NORMAL
    stays consistent; a power cut may lose the last commits, not corrupt the file)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cursor.close()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    sqlite_pragmas(dbapi_connection)


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


class Database:
    """One engine and its session factory; the app, the CLI and the tests each hold one."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessionmaker() as session:
            yield session

    async def run(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """`work(conn)` on a pooled Core connection (work that commits what it writes)."""
        async with self.engine.connect() as conn:
            return await work(conn)

    async def dispose(self) -> None:
        await self.engine.dispose()


class Prepared:
    """A SELECT on a hot path, built once. On a connection that offers `direct` (the gateway's SQLite reader)
    it is compiled once and run straight on the driver's cursor, skipping SQLAlchemy's per-execution work
    (the statement's bind and result types still convert the values); anywhere else it is an ordinary
    statement. `all` returns plain tuples in the order of the selected columns."""

    __slots__ = ("statement", "_compiled")

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._compiled: tuple[Any, ...] | None = None

    def compiled_for(self, dialect: Any) -> tuple[str, list[tuple[str, Any, Any]], list[Any]]:
        """(SQL, [(parameter, constant value, bind processor)], [result processor per column]) for a
        positional-parameter dialect, computed on first use."""
        if self._compiled is None:
            compiled = self.statement.compile(dialect=dialect)
            binds = []
            for name in compiled.positiontup or ():
                bind = compiled.binds[name]
                processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
                binds.append((name, bind.effective_value, processor))
            results = [
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in self.statement.selected_columns
            ]
            self._compiled = (str(compiled), binds, results)
        return self._compiled

    async def all(self, conn: Any, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        direct = getattr(conn, "direct", None)
        if direct is not None:
            return direct(self, params)
        return [tuple(row) for row in (await conn.execute(self.statement, params)).all()]


def json_array_contains(column: Any, value: str, dialect: str) -> Any:
    """SQL: the JSON array in `column` has `value` as an element."""
    from sqlalchemy import exists, func, literal, select
    from sqlalchemy.dialects.postgresql import JSONB

    if dialect == "postgresql":
        return column.op("@>")(func.cast(literal(f'["{_json_escape(value)}"]'), JSONB))
    each = func.json_each(column).table_valued("value")
    return exists(select(1).select_from(each).where(each.c.value == value))


def _json_escape(value: str) -> str:
    import json

    return json.dumps(value)[1:-1]


def contains_pattern(text: str) -> str:
    """A LIKE pattern (escape character backslash) matching lower-cased values that contain `text`."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def one_of(column: Any, values: list[str], dialect: str) -> Any:
    """SQL: `column` is one of `values` (strings). On PostgreSQL one array parameter rather than one parameter per
    value, so batches of thousands of keys make one small, reusable statement; written as a semi-join on
    `unnest(array)` so that the planner can probe an index per key (or hash), never compare each row with the
    whole array, even while a bulk import has left the table's statistics stale."""
    if dialect == "postgresql":
        from sqlalchemy import String, func, literal, select
        from sqlalchemy.dialects.postgresql import ARRAY

        return column.in_(select(func.unnest(literal(values, ARRAY(String)))))
    return column.in_(values)
