"""Bad frames over a real WebSocket: the right CALLERROR, and the connection, the server and other stations
stay up."""

import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from chargedesk.ocpp.simulator import station
from tests.ocpp.conftest import add_station, next_answer


async def _ask(ws, frame: str) -> list:
    await ws.send(frame)
    return await next_answer(ws)


@pytest.fixture
async def ws(server, admin, db):
    await add_station(db, admin.organization_id, "CP-BAD")
    await add_station(db, admin.organization_id, "CP-GOOD")
    async with connect(f"{server.url}/CP-BAD", subprotocols=["ocpp1.6"], ping_interval=None) as socket:
        yield socket


@pytest.mark.parametrize(
    ("frame", "message_id", "code"),
    [
        ("{not json", "-1", "FormationViolation"),
        ('{"a": 1}', "-1", "FormationViolation"),
        ('[7, "m1", "Heartbeat", {}]', "m1", "FormationViolation"),
        ('[2, "m2"]', "m2", "FormationViolation"),
        ('[2, "m3", "FlyToTheMoon", {}]', "m3", "NotImplemented"),
        ('[2, "m4", "Reset", {"type": "Soft"}]', "m4", "NotSupported"),
        ('[2, "m5", "Authorize", {"idTag": 42}]', "m5", "TypeConstraintViolation"),
        ('[2, "m6", "Authorize", {"idTag": "X", "colour": "red"}]', "m6", "FormationViolation"),
        ('[2, "m7", "Authorize", {}]', "m7", "ProtocolError"),
        ('[2, "m8", "Authorize", {"idTag": "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}]', "m8", "TypeConstraintViolation"),
        (
            '[2, "m9", "StartTransaction", {"connectorId": 1, "idTag": "A", "meterStart": 0, "timestamp": "soon"}]',
            "m9",
            "TypeConstraintViolation",
        ),
    ],
)
async def test_bad_frames_get_the_right_callerror(ws, frame, message_id, code):
    answer = await _ask(ws, frame)
    assert answer[:3] == [4, message_id, code], answer
    assert (await _ask(ws, '[2, "ok", "Heartbeat", {}]'))[:2] == [3, "ok"]


async def test_callresult_for_an_unknown_id_is_ignored(ws):
    await ws.send('[3, "nobody-asked", {}]')
    await ws.send('[4, "nobody-asked-either", "InternalError", "", {}]')
    assert (await _ask(ws, '[2, "ok", "Heartbeat", {}]'))[:2] == [3, "ok"]


async def test_oversized_frame_closes_with_1009(ws, server):
    await ws.send(json.dumps([2, "big", "DataTransfer", {"vendorId": "x", "data": "x" * 10_000}]))
    with pytest.raises(ConnectionClosed) as closed:
        await next_answer(ws)
    assert closed.value.rcvd.code == 1009
    async with station(server.url, "CP-GOOD") as sim:  # the server is up
        assert (await sim.boot()).status == "Accepted"


async def test_a_thousand_garbage_frames(ws, server):
    async with station(server.url, "CP-GOOD") as other:
        garbage = ["{", "[]", "[9]", '"x"', "null", "[2, 3, 4, 5]", '[3, "zz", {}]', '[2, "g", "Nope", {}]']
        expected = 0
        for n in range(1000):
            frame = garbage[n % len(garbage)]
            await ws.send(frame)
            if not frame.startswith("[3"):
                expected += 1
        answers = [await next_answer(ws) for _ in range(expected)]
        assert all(a[0] == 4 for a in answers)
        assert (await _ask(ws, '[2, "still-here", "Heartbeat", {}]'))[:2] == [3, "still-here"]
        assert (await other.boot()).status == "Accepted"


async def test_data_transfer_is_unknown_vendor_unless_configured(ws):
    answer = await _ask(ws, '[2, "d1", "DataTransfer", {"vendorId": "acme"}]')
    assert answer == [3, "d1", {"status": "UnknownVendorId"}]
    answer = await _ask(ws, '[2, "d2", "DiagnosticsStatusNotification", {"status": "Uploaded"}]')
    assert answer == [3, "d2", {}]
    answer = await _ask(ws, '[2, "d3", "FirmwareStatusNotification", {"status": "Installed"}]')
    assert answer == [3, "d3", {}]
    meter = {
        "connectorId": 1,
        "transactionId": 5,
        "meterValue": [{"timestamp": "2026-11-01T00:00:00Z", "sampledValue": [{"value": "1.5", "unit": "kWh"}]}],
    }
    assert (await _ask(ws, json.dumps([2, "d4", "MeterValues", meter])))[:2] == [3, "d4"]


async def test_a_refusal_raised_by_a_handler_names_its_cause_and_is_logged_with_the_action(ws, server):
    begin = {"connectorId": 1, "idTag": "A", "meterStart": 0, "timestamp": "soon"}
    reply = await _ask(ws, json.dumps([2, "t1", "StartTransaction", begin]))
    assert reply == [4, "t1", "TypeConstraintViolation", "timestamp is not an ISO 8601 date-time", {}]
    await server.app.state.gateway.log.flush()
    logged = (await server.api.get("/charge-stations/CP-BAD/messages", params={"message_type": "CALLERROR"})).json()
    (error,) = [m for m in logged["items"] if m["message_id"] == "t1"]
    assert error["direction"] == "out" and error["action"] == "StartTransaction"
    assert error["payload"]["errorCode"] == "TypeConstraintViolation"


async def test_an_integer_beyond_32_bits_is_refused_by_name_and_the_connection_lives_on(ws, server):
    status = {"connectorId": 10**30, "errorCode": "NoError", "status": "Available"}
    reply = await _ask(ws, json.dumps([2, "huge", "StatusNotification", status]))
    assert reply == [4, "huge", "TypeConstraintViolation", "connectorId is not a 32-bit integer", {}]
    meter = {"connectorId": 1, "meterValue": [{"timestamp": "2026-11-01T00:00:00Z", "sampledValue": [{"value": "1"}]}]}
    reply = await _ask(ws, json.dumps([2, "huge-2", "MeterValues", meter | {"transactionId": 2**31}]))
    assert reply[:4] == [4, "huge-2", "TypeConstraintViolation", "transactionId is not a 32-bit integer"]
    assert (await _ask(ws, json.dumps([2, "fits", "MeterValues", meter | {"transactionId": 2**31 - 1}])))[0] == 3
    assert (await _ask(ws, '[2, "ok", "Heartbeat", {}]'))[:2] == [3, "ok"]
