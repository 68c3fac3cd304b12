"""Commands to stations: the API's command names, their bodies, and the OCPP 1.6 CALL each becomes."""

from enum import StrEnum
from typing import Any

from pydantic import Field

from chargedesk.schemas import Strict


class Reset(Strict):
    type: str = Field("Soft", pattern="^(Soft|Hard)$")


class ChangeAvailability(Strict):
    connector_id: int = Field(0, ge=0)
    type: str = Field(pattern="^(Operative|Inoperative)$")


class RemoteStart(Strict):
    id_tag: str = Field(min_length=1, max_length=20)
    connector_id: int | None = Field(None, ge=1)


class RemoteStop(Strict):
    transaction_id: int


class UnlockConnector(Strict):
    connector_id: int = Field(ge=1)


class TriggerMessage(Strict):
    requested_message: str = Field(
        pattern="^(BootNotification|DiagnosticsStatusNotification|FirmwareStatusNotification|Heartbeat|MeterValues"
        "|StatusNotification)$"
    )
    connector_id: int | None = Field(None, ge=0)


class GetConfiguration(Strict):
    key: list[str] | None = None


class ChangeConfiguration(Strict):
    key: str = Field(min_length=1, max_length=50)
    value: str = Field(max_length=500)


class Empty(Strict):
    pass


class Command(StrEnum):
    reset = "reset"
    change_availability = "change-availability"
    remote_start = "remote-start"
    remote_stop = "remote-stop"
    unlock_connector = "unlock-connector"
    trigger_message = "trigger-message"
    get_configuration = "get-configuration"
    change_configuration = "change-configuration"
    clear_cache = "clear-cache"
    get_local_list_version = "get-local-list-version"
    send_local_list = "send-local-list"


# command -> (OCPP action, body model, {body field: OCPP field})
COMMANDS: dict[Command, tuple[str, type[Strict], dict[str, str]]] = {
    Command.reset: ("Reset", Reset, {"type": "type"}),
    Command.change_availability: (
        "ChangeAvailability",
        ChangeAvailability,
        {"connector_id": "connectorId", "type": "type"},
    ),
    Command.remote_start: ("RemoteStartTransaction", RemoteStart, {"id_tag": "idTag", "connector_id": "connectorId"}),
    Command.remote_stop: ("RemoteStopTransaction", RemoteStop, {"transaction_id": "transactionId"}),
    Command.unlock_connector: ("UnlockConnector", UnlockConnector, {"connector_id": "connectorId"}),
    Command.trigger_message: (
        "TriggerMessage",
        TriggerMessage,
        {"requested_message": "requestedMessage", "connector_id": "connectorId"},
    ),
    Command.get_configuration: ("GetConfiguration", GetConfiguration, {"key": "key"}),
    Command.change_configuration: ("ChangeConfiguration", ChangeConfiguration, {"key": "key", "value": "value"}),
    Command.clear_cache: ("ClearCache", Empty, {}),
    Command.get_local_list_version: ("GetLocalListVersion", Empty, {}),
    # The location's list, in full (the body takes nothing: the list is the location's authorization list).
    Command.send_local_list: ("SendLocalList", Empty, {}),
}


def ocpp_payload(command: Command, body: Strict) -> tuple[str, dict[str, Any]]:
    action, _, fields = COMMANDS[command]
    payload = {fields[k]: v for k, v in body.model_dump().items() if v is not None and k in fields}
    return action, payload
