"""What a driver (the Charge Assist app, through a driver key) may see: RULES.md §2."""

import math
from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.auth.deps import Principal
from chargedesk.auth.keys import DRIVER_ROLE, create_key
from chargedesk.auth.models import ApiKey
from chargedesk.customers.models import Customer
from chargedesk.errors import NotFound
from chargedesk.locations.models import Location, LocationAuthorizedCustomer, LocationAuthorizedToken
from chargedesk.locations.service import private_clause
from chargedesk.organizations.models import Organization
from chargedesk.organizations.service import descendant_ids
from chargedesk.tokens.models import Token

EARTH_RADIUS_KM = 6371.0


async def issue_key(session: AsyncSession, principal: Principal, customer_id: str) -> tuple[ApiKey, str]:
    customer = await session.get(Customer, customer_id)
    if customer is None or customer.organization_id not in principal.visible:
        raise NotFound(f"No customer with id {customer_id!r}.")
    return await create_key(session, customer.organization_id, DRIVER_ROLE, customer_id=customer.id, name="driver")


async def _network(session: AsyncSession, organization_id: str) -> frozenset[str]:
    """The organisations whose locations a driver of `organization_id` may see: its whole tree."""
    root = await session.scalar(select(Organization.root_id).where(Organization.id == organization_id))
    return await descendant_ids(session, root or organization_id)


def visible_clause(customer_id: str) -> Any:
    """SQL: this customer may see the location (published and public, or private and authorized)."""
    by_customer = exists().where(
        LocationAuthorizedCustomer.location_id == Location.id, LocationAuthorizedCustomer.customer_id == customer_id
    )
    by_token = exists().where(
        LocationAuthorizedToken.location_id == Location.id,
        LocationAuthorizedToken.token_id.in_(select(Token.id).where(Token.customer_id == customer_id)),
    )
    return (Location.published.is_(True) & ~private_clause()) | by_customer | by_token


def bounding_box(latitude: float, longitude: float, radius_km: float) -> tuple[float, float, float, float]:
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    dlon = math.degrees(radius_km / (EARTH_RADIUS_KM * max(math.cos(math.radians(latitude)), 1e-6)))
    return latitude - dlat, latitude + dlat, longitude - dlon, longitude + dlon


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


async def locations_for(
    session: AsyncSession,
    principal: Principal,
    near: tuple[float, float] | None,
    radius_km: float,
    limit: int,
    after: str | None,
) -> tuple[list[tuple[Location, float | None]], str | None]:
    """The locations this driver may see; nearest first with `near` (within radius_km), else by id with a cursor."""
    assert principal.customer_id is not None
    network = await _network(session, principal.organization_id)
    stmt = select(Location).where(Location.organization_id.in_(network), visible_clause(principal.customer_id))
    if near is None:
        if after:
            stmt = stmt.where(Location.id > after)
        rows = list((await session.scalars(stmt.order_by(Location.id).limit(limit + 1))).all())
        more = len(rows) > limit
        rows = rows[:limit]
        return [(row, None) for row in rows], (rows[-1].id if more else None)
    lat_min, lat_max, lon_min, lon_max = bounding_box(near[0], near[1], radius_km)
    box = and_(Location.latitude.between(lat_min, lat_max), Location.longitude.between(lon_min, lon_max))
    # Rank on (id, latitude, longitude) alone; load whole rows only for the nearest `limit`.
    candidates = (
        await session.execute(stmt.where(box).with_only_columns(Location.id, Location.latitude, Location.longitude))
    ).all()
    ranked = sorted(
        (d, location_id)
        for location_id, latitude, longitude in candidates
        if (d := distance_km(near[0], near[1], latitude, longitude)) <= radius_km
    )[:limit]
    rows = {
        row.id: row for row in await session.scalars(select(Location).where(Location.id.in_([i for _, i in ranked])))
    }
    return [(rows[i], d) for d, i in ranked], None
