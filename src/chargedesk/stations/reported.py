"""What stations report about themselves over OCPP: boot data, presence, connector statuses, notifications."""

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.ocpp.models import StationOcppState
from chargedesk.stations.models import ChargeStation, ConnectorStatus


async def state(session: AsyncSession, station_id: str) -> StationOcppState:
    row = await session.get(StationOcppState, station_id)
    if row is None:
        row = StationOcppState(station_id=station_id, local_list_version=0, local_list_full_needed=True)
        session.add(row)
    return row


# The gateway writes these on every boot, heartbeat and status: statements built once, values bound per call.
# `conn` is an AsyncConnection or the gateway's SQLite connection (same coroutines); each function commits.
_STATION = update(ChargeStation).where(ChargeStation.id == bindparam("b_station_id"))
_STATE = update(StationOcppState).where(StationOcppState.station_id == bindparam("b_station_id"))
_NEW_STATE = insert(StationOcppState)
_CONNECTOR = update(ConnectorStatus).where(
    ConnectorStatus.station_id == bindparam("b_station_id"), ConnectorStatus.connector_id == bindparam("b_connector")
)
_NEW_CONNECTOR = insert(ConnectorStatus)


async def _set_state(conn: Any, station_id: str, values: dict[str, Any]) -> None:
    """Update the station's OCPP state row, creating it the first time."""
    if (await conn.execute(_STATE, {"b_station_id": station_id, **values})).rowcount == 0:
        await conn.execute(_NEW_STATE, {"station_id": station_id, **values})


async def record_boot(conn: Any, station_id: str, boot: dict[str, Any], at: datetime) -> None:
    station = {
        "b_station_id": station_id,
        "vendor": boot.get("chargePointVendor"),
        "model": boot.get("chargePointModel"),
        "serial_number": boot.get("chargePointSerialNumber") or boot.get("chargeBoxSerialNumber"),
        "firmware_version": boot.get("firmwareVersion"),
        "boot_info": boot,
        "ocpp_version": "1.6",
        "last_boot_at": at,
        "last_seen": at,
        "online": True,
    }
    await conn.execute(_STATION, station)
    await _set_state(conn, station_id, {"boot_status": "Accepted"})
    await conn.commit()


async def set_presence(conn: Any, station_id: str, online: bool, at: datetime) -> None:
    await conn.execute(_STATION, {"b_station_id": station_id, "online": online, "last_seen": at})
    await conn.commit()


async def record_heartbeat(conn: Any, station_id: str, at: datetime) -> None:
    await conn.execute(_STATION, {"b_station_id": station_id, "online": True, "last_seen": at})
    await _set_state(conn, station_id, {"heartbeat_at": at})
    await conn.commit()


async def record_status(
    conn: Any,
    station_id: str,
    connector_id: int,
    status: str,
    error_code: str | None,
    info: str | None,
    vendor_error_code: str | None,
    at: datetime,
) -> None:
    values = {
        "status": status,
        "error_code": error_code,
        "info": info,
        "vendor_error_code": vendor_error_code,
        "at": at,
    }
    key = {"b_station_id": station_id, "b_connector": connector_id}
    if (await conn.execute(_CONNECTOR, {**key, **values})).rowcount == 0:
        await conn.execute(_NEW_CONNECTOR, {"station_id": station_id, "connector_id": connector_id, **values})
    await conn.commit()


async def record_notification(conn: Any, station_id: str, kind: str, status: str, at: datetime) -> None:
    """DiagnosticsStatusNotification / FirmwareStatusNotification: the latest status and when."""
    await _set_state(conn, station_id, {f"{kind}_status": status, f"{kind}_at": at})
    await conn.commit()


async def connector_ids(session: AsyncSession, station_id: str) -> list[int]:
    rows = await session.scalars(select(ConnectorStatus.connector_id).where(ConnectorStatus.station_id == station_id))
    return list(rows)


async def read(session: AsyncSession, station_id: str) -> StationOcppState | None:
    """The OCPP state as stored, without creating it (for pages that only show it)."""
    return await session.get(StationOcppState, station_id)
