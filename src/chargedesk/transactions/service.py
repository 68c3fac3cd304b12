"""Charging sessions: recorded from StartTransaction / StopTransaction, read by the API and the export."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Select, bindparam, case, cast, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.auth.deps import Principal
from chargedesk.authorization.context import Authorization, normalize_id
from chargedesk.db import Prepared
from chargedesk.errors import NotFound
from chargedesk.pagination import PageParams, fetch_page_newest_first
from chargedesk.tokens.models import Token
from chargedesk.transactions.models import Transaction

# What stations send on every session, as statements built once (values bound per call). `conn` is an
# AsyncSession, an AsyncConnection or the gateway's SQLite connection; the writing functions commit.
_FIND_START = Prepared(
    select(Transaction.id, Transaction.authorization_status).where(
        Transaction.station_id == bindparam("station_id"),
        Transaction.connector_id == bindparam("connector_id"),
        Transaction.id_tag == bindparam("id_tag"),
        Transaction.meter_start == bindparam("meter_start"),
        Transaction.started_at == bindparam("started_at"),
    )
)
_START = insert(Transaction).returning(Transaction.id)
_OPEN = update(Transaction).where(
    Transaction.id == bindparam("b_id"),
    Transaction.station_id == bindparam("b_station_id"),
    Transaction.stopped_at.is_(None),
)
_STOP = _OPEN.values(
    energy_wh=case(
        (bindparam("b_meter_stop") > Transaction.meter_start, bindparam("b_meter_stop") - Transaction.meter_start),
        else_=0,
    )
)


@dataclass(frozen=True, slots=True)
class Started:
    id: int
    authorization_status: str


async def find_start(
    conn: Any, station_id: str, connector_id: int, id_tag: str, meter_start: int, started_at: datetime
) -> Started | None:
    """The session a retransmitted StartTransaction already created, if any: its id and authorization status."""
    params = {
        "station_id": station_id,
        "connector_id": connector_id,
        "id_tag": id_tag,
        "meter_start": meter_start,
        "started_at": started_at,
    }
    rows = await _FIND_START.all(conn, params)
    return Started(*rows[0]) if rows else None


async def start(
    conn: Any,
    auth: Authorization,
    connector_id: int,
    meter_start: int,
    started_at: datetime,
    reservation_id: int | None = None,
) -> Started:
    """Record a session with the billing decided now; commits, so the row exists before the station hears of
    it. A retransmission racing this one (the same StartTransaction on a second connection) gets that
    session."""
    decision = auth.decision
    values = {
        "station_id": auth.station.station_id,
        "organization_id": auth.station.organization_id,
        "location_id": auth.station.location_id,
        "connector_id": connector_id,
        "id_tag": auth.id_tag,
        "token_id": auth.token_id,
        "customer_id": auth.customer_id,
        "authorization_status": decision.ocpp16,
        "billing": decision.billing.value,
        "billing_reason": decision.billing_reason,
        "started_at": started_at,
        "meter_start": meter_start,
        "reservation_id": reservation_id,
    }
    try:
        new_id = (await conn.execute(_START, values)).scalar_one()
        await conn.commit()
    except IntegrityError:
        await conn.rollback()
        existing = await find_start(conn, values["station_id"], connector_id, auth.id_tag, meter_start, started_at)
        if existing is None:
            raise
        return existing
    return Started(new_id, decision.ocpp16)


async def stop(
    conn: Any,
    station_id: str,
    transaction_id: int,
    meter_stop: int,
    stopped_at: datetime,
    reason: str | None,
    id_tag: str | None,
    transaction_data: list[dict[str, Any]] | None,
) -> bool:
    """Close the session; a retransmitted StopTransaction (or one for a session this station does not have)
    changes nothing. Commits; True when the session was closed now."""
    values = {
        "b_id": transaction_id,
        "b_station_id": station_id,
        "b_meter_stop": meter_stop,
        "meter_stop": meter_stop,
        "stopped_at": stopped_at,
        "stop_reason": reason or "Local",
        "stop_id_tag": id_tag,
        "last_meter_wh": meter_stop,
    }
    if transaction_data:
        values["transaction_data"] = transaction_data
    closed = (await conn.execute(_STOP, values)).rowcount > 0
    await conn.commit()
    return closed


async def record_meter(conn: Any, station_id: str, transaction_id: int, energy_wh: int) -> None:
    """The latest energy reading of an open session (MeterValues)."""
    await conn.execute(_OPEN, {"b_id": transaction_id, "b_station_id": station_id, "last_meter_wh": energy_wh})
    await conn.commit()


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
