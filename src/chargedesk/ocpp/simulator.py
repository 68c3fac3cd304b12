"""Virtual OCPP 1.6 charge stations: boot, heartbeat, status, optional authorize/transaction cycles, and
answers to every command the central system sends. Used by `chargedesk simulate`, the tests and bench/."""

import asyncio
import base64
import contextlib
import itertools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action
from websockets.asyncio.client import ClientConnection, connect

_transaction_ids = itertools.count(1)


def now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class SimulatedStation(ChargePoint):
    """A station; `received` keeps every command it was sent, for tests."""

    def __init__(self, station_id: str, connection: ClientConnection, connectors: int = 2) -> None:
        super().__init__(station_id, connection, response_timeout=30)
        self.connectors = connectors
        self.configuration: dict[str, str] = {"HeartbeatInterval": "300", "AuthorizeRemoteTxRequests": "false"}
        self.availability = "Operative"
        self.local_list: dict[str, Any] = {}
        self.local_list_version = 0
        self.local_list_answer = "Accepted"  # what SendLocalList answers (tests set VersionMismatch / Failed)
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.meter = 0

    def _got(self, action: str, **payload: Any) -> None:
        self.received.append((action, payload))

    # -- what the station sends ------------------------------------------------------------------------------
    async def boot(self) -> call_result.BootNotification:
        return await self.call(
            call.BootNotification(
                charge_point_vendor="chargedesk",
                charge_point_model="Simulator",
                charge_point_serial_number=f"SIM-{self.id}"[:25],
                firmware_version="1.0.0",
            )
        )

    async def report_status(self) -> None:
        for connector in range(0, self.connectors + 1):
            await self.call(call.StatusNotification(connector_id=connector, error_code="NoError", status="Available"))

    async def authorize(self, id_tag: str) -> dict[str, Any]:
        return (await self.call(call.Authorize(id_tag=id_tag))).id_tag_info

    async def start_transaction(
        self, id_tag: str, connector_id: int = 1, meter_start: int | None = None, timestamp: str | None = None
    ) -> call_result.StartTransaction:
        meter_start = self.meter if meter_start is None else meter_start
        return await self.call(
            call.StartTransaction(
                connector_id=connector_id, id_tag=id_tag, meter_start=meter_start, timestamp=timestamp or now_iso()
            )
        )

    async def stop_transaction(
        self, transaction_id: int, meter_stop: int, id_tag: str | None = None, reason: str = "Local", **extra: Any
    ) -> call_result.StopTransaction:
        self.meter = max(self.meter, meter_stop)
        return await self.call(
            call.StopTransaction(
                meter_stop=meter_stop,
                timestamp=extra.get("timestamp", now_iso()),
                transaction_id=transaction_id,
                reason=reason,
                id_tag=id_tag,
                transaction_data=extra.get("transaction_data"),
            )
        )

    # -- what the central system sends ------------------------------------------------------------------------
    @on(Action.reset)
    def on_reset(self, type: str) -> call_result.Reset:
        self._got("Reset", type=type)
        return call_result.Reset(status="Accepted")

    @on(Action.change_availability)
    def on_change_availability(self, connector_id: int, type: str) -> call_result.ChangeAvailability:
        self._got("ChangeAvailability", connector_id=connector_id, type=type)
        self.availability = type
        return call_result.ChangeAvailability(status="Accepted")

    @on(Action.remote_start_transaction)
    def on_remote_start(self, id_tag: str, **rest: Any) -> call_result.RemoteStartTransaction:
        self._got("RemoteStartTransaction", id_tag=id_tag, **rest)
        return call_result.RemoteStartTransaction(status="Accepted")

    @on(Action.remote_stop_transaction)
    def on_remote_stop(self, transaction_id: int) -> call_result.RemoteStopTransaction:
        self._got("RemoteStopTransaction", transaction_id=transaction_id)
        return call_result.RemoteStopTransaction(status="Accepted")

    @on(Action.unlock_connector)
    def on_unlock_connector(self, connector_id: int) -> call_result.UnlockConnector:
        self._got("UnlockConnector", connector_id=connector_id)
        return call_result.UnlockConnector(status="Unlocked")

    @on(Action.trigger_message)
    def on_trigger_message(self, requested_message: str, **rest: Any) -> call_result.TriggerMessage:
        self._got("TriggerMessage", requested_message=requested_message, **rest)
        return call_result.TriggerMessage(status="Accepted")

    @on(Action.get_configuration)
    def on_get_configuration(self, key: list[str] | None = None) -> call_result.GetConfiguration:
        self._got("GetConfiguration", key=key)
        keys = key or list(self.configuration)
        known = [{"key": k, "readonly": False, "value": self.configuration[k]} for k in keys if k in self.configuration]
        unknown = [k for k in keys if k not in self.configuration]
        return call_result.GetConfiguration(configuration_key=known, unknown_key=unknown or None)

    @on(Action.change_configuration)
    def on_change_configuration(self, key: str, value: str) -> call_result.ChangeConfiguration:
        self._got("ChangeConfiguration", key=key, value=value)
        self.configuration[key] = value
        return call_result.ChangeConfiguration(status="Accepted")

    @on(Action.clear_cache)
    def on_clear_cache(self) -> call_result.ClearCache:
        self._got("ClearCache")
        return call_result.ClearCache(status="Accepted")

    @on(Action.get_local_list_version)
    def on_get_local_list_version(self) -> call_result.GetLocalListVersion:
        self._got("GetLocalListVersion")
        return call_result.GetLocalListVersion(list_version=self.local_list_version)

    @on(Action.send_local_list)
    def on_send_local_list(self, list_version: int, update_type: str, **rest: Any) -> call_result.SendLocalList:
        entries = rest.get("local_authorization_list") or []
        self._got("SendLocalList", list_version=list_version, update_type=update_type, entries=entries)
        answer = self.local_list_answer
        if answer != "Accepted":
            self.local_list_answer = "Accepted"  # fail once
            return call_result.SendLocalList(status=answer)
        if update_type == "Full":
            self.local_list = {}
        for entry in entries:
            if entry.get("id_tag_info") is None:
                self.local_list.pop(entry["id_tag"], None)
            else:
                self.local_list[entry["id_tag"]] = entry["id_tag_info"]
        self.local_list_version = list_version
        return call_result.SendLocalList(status="Accepted")


def _headers(station_id: str, password: str | None) -> dict[str, str]:
    if password is None:
        return {}
    token = base64.b64encode(f"{station_id}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@contextlib.asynccontextmanager
async def station(
    url: str, station_id: str, password: str | None = None, connectors: int = 2, **connect_args: Any
) -> AsyncIterator[SimulatedStation]:
    """A connected station whose read loop runs in the background; `url` is ws://HOST:PORT/ocpp."""
    async with connect(
        f"{url.rstrip('/')}/{station_id}",
        subprotocols=["ocpp1.6"],  # type: ignore[list-item]
        additional_headers=_headers(station_id, password),
        open_timeout=60,
        ping_interval=None,
        **connect_args,
    ) as ws:
        sim = SimulatedStation(station_id, ws, connectors)
        reader = asyncio.create_task(sim.start())
        try:
            yield sim
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader


@dataclass
class Report:
    stations: int = 0
    connected: int = 0
    booted: int = 0
    authorizations: int = 0
    transactions: int = 0
    errors: list[str] = field(default_factory=list)
    boot_seconds: float = 0.0


async def run(
    url: str,
    stations: int,
    password: str | None = None,
    id_tags: list[str] | None = None,
    prefix: str = "SIM-",
    duration: float = 0.0,
    cycles: int = 0,
    heartbeat: float = 300.0,
) -> Report:
    """Connect `stations` stations (prefix00001…), boot them, report status, run `cycles` authorize +
    transaction cycles each with `id_tags`, then stay connected for `duration` seconds, heartbeating."""
    report = Report(stations=stations)
    started = time.perf_counter()
    booted = asyncio.Event()

    async def one(n: int) -> None:
        station_id = f"{prefix}{n:05d}"
        try:
            async with station(url, station_id, password) as sim:
                report.connected += 1
                await sim.boot()
                await sim.report_status()
                report.booted += 1
                if report.booted == stations:
                    report.boot_seconds = time.perf_counter() - started
                    booted.set()
                for cycle in range(cycles):
                    tag = (id_tags or ["SIMTAG"])[(n + cycle) % len(id_tags or ["SIMTAG"])]
                    await sim.authorize(tag)
                    report.authorizations += 1
                    result = await sim.start_transaction(tag, meter_start=sim.meter)
                    await sim.stop_transaction(result.transaction_id, sim.meter + 1000, tag)
                    report.transactions += 1
                end = time.monotonic() + duration
                while time.monotonic() < end:
                    await asyncio.sleep(min(heartbeat, max(0.0, end - time.monotonic())))
                    if time.monotonic() < end:
                        await sim.call(call.Heartbeat())
        except Exception as exc:  # a report, not a crash: count what failed and why
            report.errors.append(f"{station_id}: {type(exc).__name__}: {exc}"[:300])

    await asyncio.gather(*(one(n) for n in range(1, stations + 1)))
    if not booted.is_set():
        report.boot_seconds = time.perf_counter() - started
    return report
