"""Connecting: subprotocol, identity, Basic auth, one connection per identity, presence."""

import asyncio
import base64

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from chargedesk.ocpp.gateway import StationSocketProtocol
from chargedesk.ocpp.simulator import station
from chargedesk.stations.models import ChargeStation
from tests.ocpp.conftest import add_station, next_answer


async def _status(url: str, **kwargs) -> int:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, open_timeout=10, **kwargs):
            pass
    return refused.value.response.status_code


async def test_unknown_identity_is_404(server, admin, db):
    assert await _status(f"{server.url}/NOPE", subprotocols=["ocpp1.6"]) == 404


async def test_without_the_subprotocol_is_refused(server, admin, db):
    await add_station(db, admin.organization_id, "CP-1")
    assert await _status(f"{server.url}/CP-1") == 400
    assert await _status(f"{server.url}/CP-1", subprotocols=["ocpp2.1"]) == 400


async def test_subprotocol_is_negotiated_and_boot_is_recorded(server, admin, db):
    await add_station(db, admin.organization_id, "CP-1")
    async with station(server.url, "CP-1") as sim:
        assert sim._connection.subprotocol == "ocpp1.6"
        boot = await sim.boot()
        assert boot.status == "Accepted" and boot.interval == 300
        await sim.report_status()
        body = (await server.api.get("/charge-stations/CP-1")).json()
        assert body["online"] is True
        assert (body["vendor"], body["model"], body["firmware_version"]) == ("chargedesk", "Simulator", "1.0.0")
        assert body["serial_number"] == "SIM-CP-1"
        assert [c["connector_id"] for c in body["connector_statuses"]] == [0, 1, 2]
    for _ in range(100):
        async with db.sessionmaker() as session:
            if not (await session.get(ChargeStation, "CP-1")).online:
                break
        await asyncio.sleep(0.05)
    assert (await server.api.get("/charge-stations/CP-1")).json()["online"] is False


async def test_password_needs_basic_auth(server, admin, db):
    await add_station(db, admin.organization_id, "CP-PW", password="s3cret-pass")
    assert await _status(f"{server.url}/CP-PW", subprotocols=["ocpp1.6"]) == 401
    wrong = base64.b64encode(b"CP-PW:nope").decode()
    headers = {"Authorization": f"Basic {wrong}"}
    assert await _status(f"{server.url}/CP-PW", subprotocols=["ocpp1.6"], additional_headers=headers) == 401
    other_user = base64.b64encode(b"CP-X:s3cret-pass").decode()
    headers = {"Authorization": f"Basic {other_user}"}
    assert await _status(f"{server.url}/CP-PW", subprotocols=["ocpp1.6"], additional_headers=headers) == 401
    for _ in range(2):  # the second time from the verified-credential cache
        async with station(server.url, "CP-PW", password="s3cret-pass") as sim:
            assert (await sim.boot()).status == "Accepted"
    assert await _status(f"{server.url}/CP-PW", subprotocols=["ocpp1.6"], additional_headers=headers) == 401


async def test_a_second_connection_replaces_the_first(server, admin, db):
    await add_station(db, admin.organization_id, "CP-1")
    async with station(server.url, "CP-1") as first:
        await first.boot()
        async with station(server.url, "CP-1") as second:
            await first._connection.wait_closed()
            assert (await second.boot()).status == "Accepted"
            gateway = server.app.state.gateway
            assert gateway.connections["CP-1"].id == "CP-1"
            assert (await server.api.get("/charge-stations/CP-1")).json()["online"] is True


def _station_socket(server) -> StationSocketProtocol:
    (protocol,) = [p for p in server.uvicorn.server_state.connections if isinstance(p, StationSocketProtocol)]
    return protocol


async def test_the_socket_is_read_without_a_pause_per_frame_and_paused_once_frames_pile_up(server, admin, db):
    await add_station(db, admin.organization_id, "CP-FLOW")
    async with connect(f"{server.url}/CP-FLOW", subprotocols=["ocpp1.6"], ping_interval=None) as ws:
        await ws.send('[2, "first", "Heartbeat", {}]')
        assert (await next_answer(ws))[:2] == [3, "first"]
        protocol = _station_socket(server)
        pauses = []
        pause = protocol.transport.pause_reading
        protocol.transport.pause_reading = lambda: (pauses.append(protocol.queue.qsize()), pause())[1]

        for n in range(30):  # one CALL at a time, as stations talk: reading never stops
            await ws.send(f'[2, "one-{n}", "Heartbeat", {{}}]')
            assert (await next_answer(ws))[:2] == [3, f"one-{n}"]
        assert pauses == []

        # A flood: 300 frames in one write. Reading stops once `window` frames wait, resumes as they are
        # answered, and every frame is answered in order.
        await asyncio.gather(*(ws.send(f'[2, "flood-{n}", "Heartbeat", {{}}]') for n in range(300)))
        answers = [(await next_answer(ws))[1] for _ in range(300)]
        assert answers == [f"flood-{n}" for n in range(300)]
        assert pauses and all(size >= StationSocketProtocol.window for size in pauses)
        assert not protocol.read_paused
