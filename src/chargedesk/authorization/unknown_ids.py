"""The unknown-id inbox: ids that stations presented and no token matched."""

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.auth.deps import Principal
from chargedesk.authorization.models import UnknownId
from chargedesk.ids import new_id
from chargedesk.pagination import PageParams, fetch_page


async def record(session: AsyncSession, station_id: str, organization_id: str, id_tag: str, at: datetime) -> None:
    """Count one sighting of `id_tag` at the station (first/last seen, count); flushes, does not commit."""
    id_tag = id_tag.strip().upper()[:36]
    bump = (
        update(UnknownId)
        .where(UnknownId.station_id == station_id, UnknownId.id_tag == id_tag)
        .values(count=UnknownId.count + 1, last_seen=at, updated_at=at)
    )
    if (await session.execute(bump)).rowcount:
        return
    try:
        async with session.begin_nested():
            session.add(
                UnknownId(
                    id=new_id("unk"),
                    station_id=station_id,
                    organization_id=organization_id,
                    id_tag=id_tag,
                    first_seen=at,
                    last_seen=at,
                    count=1,
                )
            )
    except IntegrityError:  # the same card at the same station on two connections at once
        await session.execute(bump)


async def list_page(
    session: AsyncSession, principal: Principal, station_id: str | None, params: PageParams
) -> tuple[list[UnknownId], str | None]:
    stmt = select(UnknownId).where(UnknownId.organization_id.in_(principal.visible))
    if station_id:
        stmt = stmt.where(UnknownId.station_id == station_id)
    if params.updated_since is not None:
        stmt = stmt.where(UnknownId.updated_at >= params.updated_since)
    return await fetch_page(session, stmt, UnknownId.id, params)
