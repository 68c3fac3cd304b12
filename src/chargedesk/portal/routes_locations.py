"""Charge locations: list, create, the location page (Details, Charge stations) and Publish/Unpublish.
The Authorization and Audit tabs are in routes_authorization.py."""

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from chargedesk.auth.deps import get_session
from chargedesk.errors import Conflict, Problem
from chargedesk.locations import service
from chargedesk.locations.schemas import Facility, LocationIn, LocationOut, ParkingType
from chargedesk.organizations.service import in_tree
from chargedesk.pagination import PageParams
from chargedesk.portal import forms
from chargedesk.portal.session import Viewer, signed_in
from chargedesk.portal.web import pushed, redirect, render, show, submit, target
from chargedesk.schemas import MaintenanceStatus
from chargedesk.stations import service as stations

router = APIRouter(prefix="/locations")
PAGE_SIZE = 25
WRITE = "locations:write"


def _flag(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


@router.get("")
async def list_locations(
    request: Request,
    q: str | None = None,
    custom_group: str | None = None,
    published: str | None = None,
    private: str | None = None,
    cursor: str | None = None,
    viewer: Viewer = Depends(signed_in),
    db: AsyncSession = Depends(get_session),
) -> Response:
    filters = service.LocationFilters(q, custom_group, _flag(published), _flag(private))
    rows, next_cursor = await service.list_page(db, viewer.principal, filters, PageParams(PAGE_SIZE, cursor, None))
    params = {"q": q, "custom_group": custom_group, "published": published, "private": private}
    context = {
        "nav": "locations",
        "items": await service.render(db, rows),
        "next_cursor": next_cursor,
        "cursor": cursor,
        "params": params,
        "groups": await service.custom_groups(db, viewer.principal),
    }
    return show(request, "results", "locations/_results.html", "locations/list.html", context)


async def _form_context(db: AsyncSession, viewer: Viewer) -> dict[str, Any]:
    return {
        "org_options": [(o.id, o.name) for o in await in_tree(db, viewer.principal.visible)],
        "parking_types": forms.options(ParkingType),
        "facilities": [f.value for f in Facility],
        "statuses": forms.options(MaintenanceStatus),
        "days": forms.DAYS,
    }


@router.get("/new")
async def new_location(
    request: Request, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    viewer.need(WRITE)
    values = forms.location_values(None) | {"organization_id": viewer.principal.organization_id}
    context = {"nav": "locations", "values": values, "errors": {}}
    return render(request, "locations/new.html", context | await _form_context(db, viewer))


async def _save(
    request: Request, db: AsyncSession, viewer: Viewer, current: LocationOut | None
) -> tuple[Any, dict[str, str], dict[str, Any]]:
    """Save the submitted form through the same service calls as the API; (location, errors, form values)."""
    form = await request.form()
    values: dict[str, Any] = {k: form.get(k, "") for k in forms.LOCATION_FIELDS}
    values["facilities"] = form.getlist("facilities")
    values["opening_times.twentyfourseven"] = form.get("opening_times.twentyfourseven") == "on"

    async def action(body: LocationIn) -> Any:
        if current is None:
            return await service.create(db, viewer.principal, body)
        return await service.replace(db, viewer.principal, current.id, body)

    location, errors = await submit(
        db, LocationIn, lambda: forms.location_body(form, current), action, forms.LOCATION_FIELDS
    )
    return location, errors, values


@router.post("")
async def create_location(
    request: Request, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    viewer.need(WRITE)
    location, errors, values = await _save(request, db, viewer, None)
    if location is not None:
        return redirect(request, f"/locations/{location.id}")
    context = {"nav": "locations", "values": values, "errors": errors}
    return render(request, "locations/new.html", context | await _form_context(db, viewer), status=422)


async def location_page(
    request: Request, db: AsyncSession, viewer: Viewer, location_id: str, tab: str, status: int = 200, **extra: Any
) -> Response:
    location = await service.render_one(db, await service.get(db, viewer.principal, location_id))
    context: dict[str, Any] = {"nav": "locations", "location": location, "tab": tab, **extra}
    if tab == "stations":
        filters = stations.StationFilters(location_id=location.id)
        params = PageParams(PAGE_SIZE, request.query_params.get("cursor"), None)
        rows, context["next_cursor"] = await stations.list_page(db, viewer.principal, filters, params)
        context["stations"] = await stations.render(db, rows)
    if tab == "edit":
        context.setdefault("values", forms.location_values(location))
        context.setdefault("errors", {})
        context |= await _form_context(db, viewer)
    return show(request, "location", "locations/_location.html", "locations/page.html", context, status)


@router.get("/{location_id}")
async def location_details(
    request: Request, location_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    return await location_page(request, db, viewer, location_id, "details")


@router.get("/{location_id}/stations")
async def location_stations(
    request: Request, location_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    return await location_page(request, db, viewer, location_id, "stations")


@router.get("/{location_id}/edit")
async def edit_location(
    request: Request, location_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    viewer.need(WRITE)
    return await location_page(request, db, viewer, location_id, "edit")


@router.post("/{location_id}")
async def save_location(
    request: Request, location_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    viewer.need(WRITE)
    current = await service.render_one(db, await service.get(db, viewer.principal, location_id))
    location, errors, values = await _save(request, db, viewer, current)
    if location is None:
        return await location_page(request, db, viewer, location_id, "edit", 422, values=values, errors=errors)
    if target(request) is None:
        return redirect(request, f"/locations/{location_id}")
    return pushed(
        await location_page(request, db, viewer, location_id, "details", notice="Saved."), f"/locations/{location_id}"
    )


async def _publish(request: Request, db: AsyncSession, viewer: Viewer, location_id: str, published: bool) -> Response:
    viewer.need(WRITE)
    try:
        await service.set_published(db, viewer.principal, location_id, published)
    except Problem as exc:
        if exc.status == 404:
            raise
        await db.rollback()
        return await location_page(request, db, viewer, location_id, "details", exc.status, alert=exc.detail)
    await db.commit()
    if target(request) is None:
        return redirect(request, f"/locations/{location_id}")
    message = "Published: drivers can see this location." if published else "Unpublished: drivers no longer see it."
    return pushed(
        await location_page(request, db, viewer, location_id, "details", notice=message), f"/locations/{location_id}"
    )


@router.post("/{location_id}/publish")
async def publish_location(
    request: Request, location_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    return await _publish(request, db, viewer, location_id, True)


@router.post("/{location_id}/unpublish")
async def unpublish_location(
    request: Request, location_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    return await _publish(request, db, viewer, location_id, False)


@router.post("/{location_id}/delete")
async def delete_location(
    request: Request, location_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    viewer.need(WRITE)
    try:
        await service.remove(db, viewer.principal, location_id)
    except Conflict as exc:
        await db.rollback()
        return await location_page(request, db, viewer, location_id, "details", exc.status, alert=exc.detail)
    await db.commit()
    return redirect(request, "/locations")
