from datetime import datetime
from enum import StrEnum

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.auth.deps import Principal, get_session, operator
from chargedesk.pagination import Page, PageParams, page_params
from chargedesk.transactions import export, service
from chargedesk.transactions.schemas import TransactionOut

router = APIRouter(prefix="/transactions", tags=["transactions"])


class BillingFilter(StrEnum):
    free = "free"
    roaming = "roaming"
    paid = "paid"


class StatusFilter(StrEnum):
    active = "active"
    completed = "completed"


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


@router.get("/export.csv", summary="Export charging sessions as CSV (streamed; same filters)")
async def export_transactions(
    request: Request,
    flt: service.TransactionFilters = Depends(filters),
    principal: Principal = Depends(operator),
) -> StreamingResponse:
    headers = {"Content-Disposition": 'attachment; filename="transactions.csv"'}
    return StreamingResponse(
        export.csv_chunks(request.app.state.db, principal, flt), media_type="text/csv; charset=utf-8", headers=headers
    )


@router.get("/{transaction_id}", response_model=TransactionOut, summary="Read a charging session")
async def read_transaction(
    transaction_id: int, principal: Principal = Depends(operator), session: AsyncSession = Depends(get_session)
) -> TransactionOut:
    return TransactionOut.of(await service.get(session, principal, transaction_id))
