"""Availability and configuration set through the API are desired state: sent when the station is online,
and again whenever it reconnects (RULES.md §4)."""

import asyncio
import logging
from typing import Any

from sqlalchemy import bindparam, select

from chargedesk.authorization import context
from chargedesk.db import Prepared
from chargedesk.ocpp import local_lists
from chargedesk.ocpp.bus import Bus, CallFailed, StationOffline
from chargedesk.stations.models import ChargeStation

LOGGER = logging.getLogger("chargedesk.ocpp.desired")
_installed: dict[str, Any] = {}


def install(gateway: Any, bus: Bus) -> None:
    """Wire the reconnect hook; the API's change hook uses the same bus."""
    _installed.update(gateway=gateway, bus=bus, db=gateway.db)
    local_lists.install(bus, gateway.db, gateway.read)

    async def on_connect(station_id: str) -> None:
        await apply(station_id)
        await local_lists.sync_station(station_id)

    gateway.on_connect.append(on_connect)


_DESIRED = Prepared(
    select(ChargeStation.availability, ChargeStation.configuration).where(ChargeStation.id == bindparam("station_id"))
)


async def _station(station_id: str) -> tuple[str, dict[str, Any]] | None:
    """The station's desired availability and configuration."""
    async with _installed["gateway"].read() as reader:
        found = await _DESIRED.all(reader, {"station_id": station_id})
    return found[0] if found else None


async def apply(station_id: str, availability: bool = True, configuration: dict[str, str] | None = None) -> None:
    """Send the station's desired availability and configuration (or only the given keys)."""
    bus: Bus = _installed["bus"]
    station = await _station(station_id)
    if station is None or not bus.online(station_id):
        return
    desired_availability, desired_configuration = station
    try:
        if availability:
            kind = "Operative" if desired_availability == "operative" else "Inoperative"
            await bus.call(station_id, "ChangeAvailability", {"connectorId": 0, "type": kind})
        for key, value in (desired_configuration if configuration is None else configuration).items():
            await bus.call(station_id, "ChangeConfiguration", {"key": key, "value": str(value)})
    except (StationOffline, TimeoutError, CallFailed) as exc:
        LOGGER.info("desired state of %s not applied now (%s); it is sent again at reconnect", station_id, exc)


def station_changed(station_id: str, fields: dict[str, Any]) -> asyncio.Task[None] | None:
    """Called after the API changed a station: push what changed if it is online (in the background)."""
    context.forget_station(station_id)
    if not _installed or not ({"availability", "configuration"} & fields.keys()):
        return None
    if not _installed["bus"].online(station_id):
        return None
    configuration = fields.get("configuration")
    coro = apply(station_id, availability="availability" in fields, configuration=configuration or {})
    return asyncio.ensure_future(coro)
