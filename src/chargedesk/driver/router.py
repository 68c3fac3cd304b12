"""The driver API (the Charge Assist app) and the operator endpoint that issues driver keys."""

from datetime import datetime

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.auth.deps import Principal, driver, get_session, require
from chargedesk.driver import service
from chargedesk.errors import Invalid
from chargedesk.locations.schemas import BusinessDetails, Coordinates, OpeningTimes
from chargedesk.locations.service import facts
from chargedesk.pagination import Page, PageParams, encode_cursor, page_params
from chargedesk.stations.models import ChargeStation, ConnectorStatus
from chargedesk.stations.schemas import ConnectorStatusOut, Evse

operator_router = APIRouter(tags=["driver API"])
router = APIRouter(prefix="/driver", tags=["driver API"])


class DriverKeyOut(BaseModel):
    id: str
    customer_id: str
    key: str = Field(description="Shown once: give it to the driver app.")
    created_at: datetime


@operator_router.post(
    "/customers/{customer_id}/driver-keys",
    status_code=201,
    response_model=DriverKeyOut,
    summary="Issue a driver key for a customer's app",
)
async def create_driver_key(
    customer_id: str,
    principal: Principal = Depends(require("customers:write")),
    session: AsyncSession = Depends(get_session),
) -> DriverKeyOut:
    key, secret = await service.issue_key(session, principal, customer_id)
    await session.commit()
    return DriverKeyOut(id=key.id, customer_id=customer_id, key=secret, created_at=key.created_at)


class DriverStation(BaseModel):
    id: str
    evses: list[Evse]
    connector_statuses: list[ConnectorStatusOut]


class DriverLocation(BaseModel):
    id: str
    name: str
    address: str
    city: str
    postal_code: str | None
    country: str
    coordinates: Coordinates
    time_zone: str | None
    parking_type: str | None
    facilities: list[str]
    opening_times: OpeningTimes | None
    directions: str | None
    operator: BusinessDetails | None
    private: bool = Field(description="A private location this driver is authorized at.")
    distance_km: float | None = Field(description="From `near`, when given.")
    stations: list[DriverStation]


def _near(value: str | None) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        latitude, longitude = (float(part) for part in value.split(","))
    except ValueError:
        raise Invalid("near", "near must be 'latitude,longitude', e.g. near=52.37,4.90") from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise Invalid("near", "latitude must be within -90..90 and longitude within -180..180")
    return latitude, longitude


@router.get("/locations", response_model=Page[DriverLocation], summary="Locations this driver may see and use")
async def driver_locations(
    near: str | None = Query(None, description="latitude,longitude: nearest first, within radius_km"),
    radius_km: float = Query(25.0, gt=0, le=500),
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(driver),
    session: AsyncSession = Depends(get_session),
) -> Page[DriverLocation]:
    found, last = await service.locations_for(session, principal, _near(near), radius_km, params.limit, params.after())
    ids = [location.id for location, _ in found]
    private = await facts(session, ids)
    stations: dict[str, list[ChargeStation]] = {i: [] for i in ids}
    statuses: dict[str, list[ConnectorStatus]] = {}
    if ids:
        for station in await session.scalars(
            select(ChargeStation).where(ChargeStation.location_id.in_(ids)).order_by(ChargeStation.id)
        ):
            stations[station.location_id].append(station)  # type: ignore[index]
        station_ids = [s.id for group in stations.values() for s in group]
        for status in await session.scalars(
            select(ConnectorStatus)
            .where(ConnectorStatus.station_id.in_(station_ids))
            .order_by(ConnectorStatus.connector_id)
        ):
            statuses.setdefault(status.station_id, []).append(status)
    items = [
        DriverLocation(
            **{
                name: getattr(location, name)
                for name in DriverLocation.model_fields
                if hasattr(location, name) and name not in ("coordinates", "private", "stations")
            },
            coordinates=Coordinates(latitude=location.latitude, longitude=location.longitude),
            private=private[location.id][0],
            distance_km=round(distance, 3) if distance is not None else None,
            stations=[
                DriverStation(
                    id=s.id,
                    evses=s.evses,
                    connector_statuses=[ConnectorStatusOut.model_validate(c) for c in statuses.get(s.id, [])],
                )
                for s in stations[location.id]
            ],
        )
        for location, distance in found
    ]
    return Page(items=items, next_cursor=encode_cursor(last) if last else None)
