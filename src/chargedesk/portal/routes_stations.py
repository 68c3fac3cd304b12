"""Charge stations: list, register, the station page (status, connectors, configuration) and linking."""

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from chargedesk.auth.deps import get_session
from chargedesk.errors import NotFound, Problem
from chargedesk.locations import service as locations
from chargedesk.organizations.service import in_tree
from chargedesk.pagination import PageParams
from chargedesk.portal import forms
from chargedesk.portal.session import Viewer, signed_in
from chargedesk.portal.web import pushed, redirect, render, show, submit, target
from chargedesk.schemas import MaintenanceStatus
from chargedesk.stations import reported, service
from chargedesk.stations.schemas import StationCreate, StationFields, StationOut

router = APIRouter(prefix="/stations")
PAGE_SIZE = 25
WRITE = "stations:write"
LINK = "stations:link"
# The location menus list this many locations, by name; more than that and the operator searches by id.
LOCATION_CHOICES = 1000


def _flag(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


@router.get("")
async def list_stations(
    request: Request,
    q: str | None = None,
    online: str | None = None,
    access_mode: str | None = None,
    cursor: str | None = None,
    viewer: Viewer = Depends(signed_in),
    db: AsyncSession = Depends(get_session),
) -> Response:
    filters = service.StationFilters(q=q, online=_flag(online), access_mode=access_mode or None)
    rows, next_cursor = await service.list_page(db, viewer.principal, filters, PageParams(PAGE_SIZE, cursor, None))
    items = await service.render(db, rows)
    context = {
        "nav": "stations",
        "items": items,
        "location_names": await locations.names(db, viewer.principal, (s.location_id for s in items)),
        "next_cursor": next_cursor,
        "cursor": cursor,
        "params": {"q": q, "online": online, "access_mode": access_mode},
    }
    return show(request, "results", "stations/_results.html", "stations/list.html", context)


async def _choices(db: AsyncSession, viewer: Viewer) -> dict[str, Any]:
    return {
        "org_options": [(o.id, o.name) for o in await in_tree(db, viewer.principal.visible)],
        "location_options": await locations.choices(db, viewer.principal, LOCATION_CHOICES),
        "statuses": forms.options(MaintenanceStatus),
        "connector_format": forms.CONNECTOR_FORMAT,
    }


@router.get("/new")
async def new_station(
    request: Request,
    location_id: str | None = None,
    viewer: Viewer = Depends(signed_in),
    db: AsyncSession = Depends(get_session),
) -> Response:
    viewer.need(WRITE)
    values = forms.station_values(None) | {
        "location_id": location_id or "",
        "organization_id": viewer.principal.organization_id,
    }
    context = {"nav": "stations", "values": values, "errors": {}, "new": True}
    return render(request, "stations/new.html", context | await _choices(db, viewer))


async def _save(
    request: Request, db: AsyncSession, viewer: Viewer, station_id: str | None
) -> tuple[Any, dict[str, str], dict[str, Any]]:
    form = await request.form()
    values = {k: form.get(k, "") for k in forms.STATION_FIELDS}

    async def action(body: StationFields) -> Any:
        if station_id is None:
            return await service.create(db, viewer.principal, body)  # type: ignore[arg-type]
        return await service.replace(db, viewer.principal, station_id, body)

    model = StationCreate if station_id is None else StationFields
    station, errors = await submit(
        db, model, lambda: forms.station_body(form, station_id is None), action, forms.STATION_FIELDS
    )
    return station, errors, values


@router.post("")
async def create_station(
    request: Request, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    viewer.need(WRITE)
    station, errors, values = await _save(request, db, viewer, None)
    if station is not None:
        return redirect(request, f"/stations/{station.id}")
    context = {"nav": "stations", "values": values, "errors": errors, "new": True}
    return render(request, "stations/new.html", context | await _choices(db, viewer), status=422)


async def station_page(
    request: Request,
    db: AsyncSession,
    viewer: Viewer,
    station: StationOut | str,
    tab: str,
    status: int = 200,
    **extra: Any,
) -> Response:
    if isinstance(station, str):
        station = await service.render_one(db, await service.get(db, viewer.principal, station))
    location = None
    if station.location_id:
        try:
            location = await locations.get(db, viewer.principal, station.location_id)
        except NotFound:
            location = None
    context: dict[str, Any] = {"nav": "stations", "station": station, "location": location, "tab": tab, **extra}
    if tab == "details":
        context["ocpp"] = await reported.read(db, station.id)
    if tab == "edit" or viewer.can(LINK):
        context |= await _choices(db, viewer)
    if tab == "edit":
        context.setdefault("values", forms.station_values(station))
        context.setdefault("errors", {})
    return show(request, "station", "stations/_station.html", "stations/page.html", context, status)


@router.get("/{station_id}")
async def station_details(
    request: Request, station_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    return await station_page(request, db, viewer, station_id, "details")


@router.get("/{station_id}/edit")
async def edit_station(
    request: Request, station_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    viewer.need(WRITE)
    return await station_page(request, db, viewer, station_id, "edit")


@router.post("/{station_id}")
async def save_station(
    request: Request, station_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    viewer.need(WRITE)
    await service.get(db, viewer.principal, station_id)
    station, errors, values = await _save(request, db, viewer, station_id)
    if station is None:
        return await station_page(request, db, viewer, station_id, "edit", 422, values=values, errors=errors)
    if target(request) is None:
        return redirect(request, f"/stations/{station_id}")
    page = await station_page(request, db, viewer, await service.render_one(db, station), "details", notice="Saved.")
    return pushed(page, f"/stations/{station_id}")


@router.post("/{station_id}/location")
async def link_station(
    request: Request,
    station_id: str,
    location_id: str = Form(""),
    viewer: Viewer = Depends(signed_in),
    db: AsyncSession = Depends(get_session),
) -> Response:
    viewer.need(LINK)
    try:
        station = await service.link(db, viewer.principal, station_id, location_id or None)
    except Problem as exc:
        if exc.status == 404:
            raise
        await db.rollback()
        return await station_page(request, db, viewer, station_id, "details", exc.status, alert=exc.detail)
    await db.commit()
    if target(request) is None:
        return redirect(request, f"/stations/{station_id}")
    message = "Linked to the location." if location_id else "Unlinked from its location."
    return await station_page(request, db, viewer, await service.render_one(db, station), "details", notice=message)


@router.post("/{station_id}/delete")
async def delete_station(
    request: Request, station_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    viewer.need(WRITE)
    await service.remove(db, viewer.principal, station_id)
    await db.commit()
    return redirect(request, "/stations")
