"""Sending a command to a station, as the API and the portal both do: validate, check, call, answer."""

from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.authorization import context
from chargedesk.errors import Forbidden, Problem, validation_errors
from chargedesk.ocpp import local_lists
from chargedesk.ocpp.bus import Bus, CallFailed, StationOffline
from chargedesk.ocpp.commands import COMMANDS, Command, ocpp_payload
from chargedesk.stations.models import ChargeStation


def offline(station_id: str) -> Problem:
    return Problem(
        f"Station {station_id!r} is not connected; commands need a connected station (see its online field).",
        status=409,
    )


async def call_station(bus: Bus, station_id: str, action: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A CALL through the bus, its failures as API problems: 409 offline, 504 no answer, 502 CALLERROR."""
    try:
        return await bus.call(station_id, action, payload)
    except StationOffline:
        raise offline(station_id) from None
    except TimeoutError:
        raise Problem(f"Station {station_id!r} did not answer {action} in time.", status=504) from None
    except CallFailed as exc:
        raise Problem(
            f"Station {station_id!r} answered {action} with the error {exc.code}: {exc.description}",
            status=502,
            ocpp_error_code=exc.code,
        ) from None


async def send(
    session: AsyncSession, bus: Bus, station: ChargeStation, command: Command, body: dict[str, Any] | None
) -> dict[str, Any]:
    """`{"action", "response"}` with the station's answer; raises Problem (422 fields, 409 offline, 504, 502)."""
    station_id = station.id
    model = COMMANDS[command][1]
    try:
        parsed = model.model_validate(body or {})
    except ValidationError as exc:
        raise Problem("The command has invalid fields.", status=422, errors=validation_errors(exc.errors())) from None
    if not bus.online(station_id):
        raise offline(station_id)
    if command is Command.send_local_list:
        status = await local_lists.sync_station(station_id, check_version=False)
        if status is None:
            raise Problem(f"Station {station_id!r} has no private location to send a list for.", status=409)
        return {"action": "SendLocalList", "response": {"status": status}}
    action, payload = ocpp_payload(command, parsed)
    if (
        command is Command.remote_start
        and str(station.configuration.get("AuthorizeRemoteTxRequests", "")).lower() == "true"
    ):
        station_ctx = await context.station_context(session, station_id)
        assert station_ctx is not None
        auth = await context.authorize(session, station_ctx, payload["idTag"])
        if not auth.decision.accepted:
            raise Forbidden(
                f"The id {payload['idTag']!r} may not charge at this station ({auth.decision.ocpp16}).",
                ocpp_status=auth.decision.ocpp16,
            )
    return {"action": action, "response": await call_station(bus, station_id, action, payload)}
