"""Every outcome of the decision over a real WebSocket, transactions, and the unknown-id inbox."""

from datetime import UTC, datetime, timedelta

from chargedesk.locations.models import LocationAuthorizedCustomer, LocationAuthorizedToken
from chargedesk.ocpp.simulator import station
from tests.ocpp.conftest import add_customer, add_location, add_station, add_token


async def test_each_outcome_at_a_public_station(server, admin, db):
    org = admin.organization_id
    await add_station(db, org, "CP-1")
    await add_token(db, org, "04AAAB11CD2345", group_id="FLEET-7")
    await add_token(db, org, "0BB10C4D", status="blocked")
    await add_token(db, org, "0EE10C4D", valid_until=datetime.now(UTC) - timedelta(days=1))
    async with station(server.url, "CP-1") as sim:
        await sim.boot()
        assert await sim.authorize("04aaab11cd2345") == {"status": "Accepted", "parent_id_tag": "FLEET-7"}
        assert (await sim.authorize("0BB10C4D"))["status"] == "Blocked"
        assert (await sim.authorize("0EE10C4D"))["status"] == "Expired"
        assert await sim.authorize("DEADBEEF") == {"status": "Invalid"}
        assert await sim.authorize("deadbeef") == {"status": "Invalid"}

        started = await sim.start_transaction("04AAAB11CD2345", meter_start=1000)
        assert started.id_tag_info["status"] == "Accepted"
        second = await sim.start_transaction("04AAAB11CD2345", connector_id=2, meter_start=0)
        assert second.id_tag_info["status"] == "ConcurrentTx"
        assert isinstance(second.transaction_id, int) and second.transaction_id != started.transaction_id
        unknown = await sim.start_transaction("CAFE0001", connector_id=2, meter_start=5)
        assert unknown.id_tag_info["status"] == "Invalid" and isinstance(unknown.transaction_id, int)

    inbox = (await server.api.get("/unknown-ids")).json()["items"]
    by_tag = {i["id_tag"]: i for i in inbox}
    assert set(by_tag) == {"DEADBEEF", "CAFE0001"}
    assert by_tag["DEADBEEF"]["count"] == 2 and by_tag["DEADBEEF"]["station_id"] == "CP-1"
    assert by_tag["DEADBEEF"]["first_seen"] <= by_tag["DEADBEEF"]["last_seen"]


async def test_unknown_ids_are_scoped_to_the_keys_organisations(server, admin, db, make_key):
    other = await make_key("Other CPO")
    await add_station(db, other.organization_id, "CP-OTHER")
    async with station(server.url, "CP-OTHER") as sim:
        await sim.authorize("DEADBEEF")
    assert (await server.api.get("/unknown-ids")).json()["items"] == []
    mine = await server.api.get("/unknown-ids", headers=other.headers)
    assert [i["id_tag"] for i in mine.json()["items"]] == ["DEADBEEF"]


async def test_private_location_by_token_and_by_customer(server, admin, db):
    org = admin.organization_id
    location_id = await add_location(db, org)
    await add_station(db, org, "CP-P", location_id=location_id)
    customer_id = await add_customer(db, org)
    on_list = await add_token(db, org, "11111111")
    await add_token(db, org, "22222222", customer_id=customer_id)
    await add_token(db, org, "33333333", whitelist=True)
    async with db.sessionmaker() as session:
        session.add(LocationAuthorizedToken(location_id=location_id, token_id=on_list))
        session.add(LocationAuthorizedCustomer(location_id=location_id, customer_id=customer_id))
        await session.commit()
    async with station(server.url, "CP-P") as sim:
        assert (await sim.authorize("11111111"))["status"] == "Accepted"
        assert (await sim.authorize("22222222"))["status"] == "Accepted"
        assert (await sim.authorize("33333333"))["status"] == "Invalid"  # whitelisted, but not on the list
        refused = await sim.start_transaction("33333333")
        assert refused.id_tag_info["status"] == "Invalid"


async def test_whitelist_station_and_billing(server, admin, db, make_key):
    sub = await make_key("Sub org", parent=admin)
    await add_station(db, sub.organization_id, "CP-W", access_mode="whitelist")
    await add_station(db, sub.organization_id, "CP-PUB")
    await add_token(db, admin.organization_id, "AAAA0001", whitelist=True)  # the parent's pass
    await add_token(db, sub.organization_id, "AAAA0002")
    await add_token(db, admin.organization_id, "AAAA0003", external=True, auth_id="NL-XYZ-000000001")
    async with station(server.url, "CP-W") as sim:
        assert (await sim.authorize("AAAA0001"))["status"] == "Accepted"
        assert (await sim.authorize("AAAA0002"))["status"] == "Invalid"
        free = await sim.start_transaction("AAAA0001", meter_start=100)
        await sim.stop_transaction(free.transaction_id, 2100, "AAAA0001", transaction_data=[])
    async with station(server.url, "CP-PUB") as sim:
        paid = await sim.start_transaction("AAAA0002", meter_start=0)
        roaming = await sim.start_transaction("nlxyz000000001", connector_id=2, meter_start=0)
        assert roaming.id_tag_info["status"] == "Accepted"
    rows = {t["id"]: t for t in (await server.api.get("/transactions")).json()["items"]}
    assert (rows[free.transaction_id]["billing"], rows[free.transaction_id]["billing_reason"]) == ("free", "whitelist")
    assert rows[free.transaction_id]["energy_wh"] == 2000
    assert rows[free.transaction_id]["status"] == "completed"
    assert rows[paid.transaction_id]["billing"] == "paid" and rows[paid.transaction_id]["status"] == "active"
    assert rows[roaming.transaction_id]["billing"] == "roaming"
    free_only = (await server.api.get("/transactions", params={"billing": "free"})).json()["items"]
    assert [t["id"] for t in free_only] == [free.transaction_id]
