from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.auth.deps import Principal, get_session, operator, require
from chargedesk.ocpp import desired_state
from chargedesk.pagination import Page, PageParams, page_params
from chargedesk.stations import service
from chargedesk.stations.schemas import (
    AccessMode,
    LinkIn,
    PasswordIn,
    StationCreate,
    StationFields,
    StationOut,
    StationPatch,
)

router = APIRouter(prefix="/charge-stations", tags=["charge stations"])
write = require("stations:write")
link = require("stations:link")


@router.post("", status_code=201, response_model=StationOut, summary="Register a charge station")
async def create_station(
    body: StationCreate, principal: Principal = Depends(write), session: AsyncSession = Depends(get_session)
) -> StationOut:
    station = await service.create(session, principal, body)
    await session.commit()
    return await service.render_one(session, station)


@router.get("", response_model=Page[StationOut], summary="List charge stations")
async def list_stations(
    q: str | None = Query(None, description="Matches id, serial number, model or vendor."),
    location_id: str | None = Query(None),
    custom_group: str | None = Query(None),
    online: bool | None = Query(None),
    access_mode: AccessMode | None = Query(None),
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(operator),
    session: AsyncSession = Depends(get_session),
) -> Page[StationOut]:
    filters = service.StationFilters(q, location_id, custom_group, online, access_mode)
    rows, cursor = await service.list_page(session, principal, filters, params)
    return Page(items=await service.render(session, rows), next_cursor=cursor)


@router.get("/{station_id}", response_model=StationOut, summary="Read a charge station")
async def read_station(
    station_id: str, principal: Principal = Depends(operator), session: AsyncSession = Depends(get_session)
) -> StationOut:
    return await service.render_one(session, await service.get(session, principal, station_id))


@router.put("/{station_id}", response_model=StationOut, summary="Replace a charge station's fields")
async def replace_station(
    station_id: str,
    body: StationFields,
    principal: Principal = Depends(write),
    session: AsyncSession = Depends(get_session),
) -> StationOut:
    station = await service.replace(session, principal, station_id, body)
    await session.commit()
    desired_state.station_changed(station_id, body.model_dump(mode="json"))
    return await service.render_one(session, station)


@router.patch("/{station_id}", response_model=StationOut, summary="Change some fields of a charge station")
async def patch_station(
    station_id: str,
    body: StationPatch,  # type: ignore[valid-type]
    principal: Principal = Depends(write),
    session: AsyncSession = Depends(get_session),
) -> StationOut:
    station = await service.patch(session, principal, station_id, body)
    await session.commit()
    desired_state.station_changed(station_id, body.model_dump(mode="json", exclude_unset=True))
    return await service.render_one(session, station)


@router.delete("/{station_id}", status_code=204, summary="Delete a charge station")
async def delete_station(
    station_id: str, principal: Principal = Depends(write), session: AsyncSession = Depends(get_session)
) -> Response:
    await service.remove(session, principal, station_id)
    await session.commit()
    desired_state.station_changed(station_id, {})
    return Response(status_code=204)


@router.put("/{station_id}/password", status_code=204, summary="Set or remove the station's Basic auth password")
async def set_station_password(
    station_id: str,
    body: PasswordIn,
    principal: Principal = Depends(write),
    session: AsyncSession = Depends(get_session),
) -> Response:
    await service.set_password(session, principal, station_id, body.password)
    await session.commit()
    return Response(status_code=204)


@router.put("/{station_id}/location", response_model=StationOut, summary="Link the station to a location")
async def link_station(
    station_id: str,
    body: LinkIn,
    principal: Principal = Depends(link),
    session: AsyncSession = Depends(get_session),
) -> StationOut:
    station = await service.link(session, principal, station_id, body.location_id)
    await session.commit()
    desired_state.station_changed(station_id, {})
    return await service.render_one(session, station)


@router.delete("/{station_id}/location", response_model=StationOut, summary="Unlink the station from its location")
async def unlink_station(
    station_id: str, principal: Principal = Depends(link), session: AsyncSession = Depends(get_session)
) -> StationOut:
    station = await service.link(session, principal, station_id, None)
    await session.commit()
    desired_state.station_changed(station_id, {})
    return await service.render_one(session, station)
