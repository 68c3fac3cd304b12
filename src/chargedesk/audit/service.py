"""The audit trail: record a change, page through the changes of a resource."""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.audit.models import AuditEvent
from chargedesk.auth.deps import Principal
from chargedesk.ids import new_id
from chargedesk.pagination import PageParams, encode_cursor, fetch_page


def actor(principal: Principal) -> str:
    return principal.key_id if ":" in principal.key_id else f"key:{principal.key_id}"


async def record(
    session: AsyncSession,
    principal: Principal,
    organization_id: str,
    resource: str,
    action: str,
    method: str | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the session's transaction: it commits (or rolls back) with the change itself."""
    event = AuditEvent(
        id=new_id("aud"),
        organization_id=organization_id,
        actor=actor(principal),
        resource=resource,
        action=action,
        method=method,
        details=details,
    )
    session.add(event)
    return event


async def list_page(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    resource: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    newest_first: bool = False,
) -> tuple[list[AuditEvent], str | None]:
    stmt = select(AuditEvent).where(AuditEvent.organization_id.in_(principal.visible))
    if resource:
        stmt = stmt.where(AuditEvent.resource == resource)
    if since is not None:
        stmt = stmt.where(AuditEvent.at >= since)
    if until is not None:
        stmt = stmt.where(AuditEvent.at < until)
    if params.updated_since is not None:
        stmt = stmt.where(AuditEvent.at >= params.updated_since)
    if not newest_first:
        return await fetch_page(session, stmt, AuditEvent.id, params)
    # Ids are time-ordered, so the keyset runs backwards through them.
    after = params.after()
    if after is not None:
        stmt = stmt.where(AuditEvent.id < after)
    rows = list((await session.scalars(stmt.order_by(AuditEvent.id.desc()).limit(params.limit + 1))).all())
    if len(rows) > params.limit:
        return rows[: params.limit], encode_cursor(rows[params.limit - 1].id)
    return rows, None
