"""Reads what the pure decision needs about a presented id at a station, in a handful of indexed queries."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.authorization.decision import Decision, StationFacts, TokenFacts, decide
from chargedesk.db import utcnow
from chargedesk.locations.models import LocationAuthorizedCustomer, LocationAuthorizedToken
from chargedesk.organizations.models import Organization
from chargedesk.stations.models import ChargeStation
from chargedesk.tokens.models import Token
from chargedesk.transactions.models import Transaction


@dataclass(frozen=True, slots=True)
class StationContext:
    station_id: str
    organization_id: str
    root_organization_id: str
    location_id: str | None
    facts: StationFacts


@dataclass(frozen=True, slots=True)
class Authorization:
    """A decision and the rows it was made about (what a transaction records)."""

    station: StationContext
    id_tag: str
    token_id: str | None
    customer_id: str | None
    decision: Decision


def normalize_id(presented: str) -> str:
    """idTag is CiString: compare stripped and upper-cased, as tokens store their uid and auth key."""
    return presented.strip().upper()


async def station_context(session: AsyncSession, station_id: str) -> StationContext | None:
    station = (
        await session.execute(
            select(ChargeStation.organization_id, ChargeStation.location_id, ChargeStation.access_mode).where(
                ChargeStation.id == station_id
            )
        )
    ).one_or_none()
    if station is None:
        return None
    org_id, location_id, access_mode = station
    # The station's organisation and its ancestors, nearest first, in one recursive query.
    chain = select(Organization.id, Organization.parent_id, Organization.root_id, literal(0).label("depth"))
    chain = chain.where(Organization.id == org_id).cte("chain", recursive=True)
    chain = chain.union_all(
        select(Organization.id, Organization.parent_id, Organization.root_id, chain.c.depth + 1).where(
            Organization.id == chain.c.parent_id, chain.c.depth < 64
        )
    )
    rows = (await session.execute(select(chain.c.id, chain.c.root_id))).all()
    ancestry = frozenset(r[0] for r in rows)
    root = rows[0][1] if rows else org_id
    private = False
    if location_id is not None:
        private = bool(
            await session.scalar(
                select(
                    or_(
                        exists().where(LocationAuthorizedToken.location_id == location_id),
                        exists().where(LocationAuthorizedCustomer.location_id == location_id),
                    )
                )
            )
        )
    facts = StationFacts(org_id, ancestry, access_mode, private)
    return StationContext(station_id, org_id, root, location_id, facts)


async def find_token(session: AsyncSession, root_organization_id: str, id_tag: str) -> Token | None:
    """The token of the station's organisation tree whose uid or auth id is `id_tag` (a uid match wins)."""
    key = normalize_id(id_tag)
    rows = (
        await session.scalars(
            select(Token)
            .where(Token.root_organization_id == root_organization_id, or_(Token.uid == key, Token.auth_key == key))
            .limit(2)
        )
    ).all()
    return next((t for t in rows if t.uid == key), rows[0] if rows else None)


async def token_facts(session: AsyncSession, station: StationContext, token: Token) -> TokenFacts:
    on_list = literal(False)
    if station.location_id is not None and station.facts.location_private:
        by_token = exists().where(
            LocationAuthorizedToken.location_id == station.location_id, LocationAuthorizedToken.token_id == token.id
        )
        on_list = by_token
        if token.customer_id is not None:
            by_customer = exists().where(
                and_(
                    LocationAuthorizedCustomer.location_id == station.location_id,
                    LocationAuthorizedCustomer.customer_id == token.customer_id,
                )
            )
            on_list = or_(by_token, by_customer)
    open_count = (
        select(func.count())
        .select_from(Transaction)
        .where(
            Transaction.token_id == token.id,
            Transaction.stopped_at.is_(None),
            Transaction.authorization_status == "Accepted",
        )
        .scalar_subquery()
    )
    authorized, open_transactions = (await session.execute(select(on_list, open_count))).one()
    return TokenFacts(
        organization_id=token.organization_id,
        status=token.status,
        valid_until=token.valid_until,
        whitelist=token.whitelist,
        external=token.external,
        group_id=token.group_id,
        max_concurrent_transactions=token.max_concurrent_transactions,
        authorized_at_location=bool(authorized),
        open_transactions=int(open_transactions or 0),
    )


async def authorize(
    session: AsyncSession, station: StationContext, id_tag: str, now: datetime | None = None
) -> Authorization:
    """The decision of RULES.md §3 for `id_tag` presented at `station`."""
    token = await find_token(session, station.root_organization_id, id_tag)
    facts = await token_facts(session, station, token) if token is not None else None
    decision = decide(station.facts, facts, now or utcnow())
    return Authorization(
        station,
        id_tag,
        token.id if token else None,
        token.customer_id if token else None,
        decision,
    )
