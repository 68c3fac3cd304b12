"""Keyset (cursor) pagination: stable while rows are inserted, and as fast on page 2,000 as on page 1."""

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.errors import Invalid

MAX_LIMIT = 1000
_CURSOR_TAG = "k1:"
T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


@dataclass
class PageParams:
    limit: int
    cursor: str | None
    updated_since: datetime | None

    def after(self) -> str | None:
        if not self.cursor:
            return None
        try:
            padded = self.cursor.encode() + b"=" * (-len(self.cursor) % 4)
            decoded = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
        except (binascii.Error, UnicodeError, ValueError):
            decoded = ""
        if not decoded.startswith(_CURSOR_TAG):
            raise Invalid("cursor", "invalid cursor: pass the next_cursor of the previous page as it is")
        return decoded[len(_CURSOR_TAG) :]


def page_params(
    limit: int = Query(50, ge=1, description=f"Page size; values above {MAX_LIMIT} are capped to {MAX_LIMIT}."),
    cursor: str | None = Query(None, description="The next_cursor of the previous page."),
    updated_since: datetime | None = Query(
        None, description="Only rows changed at or after this time (ISO 8601), for incremental sync."
    ),
) -> PageParams:
    return PageParams(min(limit, MAX_LIMIT), cursor, updated_since)


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode((_CURSOR_TAG + key).encode()).decode().rstrip("=")


async def fetch_page(
    session: AsyncSession, stmt: Select[Any], key: Any, params: PageParams
) -> tuple[list[Any], str | None]:
    """Run `stmt` ordered by the unique column `key`, from the cursor on; returns the rows and the next cursor."""
    after = params.after()
    if after is not None:
        stmt = stmt.where(key > after)
    rows = list((await session.scalars(stmt.order_by(key).limit(params.limit + 1))).all())
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        return rows, encode_cursor(str(getattr(rows[-1], key.key)))
    return rows, None


async def fetch_page_newest_first(
    session: AsyncSession, stmt: Select[Any], key: Any, params: PageParams
) -> tuple[list[Any], str | None]:
    """Like `fetch_page`, newest first, for tables keyed by an increasing integer (logs, sessions)."""
    after = params.after()
    if after is not None:
        if not after.isdigit():
            raise Invalid("cursor", "invalid cursor: pass the next_cursor of the previous page as it is")
        stmt = stmt.where(key < int(after))
    rows = list((await session.scalars(stmt.order_by(key.desc()).limit(params.limit + 1))).all())
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        return rows, encode_cursor(str(getattr(rows[-1], key.key)))
    return rows, None
