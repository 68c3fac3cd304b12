"""Transactions (charging sessions): the list with the API's filters, free sessions marked, and Download CSV of
exactly what is filtered (the API's export with the same filters)."""

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response, StreamingResponse

from chargedesk.auth.deps import get_session
from chargedesk.locations import service as locations
from chargedesk.pagination import PageParams
from chargedesk.portal import filters
from chargedesk.portal.session import Viewer, signed_in
from chargedesk.portal.web import SECURITY_HEADERS, querystring, render, show, target
from chargedesk.transactions import export, service
from chargedesk.transactions.schemas import TransactionOut

router = APIRouter(prefix="/transactions")
PAGE_SIZE = 25
BILLING = [("free", "Free"), ("paid", "Paid"), ("roaming", "Roaming")]
STATUS = [("active", "Charging now"), ("completed", "Completed")]
FIELDS = ("from", "to", "location_id", "station_id", "token", "billing", "status")
LOCATION_CHOICES = 1000


def _filters(values: dict[str, str]) -> tuple[service.TransactionFilters, dict[str, str]]:
    """The form's values as the API's filters: the period is whole UTC days, `to` included."""
    errors: dict[str, str] = {}
    start, end = filters.day(values, errors, "from"), filters.day(values, errors, "to", end=True)
    filters.ordered(errors, start, end, "to")
    if values["billing"] not in ("", *(v for v, _ in BILLING)):
        errors["billing"] = "Choose free, paid or roaming."
    if values["status"] not in ("", *(v for v, _ in STATUS)):
        errors["status"] = "Choose charging now or completed."
    flt = service.TransactionFilters(
        start,
        end,
        values["location_id"] or None,
        values["station_id"] or None,
        values["token"] or None,
        values["billing"] or None,
        values["status"] or None,
    )
    return flt, errors


def _values(request: Request) -> dict[str, str]:
    return {name: (request.query_params.get(name) or "").strip() for name in FIELDS}


@router.get("")
async def list_transactions(
    request: Request,
    cursor: str | None = Query(None),
    viewer: Viewer = Depends(signed_in),
    db: AsyncSession = Depends(get_session),
) -> Response:
    values = _values(request)
    flt, errors = _filters(values)
    rows: list[TransactionOut] = []
    next_cursor = None
    if not errors:
        found, next_cursor = await service.list_page(db, viewer.principal, flt, PageParams(PAGE_SIZE, cursor, None))
        rows = [TransactionOut.of(t) for t in found]
    context: dict[str, Any] = {
        "nav": "transactions",
        "items": rows,
        "values": values,
        "errors": errors,
        "params": values,
        "cursor": cursor,
        "next_cursor": next_cursor,
        "location_names": await locations.names(db, viewer.principal, (t.location_id for t in rows)),
        "location_options": await locations.choices(db, viewer.principal, LOCATION_CHOICES),
        "billing_options": BILLING,
        "status_options": STATUS,
        "export_url": "/transactions/export.csv" + querystring(values).rstrip("?"),
    }
    status = 422 if errors else 200
    if target(request) == "listing":
        return render(request, "transactions/_listing.html", context, status)
    return show(request, "results", "transactions/_results.html", "transactions/list.html", context, status)


@router.get("/export.csv")
async def export_transactions(request: Request, viewer: Viewer = Depends(signed_in)) -> Response:
    """The API's GET /transactions/export.csv with the list's filters."""
    flt, errors = _filters(_values(request))
    if errors:
        return Response("; ".join(f"{k}: {v}" for k, v in errors.items()), status_code=422, headers=SECURITY_HEADERS)
    headers = {**SECURITY_HEADERS, "Content-Disposition": 'attachment; filename="transactions.csv"'}
    chunks = export.csv_chunks(request.app.state.db, viewer.principal, flt)
    return StreamingResponse(chunks, media_type="text/csv; charset=utf-8", headers=headers)
