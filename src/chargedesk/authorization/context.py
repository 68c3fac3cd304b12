"""Reads what the pure decision needs about a presented id at a station: the station's context (cached), then
one indexed query for the token and its standing.

`session` is an AsyncSession, or the gateway's SQLite reader (the statements are `Prepared`).
"""

import time
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, exists, func, literal, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.authorization.decision import Decision, StationFacts, TokenFacts, decide
from chargedesk.db import Prepared, utcnow
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


class StationContexts:
    """Station contexts by station id, for `ttl` seconds: they change rarely (access mode, organisation,
    location, the location turning private), and every change made here forgets them at once
    (`forget_station`, `forget_location`); the ttl bounds how long a change made elsewhere goes unseen."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, StationContext]] = {}
        _caches.add(self)

    async def get(self, session: Any, station_id: str) -> StationContext | None:
        entry = self._entries.get(station_id)
        now = time.monotonic()
        if entry is not None and entry[0] > now:
            return entry[1]
        found = await station_context(session, station_id)
        if found is None:
            self._entries.pop(station_id, None)
        elif self.ttl > 0:
            self._entries[station_id] = (now + self.ttl, found)
        return found

    def forget(self, station_id: str | None = None, location_id: str | None = None) -> None:
        for key, (_, ctx) in list(self._entries.items()):
            if key == station_id or (location_id is not None and ctx.location_id == location_id):
                del self._entries[key]


_caches: "weakref.WeakSet[StationContexts]" = weakref.WeakSet()


def forget_station(station_id: str) -> None:
    for cache in list(_caches):
        cache.forget(station_id=station_id)


def forget_location(location_id: str) -> None:
    for cache in list(_caches):
        cache.forget(location_id=location_id)


def normalize_id(presented: str) -> str:
    """idTag is CiString: compare stripped and upper-cased, as tokens store their uid and auth key."""
    return presented.strip().upper()


def _station_context() -> Any:
    """The station's organisation, location and access mode, whether its location has a list (is private), and
    its organisation with every ancestor, nearest first: one row per organisation, in one statement (a
    recursive query up the tree). Cards are presented at a station minutes apart, so with thousands of stations
    most Authorizes find the station's cached context expired and load it again."""
    anchor = select(Organization.id, Organization.parent_id, Organization.root_id, literal(0).label("depth"))
    anchor = anchor.join(ChargeStation, ChargeStation.organization_id == Organization.id)
    chain = anchor.where(ChargeStation.id == bindparam("station_id")).cte("chain", recursive=True)
    chain = chain.union_all(
        select(Organization.id, Organization.parent_id, Organization.root_id, chain.c.depth + 1).where(
            Organization.id == chain.c.parent_id, chain.c.depth < 64
        )
    )
    private = or_(
        exists().where(LocationAuthorizedToken.location_id == ChargeStation.location_id),
        exists().where(LocationAuthorizedCustomer.location_id == ChargeStation.location_id),
    )
    return (
        select(
            ChargeStation.organization_id,
            ChargeStation.location_id,
            ChargeStation.access_mode,
            private.label("private"),
            chain.c.id,
            chain.c.root_id,
        )
        .join_from(ChargeStation, chain, true())
        .where(ChargeStation.id == bindparam("station_id"))
        .order_by(chain.c.depth)
    )


_STATION_CONTEXT = Prepared(_station_context())


async def station_context(session: AsyncSession, station_id: str) -> StationContext | None:
    rows = await _STATION_CONTEXT.all(session, {"station_id": station_id})
    if not rows:
        return None
    org_id, location_id, access_mode, private = rows[0][:4]
    facts = StationFacts(org_id, frozenset(r[4] for r in rows), access_mode, bool(private))
    return StationContext(station_id, org_id, rows[0][5], location_id, facts)


def _token_lookup(private: bool) -> Any:
    """The token of an organisation tree whose uid or auth key is `:key`, with its standing at the station, in
    one statement (the private-list lookups and the open-session count are correlated subqueries on their
    indexes). Built once per variant: only bound values change per lookup."""
    on_list: Any = literal(False)
    if private:
        on_list = or_(
            exists().where(
                LocationAuthorizedToken.location_id == bindparam("location_id"),
                LocationAuthorizedToken.token_id == Token.id,
            ),
            exists().where(
                LocationAuthorizedCustomer.location_id == bindparam("location_id"),
                LocationAuthorizedCustomer.customer_id == Token.customer_id,
            ),
        )
    open_transactions = (
        select(func.count())
        .select_from(Transaction)
        .where(
            Transaction.token_id == Token.id,
            Transaction.stopped_at.is_(None),
            Transaction.authorization_status == "Accepted",
        )
        .correlate(Token)
        .scalar_subquery()
    )
    key = bindparam("key")
    return (
        select(
            Token.id,
            Token.customer_id,
            Token.uid,
            Token.organization_id,
            Token.status,
            Token.valid_until,
            Token.whitelist,
            Token.external,
            Token.group_id,
            Token.max_concurrent_transactions,
            on_list.label("on_list"),
            open_transactions.label("open_transactions"),
        )
        .where(Token.root_organization_id == bindparam("root"), or_(Token.uid == key, Token.auth_key == key))
        .limit(2)
    )


_TOKEN_AT_PUBLIC = Prepared(_token_lookup(private=False))
_TOKEN_AT_PRIVATE = Prepared(_token_lookup(private=True))


@dataclass(frozen=True, slots=True)
class FoundToken:
    id: str
    customer_id: str | None


async def find_token(
    session: AsyncSession, station: StationContext, id_tag: str
) -> tuple[FoundToken, TokenFacts] | None:
    """The token of the station's organisation tree whose uid or auth id is `id_tag` (a uid match wins), with
    its standing at the station."""
    key = normalize_id(id_tag)
    params = {"root": station.root_organization_id, "key": key}
    if station.location_id is not None and station.facts.location_private:
        stmt = _TOKEN_AT_PRIVATE
        params["location_id"] = station.location_id
    else:
        stmt = _TOKEN_AT_PUBLIC
    rows = await stmt.all(session, params)
    row = next((r for r in rows if r[2] == key), rows[0] if rows else None)
    if row is None:
        return None
    token = FoundToken(row[0], row[1])
    facts = TokenFacts(
        organization_id=row[3],
        status=row[4],
        valid_until=row[5],
        whitelist=bool(row[6]),
        external=bool(row[7]),
        group_id=row[8],
        max_concurrent_transactions=row[9],
        authorized_at_location=bool(row[10]),
        open_transactions=int(row[11] or 0),
    )
    return token, facts


async def authorize(
    session: AsyncSession, station: StationContext, id_tag: str, now: datetime | None = None
) -> Authorization:
    """The decision of RULES.md §3 for `id_tag` presented at `station`."""
    found = await find_token(session, station, id_tag)
    row, facts = found if found is not None else (None, None)
    decision = decide(station.facts, facts, now or utcnow())
    return Authorization(
        station,
        id_tag,
        row.id if row is not None else None,
        row.customer_id if row is not None else None,
        decision,
    )
