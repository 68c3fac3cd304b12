"""OCPP 1.6J: one handler per action a station sends; each translates the frame to a service call and back."""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ocpp.exceptions import TypeConstraintViolationError
from ocpp.v16 import ChargePoint as V16
from ocpp.v16 import call_result
from ocpp.v16.enums import Action

from chargedesk.authorization import context, unknown_ids
from chargedesk.db import utcnow
from chargedesk.ocpp.connection import Connection, answers
from chargedesk.stations import reported
from chargedesk.transactions import service as transactions

if TYPE_CHECKING:
    from chargedesk.ocpp.gateway import Gateway

ENERGY = "Energy.Active.Import.Register"


def _time(value: str, field: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise TypeConstraintViolationError(details={"cause": f"{field} is not an ISO 8601 date-time"}) from None


def _now() -> str:
    return utcnow().isoformat().replace("+00:00", "Z")


def _energy_wh(meter_value: list[dict[str, Any]]) -> int | None:
    """The last Energy.Active.Import.Register reading (the default measurand), in Wh."""
    found = None
    for sample in meter_value:
        for value in sample.get("sampledValue", []):
            if value.get("measurand", ENERGY) != ENERGY or value.get("phase"):
                continue
            try:
                reading = float(value["value"])
            except (KeyError, ValueError):
                continue
            found = int(round(reading * 1000 if value.get("unit") == "kWh" else reading))
    return found


class StationV16(Connection):
    _ocpp_version = V16._ocpp_version
    _call = V16._call
    _call_result = V16._call_result
    known_actions = frozenset(a.value for a in Action)

    def __init__(self, station_id: str, transport: Any, gateway: "Gateway") -> None:
        super().__init__(station_id, transport, gateway.log, gateway.settings.ocpp_call_timeout)
        self.gateway = gateway

    async def write(self, work: Any) -> Any:
        """Run `work(conn)` as the gateway's writer (Gateway.write)."""
        return await self.gateway.write(work)

    @answers(Action.boot_notification)
    async def on_boot_notification(self, **boot: Any) -> call_result.BootNotification:
        await self.write(lambda conn: reported.record_boot(conn, self.id, _camel(boot), utcnow()))
        self.gateway.booted(self.id)
        return call_result.BootNotification(
            current_time=_now(), interval=self.gateway.settings.heartbeat_interval, status="Accepted"
        )

    @answers(Action.heartbeat)
    async def on_heartbeat(self) -> call_result.Heartbeat:
        await self.write(lambda conn: reported.record_heartbeat(conn, self.id, utcnow()))
        return call_result.Heartbeat(current_time=_now())

    @answers(Action.status_notification)
    async def on_status_notification(
        self,
        connector_id: int,
        error_code: str,
        status: str,
        timestamp: str | None = None,
        info: str | None = None,
        vendor_error_code: str | None = None,
        **_: Any,
    ) -> call_result.StatusNotification:
        at = _time(timestamp, "timestamp") if timestamp else utcnow()
        await self.write(
            lambda conn: reported.record_status(
                conn, self.id, connector_id, status, error_code, info, vendor_error_code, at
            )
        )
        return call_result.StatusNotification()

    async def _authorize(self, id_tag: str) -> context.Authorization | None:
        async with self.gateway.read() as reader:
            station = await self.gateway.station_contexts.get(reader, self.id)
            if station is None:  # deleted while connected
                return None
            auth = await context.authorize(reader, station, id_tag)
        if auth.token_id is None:
            await self.write(lambda conn: unknown_ids.record(conn, self.id, station.organization_id, id_tag))
        return auth

    @answers(Action.authorize)
    async def on_authorize(self, id_tag: str) -> call_result.Authorize:
        return call_result.Authorize(id_tag_info=_id_tag_info(await self._authorize(id_tag)))

    @answers(Action.start_transaction)
    async def on_start_transaction(
        self,
        connector_id: int,
        id_tag: str,
        meter_start: int,
        timestamp: str,
        reservation_id: int | None = None,
    ) -> call_result.StartTransaction:
        started_at = _time(timestamp, "timestamp")
        id_tag = id_tag.strip()
        async with self.gateway.read() as reader:
            existing = await transactions.find_start(reader, self.id, connector_id, id_tag, meter_start, started_at)
        if existing is not None:  # a retransmission: the same answer
            return call_result.StartTransaction(
                transaction_id=existing.id, id_tag_info={"status": existing.authorization_status}
            )
        auth = await self._authorize(id_tag)
        if auth is None:
            raise TypeConstraintViolationError(details={"cause": "this station is no longer registered"})
        started = await self.write(
            lambda conn: transactions.start(conn, auth, connector_id, meter_start, started_at, reservation_id)
        )
        return call_result.StartTransaction(transaction_id=started.id, id_tag_info=_id_tag_info(auth))

    @answers(Action.stop_transaction)
    async def on_stop_transaction(
        self,
        meter_stop: int,
        timestamp: str,
        transaction_id: int,
        reason: str | None = None,
        id_tag: str | None = None,
        transaction_data: list[dict[str, Any]] | None = None,
    ) -> call_result.StopTransaction:
        stopped_at = _time(timestamp, "timestamp")
        data = _camel(transaction_data)
        await self.write(
            lambda conn: transactions.stop(conn, self.id, transaction_id, meter_stop, stopped_at, reason, id_tag, data)
        )
        if id_tag is None:
            return call_result.StopTransaction()
        info = _id_tag_info(await self._authorize(id_tag))
        # Stopping is always allowed; ConcurrentTx only means the very session being stopped.
        if info["status"] == "ConcurrentTx":
            info["status"] = "Accepted"
        return call_result.StopTransaction(id_tag_info=info)

    @answers(Action.meter_values)
    async def on_meter_values(
        self, connector_id: int, meter_value: list[dict[str, Any]], transaction_id: int | None = None
    ) -> call_result.MeterValues:
        energy = _energy_wh(_camel(meter_value))
        if transaction_id is not None and energy is not None:
            await self.write(lambda conn: transactions.record_meter(conn, self.id, transaction_id, energy))
        return call_result.MeterValues()

    @answers(Action.data_transfer)
    async def on_data_transfer(self, vendor_id: str, **_: Any) -> call_result.DataTransfer:
        if vendor_id in self.gateway.settings.ocpp_data_transfer_vendors:
            return call_result.DataTransfer(status="Accepted")
        return call_result.DataTransfer(status="UnknownVendorId")

    @answers(Action.diagnostics_status_notification)
    async def on_diagnostics_status_notification(self, status: str) -> call_result.DiagnosticsStatusNotification:
        await self.write(lambda conn: reported.record_notification(conn, self.id, "diagnostics", status, utcnow()))
        return call_result.DiagnosticsStatusNotification()

    @answers(Action.firmware_status_notification)
    async def on_firmware_status_notification(self, status: str) -> call_result.FirmwareStatusNotification:
        await self.write(lambda conn: reported.record_notification(conn, self.id, "firmware", status, utcnow()))
        return call_result.FirmwareStatusNotification()


def _id_tag_info(auth: context.Authorization | None) -> dict[str, Any]:
    if auth is None:
        return {"status": "Invalid"}
    info: dict[str, Any] = {"status": auth.decision.ocpp16}
    if auth.decision.parent_id_tag:
        info["parent_id_tag"] = auth.decision.parent_id_tag
    return info


def _camel(value: Any) -> Any:
    """The library hands handlers snake_case keys; store what the station sent (camelCase)."""
    from ocpp.charge_point import snake_to_camel_case

    return snake_to_camel_case(value) if value is not None else None
