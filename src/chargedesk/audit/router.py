from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.audit import service
from chargedesk.auth.deps import Principal, get_session, operator
from chargedesk.pagination import Page, PageParams, page_params
from chargedesk.schemas import Out

router = APIRouter(prefix="/audit-events", tags=["audit"])


class AuditEventOut(Out):
    id: str
    at: datetime
    organization_id: str
    actor: str = Field(description="key:<id> (API key), user:<id> (portal user) or cli")
    resource: str = Field(description="e.g. location:<id>")
    action: str
    method: str | None = Field(description="single, batch, import, clear or all")
    details: dict[str, Any]


@router.get("", response_model=Page[AuditEventOut], summary="Page through the audit trail, oldest first")
async def list_audit_events(
    resource: str | None = Query(None, description="e.g. location:<id>"),
    from_: datetime | None = Query(None, alias="from"),
    to: datetime | None = Query(None),
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(operator),
    session: AsyncSession = Depends(get_session),
) -> Page[AuditEventOut]:
    rows, cursor = await service.list_page(session, principal, params, resource, from_, to)
    return Page(items=[AuditEventOut.model_validate(r) for r in rows], next_cursor=cursor)
