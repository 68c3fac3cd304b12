"""The unknown-id inbox: ids that stations presented and no token matched."""

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.auth.deps import Principal
from chargedesk.authorization.models import UnknownId
from chargedesk.db import utcnow
from chargedesk.ids import new_id
from chargedesk.pagination import PageParams, fetch_page

_BUMP = (
    update(UnknownId)
    .where(UnknownId.station_id == bindparam("b_station_id"), UnknownId.id_tag == bindparam("b_id_tag"))
    .values(count=UnknownId.count + 1)
)
_NEW = insert(UnknownId)


async def record(conn: Any, station_id: str, organization_id: str, id_tag: str, at: datetime | None = None) -> None:
    """Count one sighting of `id_tag` at the station (first/last seen, count), and commit. `conn` is an
    AsyncSession, an AsyncConnection or the gateway's SQLite connection."""
    at = at or utcnow()
    id_tag = id_tag.strip().upper()[:36]
    bump = {"b_station_id": station_id, "b_id_tag": id_tag, "last_seen": at, "updated_at": at}
    if (await conn.execute(_BUMP, bump)).rowcount:
        await conn.commit()
        return
    row = {
        "id": new_id("unk"),
        "station_id": station_id,
        "organization_id": organization_id,
        "id_tag": id_tag,
        "first_seen": at,
        "last_seen": at,
        "count": 1,
    }
    try:
        await conn.execute(_NEW, row)
        await conn.commit()
    except IntegrityError:  # the same card at the same station on two connections at once
        await conn.rollback()
        await conn.execute(_BUMP, bump)
        await conn.commit()


async def list_page(
    session: AsyncSession, principal: Principal, station_id: str | None, params: PageParams
) -> tuple[list[UnknownId], str | None]:
    stmt = select(UnknownId).where(UnknownId.organization_id.in_(principal.visible))
    if station_id:
        stmt = stmt.where(UnknownId.station_id == station_id)
    if params.updated_since is not None:
        stmt = stmt.where(UnknownId.updated_at >= params.updated_since)
    return await fetch_page(session, stmt, UnknownId.id, params)
