"""Private locations end to end: list changes made through the API reach the station (SendLocalList) and decide
its next Authorize at once."""

from chargedesk.ocpp.simulator import station
from tests.ocpp.conftest import add_location, add_station
from tests.ocpp.test_commands import _until


async def test_api_list_changes_reach_the_station_and_its_authorize(server, admin, db):
    org = admin.organization_id
    location_id = await add_location(db, org)
    await add_station(db, org, "CP-PRIV", location_id=location_id)
    allowed = (await server.api.post("/tokens", json={"uid": "0A0A0A0A"})).json()
    await server.api.post("/tokens", json={"uid": "0B0B0B0B"})
    base = f"/locations/{location_id}/authorization/tokens"
    async with station(server.url, "CP-PRIV") as sim:
        await sim.boot()
        await _until(lambda: any(a == "ChangeAvailability" for a, _ in sim.received))  # desired state, at boot
        assert (await sim.authorize("0B0B0B0B"))["status"] == "Accepted"  # public: any valid token

        added = await server.api.post(base, json={"token_ids": [allowed["id"]]})
        assert added.status_code == 200, added.text
        await _until(lambda: sim.local_list == {"0A0A0A0A": {"status": "Accepted"}})
        assert (await sim.authorize("0A0A0A0A"))["status"] == "Accepted"
        assert (await sim.authorize("0B0B0B0B"))["status"] == "Invalid"  # private now: not on the list

        sim.received.clear()
        removed = await server.api.delete(f"{base}/{allowed['id']}")
        assert removed.status_code == 200 and removed.json()["private"] is False
        await _until(
            lambda: [a for a, _ in sim.received if a != "ChangeAvailability"] == ["SendLocalList", "ClearCache"]
        )
        assert sim.local_list == {}
        assert (await sim.authorize("0B0B0B0B"))["status"] == "Accepted"  # public again

        imported = await server.api.post(
            f"/locations/{location_id}/authorization/tokens/import",
            files={"file": ("list.csv", b"uid\n0B0B0B0B\n", "text/csv")},
        )
        assert imported.status_code == 200, imported.text
        await _until(lambda: "0B0B0B0B" in sim.local_list)
        assert (await sim.authorize("0A0A0A0A"))["status"] == "Invalid"
