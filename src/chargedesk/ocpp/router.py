"""Station endpoints that need the OCPP gateway: commands, the message log, the commissioning test."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from chargedesk.auth.deps import Principal, get_session, operator, require
from chargedesk.ocpp import commissioning, control, log
from chargedesk.ocpp.commands import Command
from chargedesk.pagination import Page, PageParams, page_params
from chargedesk.schemas import Out
from chargedesk.stations import service as stations

router = APIRouter(prefix="/charge-stations", tags=["charge stations"])


class Direction(StrEnum):
    inbound = "in"
    outbound = "out"


class MessageType(StrEnum):
    CALL = "CALL"
    CALLRESULT = "CALLRESULT"
    CALLERROR = "CALLERROR"
    INVALID = "INVALID"


class MessageOut(Out):
    id: int
    station_id: str
    at: datetime
    direction: str
    message_type: str
    message_id: str | None
    action: str | None
    payload: Any


@router.get("/{station_id}/messages", response_model=Page[MessageOut], summary="The station's OCPP message log")
async def list_messages(
    station_id: str,
    action: str | None = Query(None, description="e.g. Authorize; a CALLRESULT carries its CALL's action."),
    direction: Direction | None = Query(None),
    message_type: MessageType | None = Query(None),
    start: datetime | None = Query(None, alias="from"),
    end: datetime | None = Query(None, alias="to"),
    id_tag: str | None = Query(None, description="Frames with this idTag / idToken anywhere in the payload."),
    params: PageParams = Depends(page_params),
    principal: Principal = Depends(operator),
    session: AsyncSession = Depends(get_session),
) -> Page[MessageOut]:
    """Newest first. To find an unknown card's UID: `action=Authorize` around the time it was presented."""
    await stations.get(session, principal, station_id)
    filters = log.MessageFilters(
        action, direction.value if direction else None, message_type.value if message_type else None, start, end, id_tag
    )
    rows, cursor = await log.list_page(session, station_id, filters, params)
    return Page(items=[MessageOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.post("/{station_id}/commands/{command}", summary="Send a command to a connected station")
async def send_command(
    station_id: str,
    command: Command,
    request: Request,
    body: dict[str, Any] | None = Body(None),
    principal: Principal = Depends(require("stations:write")),
    session: AsyncSession = Depends(get_session),
) -> dict[str, Any]:
    """Bodies: reset `{"type": "Soft"|"Hard"}`; change-availability `{"connector_id", "type"}`; remote-start
    `{"id_tag", "connector_id"}`; remote-stop `{"transaction_id"}`; unlock-connector `{"connector_id"}`;
    trigger-message `{"requested_message", "connector_id"}`; get-configuration `{"key": [...]}`;
    change-configuration `{"key", "value"}`; clear-cache, get-local-list-version and send-local-list take none
    (send-local-list sends the location's authorization list in full). Answers the station's answer."""
    station = await stations.get(session, principal, station_id)
    return await control.send(session, request.app.state.bus, station, command, body)


@router.post("/{station_id}/commissioning-test", summary="Test a newly installed station")
async def commissioning_test(
    station_id: str,
    request: Request,
    principal: Principal = Depends(require("stations:commission")),
    session: AsyncSession = Depends(get_session),
) -> dict[str, Any]:
    """Checks: connected, booted and Accepted, heartbeat recent, every connector reported a status,
    configuration readable, a TriggerMessage answered. Each check with passed and a detail."""
    station = await stations.get(session, principal, station_id)
    result = await commissioning.run(
        session, request.app.state.bus, station, request.app.state.settings.heartbeat_interval
    )
    await session.commit()
    return result
