import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from enum import StrEnum

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.auth.deps import Principal, get_session, operator
from chargedesk.pagination import Page, PageParams, page_params
from chargedesk.schemas import Out
from chargedesk.transactions import service
from chargedesk.transactions.models import Transaction

router = APIRouter(prefix="/transactions", tags=["transactions"])


class BillingFilter(StrEnum):
    free = "free"
    roaming = "roaming"
    paid = "paid"


class StatusFilter(StrEnum):
    active = "active"
    completed = "completed"


class TransactionOut(Out):
    id: int
    station_id: str
    organization_id: str
    location_id: str | None
    connector_id: int
    id_tag: str
    token_id: str | None
    customer_id: str | None
    authorization_status: str
    billing: str
    billing_reason: str | None
    status: str
    started_at: datetime
    stopped_at: datetime | None
    meter_start: int
    meter_stop: int | None
    energy_wh: int | None
    stop_reason: str | None
    stop_id_tag: str | None
    reservation_id: int | None
    updated_at: datetime

    @classmethod
    def of(cls, row: Transaction) -> "TransactionOut":
        data = {name: getattr(row, name) for name in cls.model_fields if name != "status"}
        return cls(**data, status="active" if row.stopped_at is None else "completed")


def filters(
    start: datetime | None = Query(None, alias="from", description="Sessions started at or after (ISO 8601)."),
    end: datetime | None = Query(None, alias="to", description="Sessions started before (ISO 8601)."),
    location_id: str | None = Query(None),
    station_id: str | None = Query(None),
    token: str | None = Query(None, description="A token id, uid or auth id."),
    billing: BillingFilter | None = Query(None),
    status: StatusFilter | None = Query(None),
) -> service.TransactionFilters:
    return service.TransactionFilters(
        start, end, location_id, station_id, token, billing.value if billing else None, status.value if status else None
    )


@router.get("", response_model=Page[TransactionOut], summary="List charging sessions, newest first")
async def list_transactions(
    flt: service.TransactionFilters = Depends(filters),
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(operator),
    session: AsyncSession = Depends(get_session),
) -> Page[TransactionOut]:
    rows, cursor = await service.list_page(session, principal, flt, params)
    return Page(items=[TransactionOut.of(r) for r in rows], next_cursor=cursor)


CSV_COLUMNS = [name for name in TransactionOut.model_fields if name != "updated_at"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """Spreadsheets run a cell that starts like a formula: prefix such text with a quote (OWASP CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


@router.get("/export.csv", summary="Export charging sessions as CSV (streamed; same filters)")
async def export_transactions(
    request: Request,
    flt: service.TransactionFilters = Depends(filters),
    principal: Principal = Depends(operator),
) -> StreamingResponse:
    async def rows() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        # A session of its own: the response outlives the request's dependencies.
        async with request.app.state.db.sessionmaker() as session:
            async for batch in service.stream(session, principal, flt):
                for row in batch:
                    out = TransactionOut.of(row)
                    writer.writerow([_cell(getattr(out, c)) for c in CSV_COLUMNS])
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        if buffer.tell():
            yield buffer.getvalue()

    headers = {"Content-Disposition": 'attachment; filename="transactions.csv"'}
    return StreamingResponse(rows(), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/{transaction_id}", response_model=TransactionOut, summary="Read a charging session")
async def read_transaction(
    transaction_id: int, principal: Principal = Depends(operator), session: AsyncSession = Depends(get_session)
) -> TransactionOut:
    return TransactionOut.of(await service.get(session, principal, transaction_id))
