"""Locations: the operator's charging sites. Other packages call these functions, never the tables."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, and_, delete, exists, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.audit import service as audit
from chargedesk.auth.deps import Principal
from chargedesk.db import contains_pattern, json_array_contains, utcnow
from chargedesk.errors import Conflict, Invalid, NotFound
from chargedesk.ids import new_id
from chargedesk.locations.models import Location, LocationAuthorizedCustomer, LocationAuthorizedToken
from chargedesk.locations.schemas import LocationIn, LocationOut
from chargedesk.pagination import PageParams, fetch_page
from chargedesk.stations.models import ChargeStation


def _search_text(location: Location) -> str:
    parts = (location.name, location.address, location.city, location.postal_code, location.external_id)
    return " ".join(p for p in parts if p).lower()


def _columns(fields: dict[str, Any]) -> dict[str, Any]:
    """API fields (as JSON) to column values: the coordinates object is two columns."""
    columns = dict(fields)
    if "coordinates" in columns:
        coordinates = columns.pop("coordinates")
        columns["latitude"] = coordinates["latitude"]
        columns["longitude"] = coordinates["longitude"]
    return columns


def check_organization(principal: Principal, organization_id: str | None) -> str:
    if organization_id is None:
        return principal.organization_id
    if organization_id not in principal.visible:
        raise Invalid(
            "organization_id",
            f"No organization with id {organization_id!r} in your organization tree; "
            "use your own organization's id or one of its sub-organizations'.",
        )
    return organization_id


def private_clause() -> Any:
    """SQL: the location has at least one customer or token on its authorization list."""
    return or_(
        exists().where(LocationAuthorizedCustomer.location_id == Location.id),
        exists().where(LocationAuthorizedToken.location_id == Location.id),
    )


async def is_private(session: AsyncSession, location_id: str) -> bool:
    query = select(
        exists().where(LocationAuthorizedCustomer.location_id == location_id)
        | exists().where(LocationAuthorizedToken.location_id == location_id)
    )
    return bool(await session.scalar(query))


async def get(session: AsyncSession, principal: Principal, location_id: str) -> Location:
    location = await session.get(Location, location_id)
    if location is None or location.organization_id not in principal.visible:
        raise NotFound(f"No location with id {location_id!r}.")
    return location


async def create(session: AsyncSession, principal: Principal, data: LocationIn) -> Location:
    fields = data.model_dump(mode="json")
    fields["organization_id"] = check_organization(principal, data.organization_id)
    if fields["published"] is None:
        fields["published"] = True
    location = Location(id=new_id("loc"), **_columns(fields))
    location.search_text = _search_text(location)
    session.add(location)
    await session.flush()
    return location


async def _apply(session: AsyncSession, principal: Principal, location: Location, fields: dict[str, Any]) -> Location:
    if fields.get("published", False) is None:
        del fields["published"]  # not sent: the publish state stays as it is
    if "organization_id" in fields:
        fields["organization_id"] = check_organization(principal, fields["organization_id"])
    if fields.get("published") and not location.published and await is_private(session, location.id):
        raise _cannot_publish()
    for name, value in _columns(fields).items():
        setattr(location, name, value)
    location.search_text = _search_text(location)
    location.updated_at = utcnow()
    await session.flush()
    return location


async def replace(session: AsyncSession, principal: Principal, location_id: str, data: LocationIn) -> Location:
    location = await get(session, principal, location_id)
    return await _apply(session, principal, location, data.model_dump(mode="json"))


async def patch(session: AsyncSession, principal: Principal, location_id: str, data: BaseModel) -> Location:
    location = await get(session, principal, location_id)
    return await _apply(session, principal, location, data.model_dump(mode="json", exclude_unset=True))


async def remove(session: AsyncSession, principal: Principal, location_id: str) -> None:
    location = await get(session, principal, location_id)
    count = await session.scalar(select(func.count()).where(ChargeStation.location_id == location.id))
    if count:
        raise Conflict(
            f"Location {location_id!r} has {count} charge station(s) linked; "
            "unlink or move them first (DELETE /api/v1/charge-stations/{id}/location)."
        )
    await session.execute(delete(Location).where(Location.id == location.id))


def _cannot_publish() -> Conflict:
    return Conflict(
        "This location is private (its authorization list is not empty), so it cannot be published. "
        "To make it public again, remove every customer and charge token from the list, then publish it."
    )


async def set_published(session: AsyncSession, principal: Principal, location_id: str, published: bool) -> Location:
    location = await get(session, principal, location_id)
    was = location.published
    location = await _apply(session, principal, location, {"published": published})
    if was != published:
        action = "location.published" if published else "location.unpublished"
        await audit.record(session, principal, location.organization_id, f"location:{location.id}", action, "single")
    return location


async def touch(session: AsyncSession, location_ids: Iterable[str | None]) -> None:
    """Mark locations changed (a station on them changed), so `updated_since` syncs pick them up."""
    ids = {i for i in location_ids if i}
    if ids:
        await session.execute(update(Location).where(Location.id.in_(ids)).values(updated_at=utcnow()))


@dataclass
class LocationFilters:
    q: str | None = None
    custom_group: str | None = None
    published: bool | None = None
    private: bool | None = None


# Above this many trigram matches a scan in id order finds a page sooner than sorting the matches.
DENSE_MATCHES = 500


async def _matches(session: AsyncSession, q: str) -> Any:
    """SQL: the location's search text contains `q` (case-insensitive).

    PostgreSQL answers the LIKE from its pg_trgm index. On SQLite the FTS5 trigram table finds the rows of a
    rare term; a common term is found sooner by scanning in id order, so the trigram table is asked first how
    for the matching ids (up to DENSE_MATCHES). Trigrams need three characters: shorter terms always scan."""
    clause = Location.search_text.like(contains_pattern(q), escape="\\")
    if session.bind.dialect.name != "sqlite" or len(q.strip()) < 3:
        return clause
    phrase = '"' + q.lower().replace('"', '""') + '"'
    matching = text(
        "SELECT locations.id FROM locations_search JOIN locations ON locations.rowid = locations_search.rowid "
        f"WHERE locations_search MATCH :phrase LIMIT {DENSE_MATCHES}"
    ).bindparams(phrase=phrase)
    ids = (await session.scalars(matching)).all()
    if len(ids) >= DENSE_MATCHES:
        return clause
    return and_(Location.id.in_(ids), clause)


async def filtered(session: AsyncSession, principal: Principal, filters: LocationFilters) -> Select[Any]:
    dialect = session.bind.dialect.name
    stmt = select(Location).where(Location.organization_id.in_(principal.visible))
    if filters.q:
        stmt = stmt.where(await _matches(session, filters.q))
    if filters.custom_group:
        stmt = stmt.where(json_array_contains(Location.custom_groups, filters.custom_group, dialect))
    if filters.published is not None:
        stmt = stmt.where(Location.published.is_(filters.published))
    if filters.private is not None:
        stmt = stmt.where(private_clause() if filters.private else ~private_clause())
    return stmt


async def list_page(
    session: AsyncSession, principal: Principal, filters: LocationFilters, params: PageParams
) -> tuple[list[Location], str | None]:
    stmt = await filtered(session, principal, filters)
    if params.updated_since is not None:
        stmt = stmt.where(Location.updated_at >= params.updated_since)
    return await fetch_page(session, stmt, Location.id, params)


async def facts(session: AsyncSession, location_ids: list[str]) -> dict[str, tuple[bool, int]]:
    """For each location: (private, station_count), in three indexed queries for a whole page."""
    if not location_ids:
        return {}
    private: set[str] = set()
    for model in (LocationAuthorizedCustomer, LocationAuthorizedToken):
        private.update(
            (
                await session.scalars(select(model.location_id).where(model.location_id.in_(location_ids)).distinct())
            ).all()
        )
    counts = dict(
        (
            await session.execute(
                select(ChargeStation.location_id, func.count())
                .where(ChargeStation.location_id.in_(location_ids))
                .group_by(ChargeStation.location_id)
            )
        ).all()
    )
    return {i: (i in private, counts.get(i, 0)) for i in location_ids}


def to_out(location: Location, private: bool, station_count: int) -> LocationOut:
    data = {c.key: getattr(location, c.key) for c in Location.__table__.columns}
    data["coordinates"] = {"latitude": location.latitude, "longitude": location.longitude}
    return LocationOut.model_validate({**data, "private": private, "station_count": station_count})


async def render(session: AsyncSession, locations: list[Location]) -> list[LocationOut]:
    known = await facts(session, [loc.id for loc in locations])
    return [to_out(loc, *known[loc.id]) for loc in locations]


async def render_one(session: AsyncSession, location: Location) -> LocationOut:
    return (await render(session, [location]))[0]


async def count(session: AsyncSession, principal: Principal, filters: LocationFilters) -> int:
    stmt = await filtered(session, principal, filters)
    return int(await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


async def custom_groups(session: AsyncSession, principal: Principal) -> list[str]:
    """Every custom group used by a visible location, sorted (for filter menus)."""
    rows = await session.scalars(
        select(Location.custom_groups).where(Location.organization_id.in_(principal.visible)).distinct()
    )
    return sorted({group for groups in rows for group in groups or ()})


async def names(session: AsyncSession, principal: Principal, location_ids: Iterable[str | None]) -> dict[str, str]:
    """Name by id, for the visible ones among `location_ids` (one query, for a page of stations)."""
    ids = {i for i in location_ids if i}
    if not ids:
        return {}
    stmt = select(Location.id, Location.name).where(
        Location.id.in_(ids), Location.organization_id.in_(principal.visible)
    )
    return dict((await session.execute(stmt)).all())


async def choices(session: AsyncSession, principal: Principal, limit: int) -> list[tuple[str, str]]:
    """(id, name) of the visible locations by name, at most `limit` (for a menu that picks a location)."""
    stmt = select(Location.id, Location.name).where(Location.organization_id.in_(principal.visible))
    return [tuple(row) for row in (await session.execute(stmt.order_by(Location.name, Location.id).limit(limit))).all()]
