"""An OCPP-J endpoint on one socket: the `ocpp` library's ChargePoint with the framing rules it leaves open.

- every frame, both ways, goes to the message log (a result carries the action of its CALL);
- a frame that is not OCPP (bad JSON, not an array, unknown message type) is answered with a CALLERROR
  (FormationViolation, message id "-1" when it has none) instead of being dropped silently;
- a CALL's payload is validated against its schema here, once (handlers use `@answers`), and its integers
  must fit OCPP's 32 bits;
- an unknown action is NotImplemented, an action of the protocol that the central system does not take is
  NotSupported (OCPP-J 1.6 §4.2.3);
- a CALLRESULT / CALLERROR for no pending CALL is logged and ignored (the library would queue it forever);
- `request(action, payload)` sends a CALL from a plain dict and returns the station's answer as a dict.
"""

import asyncio
import inspect
import json
import logging
import time
import uuid
from typing import Any

import ocpp.messages
from ocpp.charge_point import ChargePoint, camel_to_snake_case, remove_nones, serialize_as_dict, snake_to_camel_case
from ocpp.exceptions import InternalError, NotSupportedError, OCPPError, TypeConstraintViolationError
from ocpp.exceptions import NotImplementedError as OcppNotImplemented
from ocpp.messages import Call, CallError, CallResult, MessageType, unpack, validate_payload
from ocpp.routing import on

from chargedesk.ocpp.log import MESSAGE_TYPES, MessageLog

# Validate on the event loop: cheaper than the library's thread-pool default for these small payloads, and
# free of the races reported against it.
ocpp.messages.ASYNC_VALIDATION = False
LOGGER = logging.getLogger("chargedesk.ocpp")


def answers(action: Any) -> Any:
    """`@on(action)` for the central system's handlers. Every CALL a station sends is checked against its
    schema in `Connection.route_message`, before the handler runs; the library's own check would validate the
    CALL again and then our answer (built from typed results, and validated by the simulator in the tests)."""
    return on(action, skip_schema_validation=True)


class CallFailed(Exception):
    """The station answered a CALL with a CALLERROR."""

    def __init__(self, code: str, description: str, details: Any) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.details = details


def _error_code(error: OCPPError, version: str) -> str:
    # The library names 1.6's "FormationViolation" by its 2.0.1 name.
    if version == "1.6" and error.code == "FormatViolation":
        return "FormationViolation"
    return error.code


def _frame_id(raw: Any) -> str:
    """The message id of a frame we could not parse, if it has one; "-1" otherwise."""
    try:
        frame = json.loads(raw)
    except (ValueError, TypeError):
        return "-1"
    if isinstance(frame, list) and len(frame) > 1 and isinstance(frame[1], str) and frame[1]:
        return frame[1][:36]
    return "-1"


class Connection(ChargePoint):
    """Base of the version-specific handler classes."""

    known_actions: frozenset[str] = frozenset()

    def __init__(self, station_id: str, transport: Any, log: MessageLog, response_timeout: float) -> None:
        super().__init__(station_id, transport, response_timeout=response_timeout)
        self.log = log
        self.connected_at = self.last_frame_at = time.monotonic()
        self._pending: dict[str, str] = {}  # our CALLs awaiting an answer: message id -> action

    async def route_message(self, raw_msg: Any) -> None:
        self.last_frame_at = time.monotonic()
        try:
            msg = unpack(raw_msg)
        except OCPPError as error:
            self.log.record(self.id, "in", "INVALID", None, None, {"raw": str(raw_msg)[:2000]})
            code = "FormationViolation" if self._ocpp_version == "1.6" else "FormatViolation"
            await self._send_error(_frame_id(raw_msg), None, code, _cause(error))
            return

        kind = MESSAGE_TYPES.get(msg.message_type_id, "INVALID")
        if msg.message_type_id == MessageType.Call:
            action = msg.action if isinstance(msg.action, str) else str(msg.action)
            self.log.record(self.id, "in", kind, msg.unique_id, action, msg.payload)
            try:
                if action not in self.route_map:
                    missing = OcppNotImplemented if action not in self.known_actions else NotSupportedError
                    raise missing(details={"cause": f"the central system does not take {action!r} from stations"})
                await validate_payload(msg, self._ocpp_version)
                if (field := _oversized_integer(msg.payload)) is not None:
                    raise TypeConstraintViolationError(details={"cause": f"{field} is not a 32-bit integer"})
                payload = await self._handle_call(msg)
            except OCPPError as error:
                await self._send_error(msg.unique_id, action, _error_code(error, self._ocpp_version), _cause(error))
                return
            self.log.record(self.id, "out", "CALLRESULT", msg.unique_id, action, payload)
            await self._connection.send(CallResult(msg.unique_id, payload).to_json())
            return

        action = self._pending.get(msg.unique_id)
        if msg.message_type_id == MessageType.CallResult:
            payload = msg.payload
        else:
            payload = _error_payload(msg.error_code, msg.error_description, msg.error_details)
        self.log.record(self.id, "in", kind, msg.unique_id, action, payload)
        if action is not None:
            self._response_queue.put_nowait(msg)

    async def _handle_call(self, msg: Call) -> dict[str, Any]:
        """The answer's payload for a validated CALL: the library's dispatch (snake_case keyword arguments in,
        a typed result out, camelCase payload back), without its per-call `inspect.signature` of the handler
        (8 % of the gateway's CPU per Authorize) and with errors left to `route_message`."""
        handler = self.route_map[msg.action]["_on_action"]
        try:
            response = handler(**camel_to_snake_case(msg.payload))
            if inspect.isawaitable(response):
                response = await response
        except OCPPError:
            raise
        except Exception as exc:
            LOGGER.exception("%s: handling %s failed", self.id, msg.action)
            raise InternalError(details={"cause": "the central system could not handle this message"}) from exc
        return snake_to_camel_case(remove_nones(serialize_as_dict(response)))

    async def _send_error(self, unique_id: str, action: str | None, code: str, description: str) -> None:
        description = description[:255]
        self.log.record(self.id, "out", "CALLERROR", unique_id, action, _error_payload(code, description, {}))
        await self._connection.send(CallError(unique_id, code, description, {}).to_json())

    async def request(self, action: str, payload: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """Send a CALL and return the station's CALLRESULT payload; CallFailed on a CALLERROR,
        TimeoutError when no answer comes in time. Never call this from inside an @on handler: the handler
        runs on the task that reads the socket, so the answer could never be read."""
        call = Call(str(uuid.uuid4()), action, payload)
        await validate_payload(call, self._ocpp_version)
        timeout = timeout or self._response_timeout
        async with self._call_lock:
            self._pending[call.unique_id] = action
            try:
                self.log.record(self.id, "out", "CALL", call.unique_id, action, payload)
                await self._connection.send(call.to_json())
                response = await asyncio.wait_for(self._answer(call.unique_id), timeout)
            finally:
                self._pending.pop(call.unique_id, None)
        if isinstance(response, CallError):
            raise CallFailed(response.error_code, response.error_description, response.error_details)
        assert isinstance(response, CallResult)
        response.action = action
        await validate_payload(response, self._ocpp_version)
        return response.payload

    async def _answer(self, unique_id: str) -> Any:
        while True:
            response = await self._response_queue.get()
            if response.unique_id == unique_id:
                return response


INT32 = range(-(2**31), 2**31)


def _oversized_integer(value: Any, field: str = "payload") -> str | None:
    """The first field holding an integer beyond OCPP's 32-bit integers (OCPP-J's "integer", both versions), if
    any: the schemas say only "integer", and such a value cannot be stored as the id or reading it stands for."""
    if type(value) is int:
        return None if value in INT32 else field
    if isinstance(value, dict):
        for key, item in value.items():
            if (found := _oversized_integer(item, key)) is not None:
                return found
    elif isinstance(value, list):
        for item in value:
            if (found := _oversized_integer(item, field)) is not None:
                return found
    return None


def _cause(error: OCPPError) -> str:
    detail = error.details.get("cause") if isinstance(error.details, dict) else None
    return str(detail or error.description)


def _error_payload(code: Any, description: Any, details: Any) -> dict[str, Any]:
    return {"errorCode": code, "errorDescription": description, "errorDetails": details}
