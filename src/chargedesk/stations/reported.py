"""What stations report about themselves over OCPP: boot data, presence, connector statuses, notifications."""

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.ocpp.models import StationOcppState
from chargedesk.stations.models import ChargeStation, ConnectorStatus


async def state(session: AsyncSession, station_id: str) -> StationOcppState:
    row = await session.get(StationOcppState, station_id)
    if row is None:
        row = StationOcppState(station_id=station_id, local_list_version=0, local_list_full_needed=True)
        session.add(row)
    return row


async def record_boot(session: AsyncSession, station_id: str, boot: dict[str, Any], at: datetime) -> None:
    await session.execute(
        update(ChargeStation)
        .where(ChargeStation.id == station_id)
        .values(
            vendor=boot.get("chargePointVendor"),
            model=boot.get("chargePointModel"),
            serial_number=boot.get("chargePointSerialNumber") or boot.get("chargeBoxSerialNumber"),
            firmware_version=boot.get("firmwareVersion"),
            boot_info=boot,
            ocpp_version="1.6",
            last_boot_at=at,
            last_seen=at,
            online=True,
        )
    )
    (await state(session, station_id)).boot_status = "Accepted"
    await session.commit()


async def set_presence(session: AsyncSession, station_id: str, online: bool, at: datetime) -> None:
    await session.execute(
        update(ChargeStation).where(ChargeStation.id == station_id).values(online=online, last_seen=at)
    )
    await session.commit()


async def record_heartbeat(session: AsyncSession, station_id: str, at: datetime) -> None:
    await session.execute(update(ChargeStation).where(ChargeStation.id == station_id).values(last_seen=at, online=True))
    (await state(session, station_id)).heartbeat_at = at
    await session.commit()


async def record_status(
    session: AsyncSession,
    station_id: str,
    connector_id: int,
    status: str,
    error_code: str | None,
    info: str | None,
    vendor_error_code: str | None,
    at: datetime,
) -> None:
    row = await session.get(ConnectorStatus, (station_id, connector_id))
    if row is None:
        row = ConnectorStatus(station_id=station_id, connector_id=connector_id, status=status, at=at)
        session.add(row)
    row.status, row.error_code, row.info, row.vendor_error_code, row.at = (
        status,
        error_code,
        info,
        vendor_error_code,
        at,
    )
    await session.commit()


async def record_notification(session: AsyncSession, station_id: str, kind: str, status: str, at: datetime) -> None:
    """DiagnosticsStatusNotification / FirmwareStatusNotification: the latest status and when."""
    row = await state(session, station_id)
    if kind == "diagnostics":
        row.diagnostics_status, row.diagnostics_at = status, at
    else:
        row.firmware_status, row.firmware_at = status, at
    await session.commit()


async def connector_ids(session: AsyncSession, station_id: str) -> list[int]:
    rows = await session.scalars(select(ConnectorStatus.connector_id).where(ConnectorStatus.station_id == station_id))
    return list(rows)


async def read(session: AsyncSession, station_id: str) -> StationOcppState | None:
    """The OCPP state as stored, without creating it (for pages that only show it)."""
    return await session.get(StationOcppState, station_id)
