from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.auth.deps import Principal, get_session, operator, require
from chargedesk.locations import service
from chargedesk.locations.schemas import LocationIn, LocationOut, LocationPatch
from chargedesk.pagination import Page, PageParams, page_params

router = APIRouter(prefix="/locations", tags=["locations"])
write = require("locations:write")


@router.post("", status_code=201, response_model=LocationOut, summary="Create a location")
async def create_location(
    body: LocationIn, principal: Principal = Depends(write), session: AsyncSession = Depends(get_session)
) -> LocationOut:
    location = await service.create(session, principal, body)
    await session.commit()
    return await service.render_one(session, location)


@router.get("", response_model=Page[LocationOut], summary="List locations")
async def list_locations(
    q: str | None = Query(None, description="Matches name, address, city, postal code or external id."),
    custom_group: str | None = Query(None),
    published: bool | None = Query(None),
    private: bool | None = Query(None),
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(operator),
    session: AsyncSession = Depends(get_session),
) -> Page[LocationOut]:
    filters = service.LocationFilters(q=q, custom_group=custom_group, published=published, private=private)
    rows, cursor = await service.list_page(session, principal, filters, params)
    return Page(items=await service.render(session, rows), next_cursor=cursor)


@router.get("/{location_id}", response_model=LocationOut, summary="Read a location")
async def read_location(
    location_id: str, principal: Principal = Depends(operator), session: AsyncSession = Depends(get_session)
) -> LocationOut:
    return await service.render_one(session, await service.get(session, principal, location_id))


@router.put("/{location_id}", response_model=LocationOut, summary="Replace a location")
async def replace_location(
    location_id: str,
    body: LocationIn,
    principal: Principal = Depends(write),
    session: AsyncSession = Depends(get_session),
) -> LocationOut:
    location = await service.replace(session, principal, location_id, body)
    await session.commit()
    return await service.render_one(session, location)


@router.patch("/{location_id}", response_model=LocationOut, summary="Change some fields of a location")
async def patch_location(
    location_id: str,
    body: LocationPatch,  # type: ignore[valid-type]
    principal: Principal = Depends(write),
    session: AsyncSession = Depends(get_session),
) -> LocationOut:
    location = await service.patch(session, principal, location_id, body)
    await session.commit()
    return await service.render_one(session, location)


@router.delete("/{location_id}", status_code=204, summary="Delete a location without stations")
async def delete_location(
    location_id: str, principal: Principal = Depends(write), session: AsyncSession = Depends(get_session)
) -> Response:
    await service.remove(session, principal, location_id)
    await session.commit()
    return Response(status_code=204)


@router.post("/{location_id}/publish", response_model=LocationOut, summary="Publish a location")
async def publish_location(
    location_id: str, principal: Principal = Depends(write), session: AsyncSession = Depends(get_session)
) -> LocationOut:
    location = await service.set_published(session, principal, location_id, True)
    await session.commit()
    return await service.render_one(session, location)


@router.post("/{location_id}/unpublish", response_model=LocationOut, summary="Unpublish a location")
async def unpublish_location(
    location_id: str, principal: Principal = Depends(write), session: AsyncSession = Depends(get_session)
) -> LocationOut:
    location = await service.set_published(session, principal, location_id, False)
    await session.commit()
    return await service.render_one(session, location)
