"""The gateway's SQLite writer: group commit, one failing write undone alone, the fallback when the write lock
is held elsewhere."""

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from chargedesk.db import Database
from chargedesk.ocpp.sqlite_direct import SqliteWriter

INSERT = text("INSERT INTO readings (k, v) VALUES (:k, :v)")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    file = tmp_path / "writer.db"
    with sqlite3.connect(file) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE readings (k TEXT PRIMARY KEY, v INTEGER NOT NULL)")
    return file


def rows(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT k, v FROM readings").fetchall())


async def no_fallback(work: Any) -> Any:
    raise AssertionError("the fallback was not expected")


def insert(k: str, v: int) -> Any:
    async def work(conn: Any) -> str:
        await conn.execute(INSERT, {"k": k, "v": v})
        await conn.commit()
        return k

    return work


async def test_the_writes_of_one_moment_share_one_commit(path: Path) -> None:
    writer = SqliteWriter(f"sqlite+aiosqlite:///{path}", fallback=no_fallback)
    commits = []
    event.listen(writer.engine, "commit", lambda conn: commits.append(1))
    try:
        done = await asyncio.gather(*(writer.run(insert(f"k{i}", i)) for i in range(50)))
    finally:
        writer.close()
    assert done == [f"k{i}" for i in range(50)]
    assert rows(path) == {f"k{i}": i for i in range(50)}
    assert len(commits) == 1


async def test_a_failing_write_is_undone_alone(path: Path) -> None:
    writer = SqliteWriter(f"sqlite+aiosqlite:///{path}", fallback=no_fallback)

    async def half_then_fail(conn: Any) -> None:
        await conn.execute(INSERT, {"k": "half", "v": 1})
        raise ValueError("broken")

    async def conflict_then_read(conn: Any) -> int:
        try:
            await conn.execute(INSERT, {"k": "a", "v": 99})  # "a" is inserted by the first write of the batch
            await conn.commit()
        except IntegrityError:
            await conn.rollback()
        return (await conn.execute(text("SELECT v FROM readings WHERE k = 'a'"))).scalar_one()

    async def never_commits(conn: Any) -> None:
        await conn.execute(INSERT, {"k": "forgotten", "v": 3})

    try:
        outcomes = await asyncio.gather(
            writer.run(insert("a", 1)),
            writer.run(half_then_fail),
            writer.run(conflict_then_read),
            writer.run(never_commits),
            writer.run(insert("b", 2)),
            return_exceptions=True,
        )
    finally:
        writer.close()
    assert outcomes[0] == "a" and outcomes[2] == 1 and outcomes[3] is None and outcomes[4] == "b"
    assert isinstance(outcomes[1], ValueError)
    assert rows(path) == {"a": 1, "b": 2}


async def test_writes_wait_for_a_write_lock_held_elsewhere_off_the_event_loop(path: Path) -> None:
    url = f"sqlite+aiosqlite:///{path}"
    db = Database(url)
    used: list[int] = []

    async def fallback(work: Any) -> Any:
        used.append(1)
        return await db.run(work)

    writer = SqliteWriter(url, fallback=fallback)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO readings (k, v) VALUES ('held', 0)")
    try:
        pending = asyncio.gather(writer.run(insert("x", 1)), writer.run(insert("y", 2)))
        ticks = 0
        while ticks < 20:  # the event loop keeps turning while the writes wait
            await asyncio.sleep(0.01)
            ticks += 1
        assert not pending.done()
        holder.execute("COMMIT")
        assert await pending == ["x", "y"]
        assert await writer.run(insert("z", 3)) == "z"  # the lock is free again: the writer's own path
    finally:
        holder.close()
        writer.close()
        await db.dispose()
    assert used == [1, 1]
    assert rows(path) == {"held": 0, "x": 1, "y": 2, "z": 3}


async def test_checkpoints_run_off_the_commit_path(path: Path) -> None:
    writer = SqliteWriter(f"sqlite+aiosqlite:///{path}", fallback=no_fallback, checkpoint_interval=0.05)
    try:
        await writer.run(insert("k", 1))
        assert writer.checkpoints == 0  # not on the commit
        for _ in range(100):
            if writer.checkpoints:
                break
            await asyncio.sleep(0.02)
        assert writer.checkpoints >= 1  # the writer's own checkpoint, on a worker thread
    finally:
        writer.close()
    assert rows(path) == {"k": 1}
