"""Fixtures: every API test runs once on SQLite and once on a fresh PostgreSQL database."""

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import httpx
import pytest
from sqlalchemy import text

from chargedesk.app import create_app
from chargedesk.auth.keys import create_key
from chargedesk.config import Settings
from chargedesk.db import Database
from chargedesk.migrations import upgrade
from chargedesk.models import Base
from chargedesk.organizations import service as organizations

PG_HOST = os.environ.get("CHARGEDESK_TEST_PG_HOST", "127.0.0.1")
PG_DSN = f"postgresql://postgres@{PG_HOST}:5432/postgres"
IN_CI = bool(os.environ.get("CI"))


async def _pg_admin() -> asyncpg.Connection:
    try:
        return await asyncpg.connect(PG_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        message = f"PostgreSQL at {PG_HOST}:5432 is not reachable ({exc})"
        if IN_CI:
            pytest.fail(message + ": CI needs it (see .ci/run)")
        pytest.skip(message)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        upgrade(url)
        db = Database(url)
        yield db
        await db.dispose()
        return
    name = f"chargedesk_test_{uuid.uuid4().hex[:12]}"
    admin = await _pg_admin()
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+asyncpg://postgres@{PG_HOST}:5432/{name}"
    try:
        upgrade(url)
        db = Database(url)
        yield db
        await db.dispose()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def truncate(db: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with db.engine.connect() as conn:
        if db.dialect == "postgresql":
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            await conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for table in tables:
                await conn.execute(text(f"DELETE FROM {table}"))
            await conn.commit()
            await conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        await conn.commit()


@pytest.fixture
async def db(database: Database) -> AsyncIterator[Database]:
    yield database
    await truncate(database)


@pytest.fixture
def settings(db: Database) -> Settings:
    return Settings(database_url=db.url)


@pytest.fixture
async def client(db: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, db=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api/v1") as c:
        yield c


@dataclass
class Caller:
    organization_id: str
    headers: dict[str, str]


KeyFactory = Callable[..., Awaitable[Caller]]


@pytest.fixture
def make_key(db: Database) -> KeyFactory:
    """Create an organisation (below `parent`, if given) and a key of `role` for it."""

    async def factory(org: str = "Operator", role: str = "admin", parent: Caller | None = None) -> Caller:
        async with db.sessionmaker() as session:
            existing = await organizations.by_name(session, org)
            if existing is None:
                existing = await organizations.create(session, org, parent.organization_id if parent else None)
            _, secret = await create_key(session, existing.id, role)
            await session.commit()
        return Caller(existing.id, {"Authorization": f"Bearer {secret}"})

    return factory


@pytest.fixture
async def admin(make_key: KeyFactory) -> Caller:
    return await make_key()
