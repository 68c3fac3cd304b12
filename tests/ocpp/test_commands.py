"""Commands, desired state and local lists, against a simulated station."""

import asyncio

from chargedesk.locations.models import LocationAuthorizedToken
from chargedesk.ocpp import local_lists
from chargedesk.ocpp.simulator import station
from tests.ocpp.conftest import add_location, add_station, add_token


async def _until(predicate, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the station never got it")


async def test_commands_answer_what_the_station_answers(server, admin, db):
    await add_station(db, admin.organization_id, "CP-1")
    async with station(server.url, "CP-1") as sim:
        await sim.boot()
        cases = [
            ("reset", {"type": "Hard"}, {"status": "Accepted"}),
            ("change-availability", {"connector_id": 1, "type": "Inoperative"}, {"status": "Accepted"}),
            ("remote-start", {"id_tag": "04AAAB11CD2345", "connector_id": 1}, {"status": "Accepted"}),
            ("remote-stop", {"transaction_id": 7}, {"status": "Accepted"}),
            ("unlock-connector", {"connector_id": 1}, {"status": "Unlocked"}),
            ("trigger-message", {"requested_message": "Heartbeat"}, {"status": "Accepted"}),
            ("change-configuration", {"key": "MeterValueSampleInterval", "value": "60"}, {"status": "Accepted"}),
            ("clear-cache", None, {"status": "Accepted"}),
            ("get-local-list-version", None, {"listVersion": 0}),
        ]
        for command, body, answer in cases:
            response = await server.api.post(f"/charge-stations/CP-1/commands/{command}", json=body)
            assert response.status_code == 200, (command, response.text)
            assert response.json()["response"] == answer, command
        config = await server.api.post("/charge-stations/CP-1/commands/get-configuration", json={"key": ["Nope"]})
        assert config.json()["response"] == {"configurationKey": [], "unknownKey": ["Nope"]}
        actions = [a for a, _ in sim.received]
        assert {"Reset", "RemoteStartTransaction", "UnlockConnector", "ClearCache"} <= set(actions)
        bad = await server.api.post("/charge-stations/CP-1/commands/reset", json={"type": "Gentle"})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "type"
        assert (await server.api.post("/charge-stations/CP-1/commands/fly")).status_code == 422


async def test_offline_is_409_and_silence_is_504(server, admin, db):
    await add_station(db, admin.organization_id, "CP-1")
    offline = await server.api.post("/charge-stations/CP-1/commands/reset", json={"type": "Soft"})
    assert offline.status_code == 409 and "not connected" in offline.json()["detail"]
    async with station(server.url, "CP-1") as sim:
        await sim.boot()

        async def never(**_):
            await asyncio.sleep(10)

        sim.route_map["Reset"]["_on_action"] = never
        slow = await server.api.post("/charge-stations/CP-1/commands/reset", json={"type": "Soft"})
        assert slow.status_code == 504


async def test_remote_start_takes_the_same_decision_when_the_station_asks_for_it(server, admin, db):
    await add_station(db, admin.organization_id, "CP-1", configuration={"AuthorizeRemoteTxRequests": "true"})
    await add_token(db, admin.organization_id, "0BB10C4D", status="blocked")
    async with station(server.url, "CP-1") as sim:
        refused = await server.api.post("/charge-stations/CP-1/commands/remote-start", json={"id_tag": "0BB10C4D"})
        assert refused.status_code == 403 and refused.json()["ocpp_status"] == "Blocked"
        assert "RemoteStartTransaction" not in [a for a, _ in sim.received]


async def test_desired_state_now_and_at_reconnect(server, admin, db):
    await add_station(db, admin.organization_id, "CP-1")
    async with station(server.url, "CP-1") as sim:
        await sim.boot()
        patch = {"availability": "inoperative", "configuration": {"HeartbeatInterval": "120"}}
        assert (await server.api.patch("/charge-stations/CP-1", json=patch)).status_code == 200
        await _until(lambda: sim.availability == "Inoperative" and sim.configuration["HeartbeatInterval"] == "120")
    async with station(server.url, "CP-1") as fresh:  # a station that forgot everything
        await fresh.boot()
        await _until(lambda: fresh.availability == "Inoperative" and fresh.configuration["HeartbeatInterval"] == "120")


async def test_private_list_reaches_the_station(server, admin, db):
    org = admin.organization_id
    location_id = await add_location(db, org)
    await add_station(db, org, "CP-P", location_id=location_id)
    first = await add_token(db, org, "11111111")
    second = await add_token(db, org, "22222222", group_id="G1")
    async with station(server.url, "CP-P") as sim:
        await sim.boot()
        await _until(lambda: any(a == "ChangeAvailability" for a, _ in sim.received))
        async with db.sessionmaker() as session:
            session.add(LocationAuthorizedToken(location_id=location_id, token_id=first))
            await session.commit()
        assert await local_lists.location_list_changed(location_id, removed=False) == ["Accepted"]
        assert sim.local_list == {"11111111": {"status": "Accepted"}}
        version = sim.local_list_version

        async with db.sessionmaker() as session:
            session.add(LocationAuthorizedToken(location_id=location_id, token_id=second))
            await session.commit()
        await local_lists.location_list_changed(location_id, removed=False)
        sent = [p for a, p in sim.received if a == "SendLocalList"][-1]
        assert sent["update_type"] == "Differential" and sent["list_version"] == version + 1
        assert [e["id_tag"] for e in sent["entries"]] == ["22222222"]

        async with db.sessionmaker() as session:
            row = await session.get(LocationAuthorizedToken, (location_id, first))
            await session.delete(row)
            await session.commit()
        sim.received.clear()
        await local_lists.location_list_changed(location_id, removed=True)
        assert sim.local_list == {"22222222": {"status": "Accepted", "parent_id_tag": "G1"}}
        assert [a for a, _ in sim.received] == ["SendLocalList", "ClearCache"]

        sim.local_list_answer = "VersionMismatch"
        sim.received.clear()
        await local_lists.location_list_changed(location_id, removed=False)
        kinds = [p["update_type"] for a, p in sim.received if a == "SendLocalList"]
        assert kinds == ["Differential", "Full"]
    async with station(server.url, "CP-P") as fresh:  # version 0 on the station: a Full list at reconnect
        await fresh.boot()
        await _until(lambda: fresh.local_list == {"22222222": {"status": "Accepted", "parent_id_tag": "G1"}})
        assert [p["update_type"] for a, p in fresh.received if a == "SendLocalList"] == ["Full"]


async def test_at_reconnect_only_a_station_with_a_list_to_hold_or_to_drop_gets_one(server, admin, db):
    org = admin.organization_id
    public = await add_location(db, org)
    await add_station(db, org, "CP-PUB", location_id=public)
    async with station(server.url, "CP-PUB") as sim:  # a public location: nothing beyond the desired state
        await sim.boot()
        await _until(lambda: any(a == "ChangeAvailability" for a, _ in sim.received))
        await asyncio.sleep(0.3)
        assert {a for a, _ in sim.received} == {"ChangeAvailability"}

    location_id = await add_location(db, org)
    await add_station(db, org, "CP-GONE", location_id=location_id)
    token = await add_token(db, org, "33333333")
    async with db.sessionmaker() as session:
        session.add(LocationAuthorizedToken(location_id=location_id, token_id=token))
        await session.commit()
    async with station(server.url, "CP-GONE") as sim:  # a private location: its list at connect
        await sim.boot()
        await _until(lambda: sim.local_list == {"33333333": {"status": "Accepted"}})
    async with db.sessionmaker() as session:  # the list is emptied while the station is away
        await session.delete(await session.get(LocationAuthorizedToken, (location_id, token)))
        await session.commit()
    await local_lists.location_list_changed(location_id, removed=True)
    async with station(server.url, "CP-GONE") as sim:
        sim.local_list = {"33333333": {"status": "Accepted"}}  # what it kept from before
        await sim.boot()
        await _until(lambda: any(a == "SendLocalList" for a, _ in sim.received))
        await _until(lambda: sim.local_list == {})
