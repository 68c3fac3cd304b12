"""Charge stations: registration, configuration and linking to locations."""

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.auth.deps import Principal
from chargedesk.auth.passwords import hash_password
from chargedesk.db import contains_pattern, json_array_contains, utcnow
from chargedesk.errors import Conflict, Invalid, NotFound
from chargedesk.locations import service as locations
from chargedesk.pagination import PageParams, fetch_page
from chargedesk.stations.models import ChargeStation, ConnectorStatus
from chargedesk.stations.schemas import StationCreate, StationFields, StationOut


async def get(session: AsyncSession, principal: Principal, station_id: str) -> ChargeStation:
    station = await session.get(ChargeStation, station_id)
    if station is None or station.organization_id not in principal.visible:
        raise NotFound(f"No charge station with id {station_id!r}. Station ids are OCPP identities and case-sensitive.")
    return station


async def _check_location(session: AsyncSession, principal: Principal, location_id: str | None) -> None:
    if location_id is None:
        return
    try:
        await locations.get(session, principal, location_id)
    except NotFound:
        raise Invalid(
            "location_id",
            f"No location with id {location_id!r} in your organization tree (GET /api/v1/locations).",
        ) from None


async def create(session: AsyncSession, principal: Principal, data: StationCreate) -> ChargeStation:
    if await session.get(ChargeStation, data.id) is not None:
        raise Conflict(f"A charge station with id {data.id!r} exists already; station ids are unique.")
    fields = data.model_dump(mode="json", exclude={"password"})
    fields["organization_id"] = locations.check_organization(principal, data.organization_id)
    await _check_location(session, principal, data.location_id)
    station = ChargeStation(**fields)
    if data.password:
        station.password_hash = hash_password(data.password)
    session.add(station)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise Conflict(f"A charge station with id {data.id!r} exists already; station ids are unique.") from None
    await locations.touch(session, [station.location_id])
    return station


async def _apply(
    session: AsyncSession, principal: Principal, station: ChargeStation, fields: dict[str, Any]
) -> ChargeStation:
    if "organization_id" in fields:
        fields["organization_id"] = locations.check_organization(principal, fields["organization_id"])
    touched = {station.location_id}
    if "location_id" in fields:
        await _check_location(session, principal, fields["location_id"])
        touched.add(fields["location_id"])
    for name, value in fields.items():
        setattr(station, name, value)
    station.updated_at = utcnow()
    await session.flush()
    await locations.touch(session, touched)
    return station


async def replace(session: AsyncSession, principal: Principal, station_id: str, data: StationFields) -> ChargeStation:
    station = await get(session, principal, station_id)
    return await _apply(session, principal, station, data.model_dump(mode="json"))


async def patch(session: AsyncSession, principal: Principal, station_id: str, data: BaseModel) -> ChargeStation:
    station = await get(session, principal, station_id)
    return await _apply(session, principal, station, data.model_dump(mode="json", exclude_unset=True))


async def link(session: AsyncSession, principal: Principal, station_id: str, location_id: str | None) -> ChargeStation:
    station = await get(session, principal, station_id)
    return await _apply(session, principal, station, {"location_id": location_id})


async def set_password(session: AsyncSession, principal: Principal, station_id: str, password: str | None) -> None:
    station = await get(session, principal, station_id)
    station.password_hash = hash_password(password) if password else None
    station.updated_at = utcnow()
    await session.flush()


async def remove(session: AsyncSession, principal: Principal, station_id: str) -> None:
    station = await get(session, principal, station_id)
    location_id = station.location_id
    await session.execute(delete(ChargeStation).where(ChargeStation.id == station.id))
    await locations.touch(session, [location_id])


@dataclass
class StationFilters:
    q: str | None = None
    location_id: str | None = None
    custom_group: str | None = None
    online: bool | None = None
    access_mode: str | None = None


def filtered(principal: Principal, filters: StationFilters, dialect: str) -> Select[Any]:
    stmt = select(ChargeStation).where(ChargeStation.organization_id.in_(principal.visible))
    if filters.q:
        like = contains_pattern(filters.q)
        columns = (ChargeStation.id, ChargeStation.serial_number, ChargeStation.model, ChargeStation.vendor)
        stmt = stmt.where(or_(*(func.lower(c).like(like, escape="\\") for c in columns)))
    if filters.location_id:
        stmt = stmt.where(ChargeStation.location_id == filters.location_id)
    if filters.custom_group:
        stmt = stmt.where(json_array_contains(ChargeStation.custom_groups, filters.custom_group, dialect))
    if filters.online is not None:
        stmt = stmt.where(ChargeStation.online.is_(filters.online))
    if filters.access_mode:
        stmt = stmt.where(ChargeStation.access_mode == filters.access_mode)
    return stmt


async def list_page(
    session: AsyncSession, principal: Principal, filters: StationFilters, params: PageParams
) -> tuple[list[ChargeStation], str | None]:
    stmt = filtered(principal, filters, session.bind.dialect.name)
    if params.updated_since is not None:
        stmt = stmt.where(ChargeStation.updated_at >= params.updated_since)
    return await fetch_page(session, stmt, ChargeStation.id, params)


async def render(session: AsyncSession, stations: list[ChargeStation]) -> list[StationOut]:
    ids = [s.id for s in stations]
    statuses: dict[str, list[ConnectorStatus]] = {i: [] for i in ids}
    if ids:
        rows = await session.scalars(
            select(ConnectorStatus).where(ConnectorStatus.station_id.in_(ids)).order_by(ConnectorStatus.connector_id)
        )
        for row in rows:
            statuses[row.station_id].append(row)
    out = []
    for station in stations:
        data = {c.key: getattr(station, c.key) for c in ChargeStation.__table__.columns}
        data["has_password"] = station.password_hash is not None
        data["connector_statuses"] = statuses[station.id]
        out.append(StationOut.model_validate(data))
    return out


async def render_one(session: AsyncSession, station: ChargeStation) -> StationOut:
    return (await render(session, [station]))[0]


async def count(session: AsyncSession, principal: Principal, filters: StationFilters) -> int:
    stmt = filtered(principal, filters, session.bind.dialect.name)
    return int(await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
