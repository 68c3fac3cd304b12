"""Private locations on the stations themselves: their local authorization lists (SendLocalList).

When a private location's list changes, every connected station at the location gets a Differential update
with the next listVersion (a Full one when the station's list may differ: after VersionMismatch or Failed,
or at reconnect when its version is not ours), and ClearCache when an entry was removed, because the station
may have cached an Accepted for it.
"""

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlalchemy import bindparam, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.authorization import context
from chargedesk.db import Database, Prepared
from chargedesk.locations.models import LocationAuthorizedCustomer, LocationAuthorizedToken
from chargedesk.ocpp.bus import Bus, CallFailed, StationOffline
from chargedesk.ocpp.models import StationOcppState
from chargedesk.stations import reported
from chargedesk.stations.models import ChargeStation
from chargedesk.tokens.models import Token

LOGGER = logging.getLogger("chargedesk.ocpp.local_lists")
_installed: dict[str, Any] = {}
_locks: dict[str, asyncio.Lock] = {}
# The station's location, whether that location has a list, and whether the station holds a list of ours: at
# every connect, so that a station at a public location (the usual case) costs one indexed read.
_LIST_FACTS = Prepared(
    select(
        ChargeStation.location_id,
        or_(
            exists().where(LocationAuthorizedToken.location_id == ChargeStation.location_id),
            exists().where(LocationAuthorizedCustomer.location_id == ChargeStation.location_id),
        ),
        exists().where(StationOcppState.station_id == ChargeStation.id, StationOcppState.local_list.is_not(None)),
    ).where(ChargeStation.id == bindparam("station_id"))
)


def install(bus: Bus, db: Database, read: Callable[[], AbstractAsyncContextManager[Any]] | None = None) -> None:
    """`read`: the gateway's reader (its cheap path for the check made at every connect)."""
    _installed.update(bus=bus, db=db, read=read or db.sessionmaker)


async def location_entries(session: AsyncSession, location_id: str) -> dict[str, dict[str, Any]]:
    """idTag -> idTagInfo for every token on the location's list, by itself or by its customer."""
    by_token = select(LocationAuthorizedToken.token_id).where(LocationAuthorizedToken.location_id == location_id)
    by_customer = select(LocationAuthorizedCustomer.customer_id).where(
        LocationAuthorizedCustomer.location_id == location_id
    )
    tokens = await session.scalars(select(Token).where(or_(Token.id.in_(by_token), Token.customer_id.in_(by_customer))))
    entries: dict[str, dict[str, Any]] = {}
    for token in tokens:
        info: dict[str, Any] = {"status": "Blocked" if token.status == "blocked" else "Accepted"}
        if token.valid_until is not None:
            info["expiryDate"] = token.valid_until.isoformat()
        if token.group_id:
            info["parentIdTag"] = token.group_id
        entries[(token.uid or token.auth_id)[:20]] = info
    return entries


def _update(entries: dict[str, dict[str, Any]], before: dict[str, Any] | None) -> list[dict[str, Any]]:
    if before is None:
        return [{"idTag": tag, "idTagInfo": info} for tag, info in entries.items()]
    changed = [{"idTag": t, "idTagInfo": i} for t, i in entries.items() if before.get(t) != i]
    removed = [{"idTag": t} for t in before if t not in entries]  # no idTagInfo: delete the entry
    return changed + removed


async def sync_station(station_id: str, removed: bool = False, check_version: bool = True) -> str | None:
    """Bring one station's local list to its location's list; returns the station's last status."""
    lock = _locks.setdefault(station_id, asyncio.Lock())
    async with lock:
        return await _sync(station_id, removed, check_version)


async def _sync(station_id: str, removed: bool, check_version: bool) -> str | None:
    bus: Bus = _installed["bus"]
    if not bus.online(station_id):
        return None
    async with _installed["read"]() as reader:
        found = await _LIST_FACTS.all(reader, {"station_id": station_id})
    if not found or found[0][0] is None:
        return None  # not at a location: no list of ours to hold
    location_id, location_has_list, station_holds_list = found[0]
    if not location_has_list and not station_holds_list:
        return None  # a public location, and the station holds nothing of ours
    async with _installed["db"].sessionmaker() as session:
        state = await reported.state(session, station_id)
        await session.commit()  # no write transaction may stay open across the station's answers
        entries = await location_entries(session, location_id)
        if not entries and not state.local_list:
            await session.commit()
            return None  # a public location, and the station holds nothing of ours
        try:
            full = state.local_list_full_needed or state.local_list is None
            if check_version and not full:
                answer = await bus.call(station_id, "GetLocalListVersion", {})
                full = answer.get("listVersion") != state.local_list_version
            status = await _send(
                bus, station_id, state.local_list_version + 1, entries, None if full else state.local_list
            )
            version = state.local_list_version + 1
            if status in ("VersionMismatch", "Failed"):
                version += 1
                status = await _send(bus, station_id, version, entries, None)
            if status == "Accepted":
                state.local_list_version, state.local_list, state.local_list_full_needed = version, entries, False
            else:
                state.local_list_full_needed = True
            await session.commit()
            if removed:
                await bus.call(station_id, "ClearCache", {})
            return status
        except (StationOffline, TimeoutError, CallFailed) as exc:
            state.local_list_full_needed = True
            await session.commit()
            LOGGER.info("local list of %s not updated now (%s): a full list is sent at reconnect", station_id, exc)
            return None


async def _send(
    bus: Bus, station_id: str, version: int, entries: dict[str, dict[str, Any]], before: dict[str, Any] | None
) -> str:
    payload = {
        "listVersion": version,
        "updateType": "Full" if before is None else "Differential",
        "localAuthorizationList": _update(entries, before),
    }
    answer = await bus.call(station_id, "SendLocalList", payload)
    return str(answer.get("status"))


def location_list_changed(location_id: str, removed: bool) -> asyncio.Task[list[str | None]] | None:
    """Call after a private location's authorization list changed (and was committed); `removed` when an
    entry left the list. Updates the location's connected stations in the background; the task is returned
    for callers that want to wait."""
    context.forget_location(location_id)
    if not _installed:
        return None

    async def run() -> list[str | None]:
        async with _installed["db"].sessionmaker() as session:
            ids = list(await session.scalars(select(ChargeStation.id).where(ChargeStation.location_id == location_id)))
        bus: Bus = _installed["bus"]
        return [await sync_station(i, removed=removed, check_version=False) for i in ids if bus.online(i)]

    return asyncio.ensure_future(run())
