"""The station message log: every OCPP-J frame, written in batches by a background task.

A station's answer never waits for the log: frames are queued (`record` does not block) and one writer task
inserts them a batch at a time (what arrived within `linger` seconds of the first, up to `batch` frames).
"""

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from chargedesk.db import Database, utcnow
from chargedesk.ocpp.models import OcppMessage
from chargedesk.pagination import PageParams, fetch_page_newest_first

LOGGER = logging.getLogger("chargedesk.ocpp.log")
MESSAGE_TYPES = {2: "CALL", 3: "CALLRESULT", 4: "CALLERROR"}
ID_TAG_KEYS = ("idTag", "idToken", "parentIdTag")
_COLUMNS = ("station_id", "at", "direction", "message_type", "message_id", "action", "payload", "id_tags")
_INSERT = OcppMessage.__table__.insert()  # Core executemany: no ORM bookkeeping per frame
_SQLITE_INSERT = f"INSERT INTO ocpp_messages ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"


def id_tags(payload: Any) -> str | None:
    """Every idTag / idToken value anywhere in the payload, as ' A B ' (upper-cased) for a LIKE filter."""
    found: list[str] = []
    _collect_id_tags(payload, found)
    return f" {' '.join(found)} " if found else None


def _collect_id_tags(value: Any, found: list[str]) -> None:
    # A module-level function, not a closure that calls itself: such a closure is a reference cycle, garbage
    # for the cycle collector twice per exchanged frame.
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ID_TAG_KEYS and isinstance(item, str):
                found.append(item.strip().upper())
            else:
                _collect_id_tags(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect_id_tags(item, found)


@dataclass(slots=True)
class Frame:
    station_id: str
    at: datetime
    direction: str
    message_type: str
    message_id: str | None
    action: str | None
    payload: Any

    def row(self) -> dict[str, Any]:
        return dict(zip(_COLUMNS, self.values(), strict=True))

    def values(self) -> tuple[Any, ...]:
        return (
            self.station_id,
            self.at,
            self.direction,
            self.message_type,
            # A malformed frame may carry a number where the id or the action belongs.
            str(self.message_id)[:64] if self.message_id is not None else None,
            str(self.action)[:50] if self.action is not None else None,
            self.payload,
            id_tags(self.payload),
        )

    def sqlite_row(self) -> tuple[Any, ...]:
        """`values()` as SQLite stores them: `at` as UTC text (the format of SQLAlchemy's DATETIME, so time
        filters compare alike), the payload as JSON text."""
        station_id, at, direction, message_type, message_id, action, payload, tags = self.values()
        stored_at = at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        return (station_id, stored_at, direction, message_type, message_id, action, json.dumps(payload), tags)


class MessageLog:
    """Queue of frames and the task that writes them."""

    def __init__(
        self,
        db: Database,
        enabled: bool = True,
        batch: int = 1000,
        max_queued: int = 200_000,
        linger: float = 0.05,
        write: Callable[[Callable[[Any], Awaitable[Any]]], Awaitable[Any]] | None = None,
    ) -> None:
        self.db = db
        self.write = write or db.run
        self.enabled = enabled
        self.batch = batch
        self.linger = linger
        self.queue: asyncio.Queue[Frame] = asyncio.Queue(max_queued)
        self.dropped = 0
        self._writer: asyncio.Task[None] | None = None

    def record(
        self,
        station_id: str,
        direction: str,
        message_type: str,
        message_id: str | None,
        action: str | None,
        payload: Any,
    ) -> None:
        if not self.enabled:
            return
        frame = Frame(station_id, utcnow(), direction, message_type, message_id, action, payload)
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.dropped += 1  # the database cannot keep up: keep answering stations, lose log lines
            return
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_forever())

    async def _write_forever(self) -> None:
        while True:
            frames = [await self.queue.get()]
            if self.queue.qsize() < self.batch:
                # Let a batch gather: one insert and one commit for many frames, not one per frame.
                await asyncio.sleep(self.linger)
            while len(frames) < self.batch and not self.queue.empty():
                frames.append(self.queue.get_nowait())
            try:
                await self.write(self._inserter(frames))
            except Exception:
                LOGGER.exception("could not write %d OCPP log lines", len(frames))
            finally:
                for _ in frames:
                    self.queue.task_done()

    def _inserter(self, frames: list[Frame]) -> Callable[[Any], Awaitable[None]]:
        """The write of a batch. On SQLite the rows go to the driver as they are stored (UTC text, JSON text):
        SQLAlchemy's per-value conversions cost more than SQLite's insert itself."""
        sqlite = self.db.dialect == "sqlite"
        rows = [f.sqlite_row() if sqlite else f.row() for f in frames]

        async def insert(conn: Any) -> None:
            if sqlite:
                await conn.exec_driver_sql(_SQLITE_INSERT, rows)
            else:
                await conn.execute(_INSERT, rows)
            await conn.commit()

        return insert

    async def flush(self) -> None:
        """Wait until every queued frame is written (tests, shutdown)."""
        if self._writer is not None and not self._writer.done():
            await self.queue.join()

    async def close(self) -> None:
        await self.flush()
        if self._writer is not None:
            self._writer.cancel()

    async def cleanup(self, days: int) -> int:
        """Delete frames older than `days` days; returns how many."""
        cutoff = utcnow() - timedelta(days=days)

        async def prune(conn: Any) -> int:
            result = await conn.execute(delete(OcppMessage).where(OcppMessage.at < cutoff))
            await conn.commit()
            return int(result.rowcount or 0)

        return await self.write(prune)


@dataclass
class MessageFilters:
    action: str | None = None
    direction: str | None = None
    message_type: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    id_tag: str | None = None


async def list_page(
    session: Any, station_id: str, filters: MessageFilters, params: PageParams
) -> tuple[list[OcppMessage], str | None]:
    """Newest first."""
    stmt = select(OcppMessage).where(OcppMessage.station_id == station_id)
    if filters.action:
        stmt = stmt.where(OcppMessage.action == filters.action)
    if filters.direction:
        stmt = stmt.where(OcppMessage.direction == filters.direction)
    if filters.message_type:
        stmt = stmt.where(OcppMessage.message_type == filters.message_type)
    if filters.start is not None:
        stmt = stmt.where(OcppMessage.at >= filters.start)
    if filters.end is not None:
        stmt = stmt.where(OcppMessage.at < filters.end)
    if filters.id_tag:
        tag = filters.id_tag.strip().upper().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(OcppMessage.id_tags.like(f"% {tag} %", escape="\\"))
    return await fetch_page_newest_first(session, stmt, OcppMessage.id, params)
