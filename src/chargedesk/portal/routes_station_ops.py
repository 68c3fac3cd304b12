"""The station page's Logs tab (the OCPP message log, filtered) and Commands tab (every station command with
the station's answer inline, and the commissioning test with its report). The same services as the API."""

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from chargedesk.auth.deps import get_session
from chargedesk.errors import Problem
from chargedesk.ocpp import commissioning, control, log
from chargedesk.ocpp.commands import Command
from chargedesk.pagination import PageParams
from chargedesk.portal import filters
from chargedesk.portal.routes_stations import station_page
from chargedesk.portal.session import Viewer, signed_in
from chargedesk.portal.web import form_errors, render, target
from chargedesk.stations import service

router = APIRouter(prefix="/stations")
PAGE_SIZE = 50
WRITE = "stations:write"
COMMISSION = "stations:commission"
ACTIONS = [
    "Authorize", "BootNotification", "DataTransfer", "Heartbeat", "MeterValues", "StartTransaction",
    "StatusNotification", "StopTransaction", "FirmwareStatusNotification", "DiagnosticsStatusNotification",
    "ChangeAvailability", "ChangeConfiguration", "ClearCache", "GetConfiguration", "GetLocalListVersion",
    "RemoteStartTransaction", "RemoteStopTransaction", "Reset", "SendLocalList", "TriggerMessage", "UnlockConnector",
]  # fmt: skip
DIRECTIONS = [("in", "From the station"), ("out", "To the station")]
TRIGGERS = [
    "BootNotification", "DiagnosticsStatusNotification", "FirmwareStatusNotification", "Heartbeat", "MeterValues",
    "StatusNotification",
]  # fmt: skip


def _f(name: str, label: str, kind: str = "text", options: list[Any] | None = None, help: str | None = None) -> dict:
    return {"name": name, "label": label, "kind": kind, "options": options or [], "help": help}


# What each command's form asks for; the names are the API body's fields.
COMMAND_FORMS: list[tuple[Command, str, list[dict[str, Any]]]] = [
    (Command.reset, "Reset", [_f("type", "Reset type", "select", ["Soft", "Hard"])]),
    (
        Command.change_availability,
        "Change availability",
        [
            _f("connector_id", "Connector (0 = whole station)", "number"),
            _f("type", "Availability", "select", ["Operative", "Inoperative"]),
        ],
    ),  # fmt: skip
    (
        Command.remote_start,
        "Remote start",
        [_f("id_tag", "Id tag"), _f("connector_id", "Connector (optional)", "number")],
    ),
    (Command.remote_stop, "Remote stop", [_f("transaction_id", "Transaction id", "number")]),
    (Command.unlock_connector, "Unlock connector", [_f("connector_id", "Connector", "number")]),
    (
        Command.trigger_message,
        "Trigger message",
        [_f("requested_message", "Message", "select", TRIGGERS), _f("connector_id", "Connector (optional)", "number")],
    ),
    (
        Command.get_configuration,
        "Get configuration",
        [_f("key", "Keys (optional)", help="Comma separated; empty reads every key.")],
    ),
    (Command.change_configuration, "Change configuration", [_f("key", "Key"), _f("value", "Value")]),
    (Command.clear_cache, "Clear cache", []),
    (Command.get_local_list_version, "Get local list version", []),
    (Command.send_local_list, "Send local list", []),
]
FORMS = {command: (label, fields) for command, label, fields in COMMAND_FORMS}
# Commands that interrupt charging ask first.
CONFIRM = {
    Command.reset: "Reset the station? A session in progress stops.",
    Command.unlock_connector: "Unlock the connector? A session in progress stops.",
    Command.remote_stop: "Stop this session?",
}


@router.get("/{station_id}/logs")
async def station_logs(
    request: Request,
    station_id: str,
    action: str | None = None,
    direction: str | None = None,
    start: str | None = Query(None, alias="from"),
    end: str | None = Query(None, alias="to"),
    id_tag: str | None = None,
    cursor: str | None = None,
    viewer: Viewer = Depends(signed_in),
    db: AsyncSession = Depends(get_session),
) -> Response:
    """Newest first; the filters are the API's GET /charge-stations/{id}/messages filters."""
    await service.get(db, viewer.principal, station_id)
    values = {"action": action or "", "direction": direction or "", "from": start or "", "to": end or ""}
    values["id_tag"] = (id_tag or "").strip()
    errors: dict[str, str] = {}
    if values["direction"] not in ("", "in", "out"):
        errors["direction"] = "Choose from the station or to the station."
    start_at, end_at = filters.when(values, errors, "from"), filters.when(values, errors, "to")
    filters.ordered(errors, start_at, end_at, "to")
    rows: list[Any] = []
    next_cursor = None
    if not errors:
        flt = log.MessageFilters(
            values["action"] or None, values["direction"] or None, None, start_at, end_at, values["id_tag"] or None
        )
        rows, next_cursor = await log.list_page(db, station_id, flt, PageParams(PAGE_SIZE, cursor, None))
    context = {
        "messages": rows,
        "values": values,
        "errors": errors,
        "params": values,
        "cursor": cursor,
        "next_cursor": next_cursor,
        "actions": ACTIONS,
        "directions": DIRECTIONS,
    }
    status = 422 if errors else 200
    if target(request) in ("logs", "messages"):
        partial = "stations/_logs.html" if target(request) == "logs" else "stations/_messages.html"
        return render(request, partial, context | {"station_id": station_id}, status)
    return await station_page(request, db, viewer, station_id, "logs", status, **context)


@router.get("/{station_id}/commands")
async def station_commands(
    request: Request, station_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    extra = {"commands": COMMAND_FORMS, "outcomes": {}, "confirm": CONFIRM}
    return await station_page(request, db, viewer, station_id, "commands", **extra)


def _body(command: Command, form: Any) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for spec in FORMS[command][1]:
        text = str(form.get(spec["name"], "")).strip()
        if not text:
            continue
        if command is Command.get_configuration:
            body["key"] = [k.strip() for k in text.split(",") if k.strip()]
        else:
            body[spec["name"]] = text
    return body


@router.post("/{station_id}/commands/{command}")
async def send_command(
    request: Request,
    station_id: str,
    command: Command,
    viewer: Viewer = Depends(signed_in),
    db: AsyncSession = Depends(get_session),
) -> Response:
    """The command's form again, with the station's answer, or the refusal (offline, no answer, a field)."""
    viewer.need(WRITE)
    station = await service.get(db, viewer.principal, station_id)
    form = await request.form()
    values = {spec["name"]: str(form.get(spec["name"], "")) for spec in FORMS[command][1]}
    outcome: dict[str, Any] = {"values": values, "errors": {}}
    try:
        outcome["answer"] = await control.send(db, request.app.state.bus, station, command, _body(command, form))
    except Problem as exc:
        if exc.status == 404:
            raise
        outcome["errors"] = form_errors(exc) if exc.errors else {}
        outcome["problem"] = {"status": exc.status, "detail": exc.detail}
    label, fields = FORMS[command]
    context = {
        "station_id": station_id,
        "command": command,
        "label": label,
        "fields": fields,
        "outcome": outcome,
        "confirm": CONFIRM,
    }
    if target(request) is None:
        extra = {"commands": COMMAND_FORMS, "outcomes": {command: outcome}, "confirm": CONFIRM}
        return await station_page(request, db, viewer, station_id, "commands", **extra)
    return render(request, "stations/_command.html", context)


@router.post("/{station_id}/commissioning-test")
async def commissioning_test(
    request: Request, station_id: str, viewer: Viewer = Depends(signed_in), db: AsyncSession = Depends(get_session)
) -> Response:
    viewer.need(COMMISSION)
    station = await service.get(db, viewer.principal, station_id)
    settings = request.app.state.settings
    report = await commissioning.run(db, request.app.state.bus, station, settings.heartbeat_interval)
    await db.commit()
    if target(request) is None:
        extra = {"commands": COMMAND_FORMS, "outcomes": {}, "report": report, "confirm": CONFIRM}
        return await station_page(request, db, viewer, station_id, "commands", **extra)
    return render(request, "stations/_commissioning.html", {"station_id": station_id, "report": report})
