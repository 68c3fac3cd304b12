from datetime import datetime

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.auth.deps import Principal, get_session, operator
from chargedesk.authorization import unknown_ids
from chargedesk.pagination import Page, PageParams, page_params
from chargedesk.schemas import Out

router = APIRouter(tags=["unknown ids"])


class UnknownIdOut(Out):
    id: str
    station_id: str
    organization_id: str
    id_tag: str
    first_seen: datetime
    last_seen: datetime
    count: int


@router.get("/unknown-ids", response_model=Page[UnknownIdOut], summary="Ids refused at stations as unknown")
async def list_unknown_ids(
    station_id: str | None = Query(None),
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(operator),
    session: AsyncSession = Depends(get_session),
) -> Page[UnknownIdOut]:
    """Cards that stations of your organisations saw and no token matched: turn a UID into a pass from here."""
    rows, cursor = await unknown_ids.list_page(session, principal, station_id, params)
    return Page(items=[UnknownIdOut.model_validate(r) for r in rows], next_cursor=cursor)
