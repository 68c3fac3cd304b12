"""Charging sessions: recorded from StartTransaction / StopTransaction, read by the API and the export."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Select, cast, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.auth.deps import Principal
from chargedesk.authorization.context import Authorization, normalize_id
from chargedesk.errors import NotFound
from chargedesk.pagination import PageParams, fetch_page_newest_first
from chargedesk.tokens.models import Token
from chargedesk.transactions.models import Transaction


async def find_start(
    session: Any, station_id: str, connector_id: int, id_tag: str, meter_start: int, started_at: datetime
) -> Any:
    """The session a retransmitted StartTransaction already created, if any: its id and authorization status."""
    return (
        await session.execute(
            select(Transaction.id, Transaction.authorization_status).where(
                Transaction.station_id == station_id,
                Transaction.connector_id == connector_id,
                Transaction.id_tag == id_tag,
                Transaction.meter_start == meter_start,
                Transaction.started_at == started_at,
            )
        )
    ).first()


async def start(
    session: AsyncSession,
    auth: Authorization,
    connector_id: int,
    meter_start: int,
    started_at: datetime,
    reservation_id: int | None = None,
) -> Any:
    """Record a session with the billing decided now; commits, so the row exists before the station hears of
    it. Returns the new row, or (a retransmission racing this one) the existing session's id and status."""
    decision = auth.decision
    row = Transaction(
        station_id=auth.station.station_id,
        organization_id=auth.station.organization_id,
        location_id=auth.station.location_id,
        connector_id=connector_id,
        id_tag=auth.id_tag,
        token_id=auth.token_id,
        customer_id=auth.customer_id,
        authorization_status=decision.ocpp16,
        billing=decision.billing.value,
        billing_reason=decision.billing_reason,
        started_at=started_at,
        meter_start=meter_start,
        reservation_id=reservation_id,
    )
    session.add(row)
    try:
        await session.commit()
    except IntegrityError:
        # The same StartTransaction on a second connection, a moment earlier: answer with that session.
        await session.rollback()
        existing = await find_start(session, row.station_id, connector_id, auth.id_tag, meter_start, started_at)
        if existing is None:
            raise
        return existing
    return row


async def stop(
    session: AsyncSession,
    station_id: str,
    transaction_id: int,
    meter_stop: int,
    stopped_at: datetime,
    reason: str | None,
    id_tag: str | None,
    transaction_data: list[dict[str, Any]] | None,
) -> Transaction | None:
    """Close the session; a retransmitted StopTransaction changes nothing. Commits."""
    row = await session.scalar(
        select(Transaction).where(Transaction.id == transaction_id, Transaction.station_id == station_id)
    )
    if row is None or row.stopped_at is not None:
        return row
    row.stopped_at = stopped_at
    row.meter_stop = meter_stop
    row.energy_wh = max(0, meter_stop - row.meter_start)
    row.stop_reason = reason or "Local"
    row.stop_id_tag = id_tag
    row.last_meter_wh = meter_stop
    if transaction_data:
        row.transaction_data = transaction_data
    await session.commit()
    return row


async def record_meter(session: AsyncSession, station_id: str, transaction_id: int, energy_wh: int) -> None:
    row = await session.scalar(
        select(Transaction).where(Transaction.id == transaction_id, Transaction.station_id == station_id)
    )
    if row is not None and row.stopped_at is None:
        row.last_meter_wh = energy_wh
        await session.commit()


@dataclass
class TransactionFilters:
    start: datetime | None = None
    end: datetime | None = None
    location_id: str | None = None
    station_id: str | None = None
    token: str | None = None
    billing: str | None = None
    status: str | None = None  # active | completed


def query(principal: Principal, filters: TransactionFilters) -> Select[Any]:
    stmt = select(Transaction).where(Transaction.organization_id.in_(principal.visible))
    if filters.start is not None:
        stmt = stmt.where(Transaction.started_at >= filters.start)
    if filters.end is not None:
        stmt = stmt.where(Transaction.started_at < filters.end)
    if filters.location_id:
        stmt = stmt.where(Transaction.location_id == filters.location_id)
    if filters.station_id:
        stmt = stmt.where(Transaction.station_id == filters.station_id)
    if filters.token:
        # A token id, or the id the station presented (uid / auth id).
        key = normalize_id(filters.token)
        by_key = select(Token.id).where(or_(Token.uid == key, Token.auth_key == key)).scalar_subquery()
        stmt = stmt.where(
            or_(Transaction.token_id == filters.token, Transaction.id_tag == key, Transaction.token_id.in_(by_key))
        )
    if filters.billing:
        stmt = stmt.where(Transaction.billing == filters.billing)
    if filters.status == "active":
        stmt = stmt.where(Transaction.stopped_at.is_(None))
    elif filters.status == "completed":
        stmt = stmt.where(Transaction.stopped_at.is_not(None))
    return stmt


async def list_page(
    session: AsyncSession,
    principal: Principal,
    filters: TransactionFilters,
    params: PageParams,
) -> tuple[list[Transaction], str | None]:
    """Newest first (by id)."""
    stmt = query(principal, filters)
    if params.updated_since is not None:
        stmt = stmt.where(Transaction.updated_at >= params.updated_since)
    return await fetch_page_newest_first(session, stmt, Transaction.id, params)


async def get(session: AsyncSession, principal: Principal, transaction_id: int) -> Transaction:
    row = await session.get(Transaction, transaction_id)
    if row is None or row.organization_id not in principal.visible:
        raise NotFound(f"No transaction with id {transaction_id}.")
    return row


async def stream(
    session: AsyncSession, principal: Principal, filters: TransactionFilters, batch: int = 2000
) -> AsyncIterator[list[Transaction]]:
    """Every matching session, oldest first, in batches (keyset on id, so memory stays flat)."""
    after = 0
    while True:
        stmt = query(principal, filters).where(Transaction.id > after).order_by(Transaction.id).limit(batch)
        rows = list((await session.scalars(stmt)).all())
        if not rows:
            return
        yield rows
        after = rows[-1].id
        session.expunge_all()


async def count(session: AsyncSession, principal: Principal, filters: TransactionFilters) -> int:
    return int(await session.scalar(select(func.count()).select_from(query(principal, filters).subquery())) or 0)


async def per_day(session: AsyncSession, principal: Principal, since: datetime) -> dict[date, tuple[int, int]]:
    """(sessions, energy Wh of the completed ones) per UTC day of the start, for sessions started since `since`."""
    column = Transaction.started_at
    # SQLite keeps UTC text; PostgreSQL's timestamptz is cut in UTC explicitly (not the connection's time zone).
    day = func.date(column) if session.bind.dialect.name == "sqlite" else cast(func.timezone("UTC", column), Date)
    stmt = (
        select(day.label("day"), func.count(), func.coalesce(func.sum(Transaction.energy_wh), 0))
        .where(Transaction.organization_id.in_(principal.visible), column >= since)
        .group_by(day)
    )
    totals: dict[date, tuple[int, int]] = {}
    for value, sessions, energy in (await session.execute(stmt)).all():
        key = value if isinstance(value, date) else date.fromisoformat(str(value))
        totals[key] = (int(sessions), int(energy))
    return totals
