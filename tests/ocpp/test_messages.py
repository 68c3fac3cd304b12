"""The message log, and finding an unknown card's UID the way the seed describes."""

import asyncio
import gc
from datetime import UTC, datetime, timedelta

from chargedesk.ocpp.log import id_tags
from chargedesk.ocpp.simulator import station
from tests.ocpp.conftest import add_station


async def _messages(server, station_id: str, **params) -> list[dict]:
    await server.app.state.gateway.log.flush()
    response = await server.api.get(f"/charge-stations/{station_id}/messages", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_every_frame_both_ways_newest_first(server, admin, db):
    await add_station(db, admin.organization_id, "CP-1")
    async with station(server.url, "CP-1") as sim:
        await sim.boot()
        await sim.authorize("04AAAB11CD2345")
    items = await _messages(server, "CP-1")
    # (the desired availability goes out after the boot too: RULES.md §4)
    items = [m for m in items if m["action"] in ("Authorize", "BootNotification")]
    kinds = [(m["direction"], m["message_type"], m["action"]) for m in items]
    assert kinds == [
        ("out", "CALLRESULT", "Authorize"),
        ("in", "CALL", "Authorize"),
        ("out", "CALLRESULT", "BootNotification"),
        ("in", "CALL", "BootNotification"),
    ]
    assert items[0]["payload"] == {"idTagInfo": {"status": "Invalid"}}
    assert items[0]["message_id"] == items[1]["message_id"]
    outbound = await _messages(server, "CP-1", direction="out", message_type="CALLRESULT", limit=1)
    assert len(outbound) == 1 and outbound[0]["action"] == "Authorize"


async def test_find_an_unknown_cards_uid_around_a_time(server, admin, db):
    """Seed: the driver holds the card to the station, the administrator filters the station's log on
    Authorize messages around that time and reads the idTag."""
    await add_station(db, admin.organization_id, "CP-1")
    async with station(server.url, "CP-1") as sim:
        await sim.authorize("AAAA0001")
        await asyncio.sleep(0.05)
        held_at = datetime.now(UTC)
        await sim.authorize("04C3D2E1F0A1B2")
        await sim.call(__import__("ocpp.v16.call", fromlist=["Heartbeat"]).Heartbeat())
    window = {
        "from": (held_at - timedelta(seconds=0.01)).isoformat(),
        "to": (held_at + timedelta(minutes=1)).isoformat(),
    }
    found = await _messages(server, "CP-1", action="Authorize", direction="in", **window)
    assert [m["payload"]["idTag"] for m in found] == ["04C3D2E1F0A1B2"]
    by_tag = await _messages(server, "CP-1", id_tag="04c3d2e1f0a1b2")
    assert {(m["message_type"], m["action"]) for m in by_tag} == {("CALL", "Authorize")}


async def test_pagination_and_retention(server, admin, db):
    await add_station(db, admin.organization_id, "CP-1")
    async with station(server.url, "CP-1") as sim:
        for _ in range(3):
            await sim.authorize("X")
    await server.app.state.gateway.log.flush()
    query = {"limit": 4, "action": "Authorize"}
    first = await server.api.get("/charge-stations/CP-1/messages", params=query)
    body = first.json()
    second = await server.api.get("/charge-stations/CP-1/messages", params=query | {"cursor": body["next_cursor"]})
    ids = [m["id"] for m in body["items"] + second.json()["items"]]
    assert len(ids) == 6 and ids == sorted(ids, reverse=True)
    log = server.app.state.gateway.log
    assert await log.cleanup(days=1) == 0
    assert await log.cleanup(days=-1) >= 6
    assert await _messages(server, "CP-1") == []
    assert (await server.api.get("/charge-stations/NOPE/messages")).status_code == 404


def test_id_tags_are_found_at_any_depth_without_leaving_garbage_for_the_cycle_collector():
    payload = {"idTag": " 04aa ", "transactionData": [{"sampledValue": [{"idToken": "b1"}]}], "parentIdTag": "G"}
    gc.collect()
    found = [id_tags(payload) for _ in range(100)]
    assert found[0] == " 04AA B1 G " and id_tags({"status": "Accepted"}) is None
    assert gc.collect() == 0  # every frame is logged: a cycle per call would be garbage the collector must chase
